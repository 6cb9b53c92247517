"""Nobody is free: the customer in the queue books a call-back in the widget instead of
waiting; the agent sees it under 待回电 in the console and records the outcome, which
lands on the conversation's timeline."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.browser.conftest import DEMO_PASSWORD, shot

WAIT = 20_000  # ms: an upper bound for the page to catch up, never a timing assertion


def test_customer_books_a_call_back_and_the_agent_records_it(
    browser: Any, demo_server: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    base = demo_server["base"]
    customer_ctx = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN")
    agent_ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    try:
        shop = customer_ctx.new_page()
        shop.goto(f"{base}/demo/shop")
        shop.get_by_test_id("kefu-launcher").click()
        shop.get_by_test_id("kefu-input").fill("话费充值一直没到账")
        shop.get_by_test_id("kefu-send").click()
        expect(shop.locator("[data-testid=kefu-message][data-author=bot]").first).to_be_visible(
            timeout=WAIT
        )
        shop.get_by_test_id("kefu-handoff").click()
        # nobody online: the wait is unknown, so the queue line offers a call-back
        offer = shop.get_by_test_id("kefu-callback-open")
        expect(offer).to_be_visible(timeout=WAIT)
        offer.click()
        form = shop.get_by_test_id("kefu-callback")
        form.locator("input[name=phone]").fill("abc")
        form.get_by_role("button", name="预约").click()
        expect(form.locator(".err")).to_contain_text("手机号")
        form.locator("input[name=phone]").fill("13812345678")
        form.get_by_role("button", name="预约").click()
        expect(shop.locator("[data-testid=kefu-event]", has_text="已预约回电")).to_be_visible(
            timeout=WAIT
        )
        shot(shop, "widget-callback-booked-phone")
        conv_id = json.loads(shop.evaluate("localStorage.getItem('kefu:demo')"))["conv"]

        console = agent_ctx.new_page()
        console.goto(f"{base}/console/login")
        console.get_by_test_id("console-login-email").fill("agent1@demo.kefu.local")
        console.get_by_test_id("console-login-password").fill(DEMO_PASSWORD)
        console.get_by_test_id("console-login-submit").click()
        item = console.get_by_test_id("console-callback").first
        expect(item).to_contain_text("13812345678", timeout=WAIT)
        shot(console, "console-callbacks")
        item.get_by_test_id("console-callback-reached").click()
        expect(console.get_by_test_id("console-callbacks")).to_contain_text(
            "暂无预约回电", timeout=WAIT
        )

        # the outcome is on the timeline, for the staff
        cookies = {c["name"]: c["value"] for c in agent_ctx.cookies()}
        with httpx.Client(base_url=base, cookies=cookies) as http:
            events = http.get(f"/api/v1/conversations/{conv_id}/events").json()["events"]
        assert any("回电" in (e["body"] or "") for e in events), events
    finally:
        customer_ctx.close()
        agent_ctx.close()
