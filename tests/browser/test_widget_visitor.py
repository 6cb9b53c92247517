"""An anonymous visitor in the widget: the bot's quick replies, and verifying with an
order number + the last 4 phone digits so the chat joins their member account."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.browser.conftest import shot

WAIT = 20_000  # ms: an upper bound for the page to catch up, never a timing assertion


def test_visitor_quick_reply_and_verification(browser: Any, demo_server: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    base = demo_server["base"]
    ctx = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN")
    try:
        page = ctx.new_page()
        page.goto(f"{base}/demo/shop")
        page.get_by_test_id("kefu-launcher").click()
        page.get_by_test_id("kefu-input").fill("退款多久到账")
        page.get_by_test_id("kefu-send").click()
        bot = page.locator("[data-testid=kefu-message][data-author=bot]")
        expect(bot.first).to_be_visible(timeout=WAIT)
        # the bot always offers a way to a person; clicking it keeps the readable label
        choice = page.get_by_test_id("kefu-quick-reply").first
        expect(choice).to_be_visible(timeout=WAIT)

        page.get_by_test_id("kefu-verify-open").click()
        form = page.get_by_test_id("kefu-verify")
        form.locator("input[name=order_no]").fill("KM20261123100012345")
        form.locator("input[name=phone_last4]").fill("0000")
        form.get_by_role("button", name="验证").click()
        expect(form.locator(".err")).to_contain_text("不正确", timeout=WAIT)
        form.locator("input[name=phone_last4]").fill("5678")
        form.get_by_role("button", name="验证").click()
        expect(page.locator("[data-testid=kefu-event]", has_text="身份已验证")).to_be_visible(
            timeout=WAIT
        )
        shot(page, "widget-visitor-verified-phone")
        stored = json.loads(page.evaluate("localStorage.getItem('kefu:demo')"))
        token, conv = stored["token"], stored["conv"]
        # the member token now reads the member's order and the same conversation
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers) as http:
            assert http.get("/api/v1/orders/KM20261123100012345").status_code == 200
            assert http.get(f"/api/v1/conversations/{conv}").status_code == 200
    finally:
        ctx.close()
