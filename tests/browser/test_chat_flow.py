"""A customer on the demo shop and an agent in the console, in real Chromium: chat,
转人工, pick-up, text and images both ways, a network drop on the customer's side
(nothing lost, nothing doubled), resolve, rating."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.browser.conftest import ARTIFACTS, DEMO_PASSWORD, shot

pytestmark = pytest.mark.browser


WAIT = 20_000  # ms: an upper bound for the page to catch up, never a timing assertion


def png(tmp_path: Path, name: str, color: tuple[int, int, int]) -> Path:
    buf = io.BytesIO()
    Image.new("RGB", (120, 80), color).save(buf, format="PNG")
    path = tmp_path / name
    path.write_bytes(buf.getvalue())
    return path


def widget_seqs(page: Any) -> list[int]:
    return [
        int(s)
        for s in page.locator("[data-testid=kefu-message]").evaluate_all(
            "els => els.map(e => e.getAttribute('data-seq'))"
        )
    ]


def console_message_seqs(page: Any) -> list[int]:
    return [
        int(s)
        for s in page.locator("[data-testid=console-event][data-type=message]").evaluate_all(
            "els => els.map(e => e.getAttribute('data-seq'))"
        )
    ]


def test_customer_and_agent_chat_through_a_network_drop(
    browser: Any, demo_server: dict[str, Any], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    base = demo_server["base"]
    customer_ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    agent_ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    try:
        shop = customer_ctx.new_page()
        shop.goto(f"{base}/demo/shop")
        expect(shop.get_by_test_id("kefu-launcher")).to_have_text("客服")
        shop.get_by_test_id("kefu-launcher").click()
        expect(shop.get_by_test_id("kefu-panel")).to_be_visible()
        expect(shop.get_by_test_id("kefu-handoff")).to_be_visible()

        shop.get_by_test_id("kefu-input").fill("充值了没到账")
        shop.get_by_test_id("kefu-send").click()
        mine = shop.locator("[data-testid=kefu-message][data-author=customer]")
        expect(mine.first).to_contain_text("充值了没到账", timeout=WAIT)
        shop.get_by_test_id("kefu-handoff").click()
        expect(shop.locator("[data-testid=kefu-event]", has_text="转人工")).to_have_count(
            1, timeout=WAIT
        )
        shot(shop, "widget-shop-desktop")
        stored = json.loads(shop.evaluate("localStorage.getItem('kefu:demo')"))
        conv_id = stored["conv"]

        # the agent signs in, goes online and picks the conversation up
        console = agent_ctx.new_page()
        console.goto(f"{base}/console")
        expect(console).to_have_url(f"{base}/console/login")
        console.get_by_test_id("console-login-email").fill("agent1@demo.kefu.local")
        console.get_by_test_id("console-login-password").fill("not-the-password")
        console.get_by_test_id("console-login-submit").click()
        expect(console.get_by_test_id("console-login-error")).to_contain_text("邮箱或密码错误")
        expect(console.get_by_test_id("console-login-email")).to_have_value(
            "agent1@demo.kefu.local"
        )
        console.get_by_test_id("console-login-password").fill(DEMO_PASSWORD)
        console.get_by_test_id("console-login-submit").click()
        expect(console).to_have_url(f"{base}/console")
        expect(console.get_by_test_id("console-list-queued")).to_be_visible()  # console.js ran
        console.get_by_test_id("console-presence").select_option("online")
        expect(console.locator("#toast")).to_contain_text("在线", timeout=WAIT)

        item = console.locator(f"[data-testid=console-conversation-item][data-id='{conv_id}']")
        # going online makes routing assign it at once: the only online agent of its
        # department (充值售后) with free capacity gets it, under 我的
        console.get_by_test_id("console-tab-mine").click()
        expect(item).to_be_visible(timeout=WAIT)
        item.click()
        timeline = console.get_by_test_id("console-timeline")
        expect(timeline).to_contain_text("充值了没到账", timeout=WAIT)
        if console.get_by_test_id("console-claim").count():
            console.get_by_test_id("console-claim").click()
        expect(console.get_by_test_id("console-status")).to_have_text("处理中", timeout=WAIT)
        expect(console.get_by_test_id("console-customer-profile")).to_contain_text("会员等级")

        # text both ways, with the agent's name and 工号 on the customer's side
        console.get_by_test_id("console-reply-input").fill("您好，我是小林，正在为您查询订单")
        console.get_by_test_id("console-reply-send").click()
        agent_msgs = shop.locator("[data-testid=kefu-message][data-author=agent]")
        expect(agent_msgs.last).to_contain_text("正在为您查询订单", timeout=WAIT)
        expect(agent_msgs.last).to_contain_text("小林 · 工号 KF8012")
        shop.get_by_test_id("kefu-input").fill("订单号 KM20261123100012345")
        shop.get_by_test_id("kefu-input").press("Enter")
        expect(timeline).to_contain_text("KM20261123100012345", timeout=WAIT)

        # images both ways
        shop.get_by_test_id("kefu-file").set_input_files(
            str(png(tmp_path, "pay.png", (200, 30, 30)))
        )
        expect(shop.get_by_test_id("kefu-thumb")).to_have_count(1, timeout=WAIT)
        expect(console.get_by_test_id("console-thumb")).to_have_count(1, timeout=WAIT)
        console.get_by_test_id("console-attach").set_input_files(
            str(png(tmp_path, "proof.png", (30, 120, 200)))
        )
        expect(shop.get_by_test_id("kefu-thumb")).to_have_count(2, timeout=WAIT)
        expect(shop.get_by_test_id("kefu-thumb").last).to_have_js_property(
            "naturalWidth", 120, timeout=WAIT
        )

        # an internal note never reaches the customer
        console.get_by_test_id("console-note-input").fill("客户很着急，优先处理")
        console.get_by_test_id("console-note-send").click()
        expect(timeline.locator(".ev.note")).to_contain_text("内部备注", timeout=WAIT)

        # the customer's network drops; both sides keep writing
        customer_ctx.set_offline(True)
        console.get_by_test_id("console-reply-input").fill("已为您补发，请稍等一分钟")
        console.get_by_test_id("console-reply-send").click()
        expect(timeline).to_contain_text("已为您补发", timeout=WAIT)
        shop.get_by_test_id("kefu-input").fill("我这边网络断了，还在吗")
        shop.get_by_test_id("kefu-send").click()
        expect(shop.get_by_test_id("kefu-pending")).to_have_count(1)
        expect(shop.get_by_test_id("kefu-input")).to_have_value("")
        customer_ctx.set_offline(False)
        shop.reload()  # the outbox lives in localStorage: a reload neither loses nor doubles it
        shop.get_by_test_id("kefu-launcher").click()
        expect(shop.get_by_test_id("kefu-pending")).to_have_count(0, timeout=WAIT)
        expect(agent_msgs.last).to_contain_text("已为您补发", timeout=WAIT)
        expect(timeline).to_contain_text("我这边网络断了", timeout=WAIT)
        expect(shop.locator("[data-testid=kefu-message]", has_text="我这边网络断了")).to_have_count(
            1
        )
        expect(
            timeline.locator("[data-testid=console-event]", has_text="我这边网络断了")
        ).to_have_count(1)
        expect(shop.locator("body")).not_to_contain_text("客户很着急")

        # nothing lost, nothing doubled: the same message seqs on both sides, once each
        customer_msgs = shop.locator("[data-testid=kefu-message][data-author=customer]")
        expect(customer_msgs).to_have_count(4, timeout=WAIT)  # 3 texts + 1 image
        expect(agent_msgs).to_have_count(3, timeout=WAIT)  # 2 texts + 1 image
        seqs = widget_seqs(shop)
        assert seqs == sorted(set(seqs))
        agent_side = console_message_seqs(console)
        assert agent_side == sorted(set(agent_side))
        # the customer sees every message the agent sees (the bot's answers included)
        assert set(agent_side) <= set(seqs)
        assert len(seqs) - len(agent_side) == len(
            shop.locator("[data-testid=kefu-message][data-author=bot]").all()
        )

        shot(shop, "widget-conversation-desktop")
        shop.set_viewport_size({"width": 375, "height": 740})
        ARTIFACTS.mkdir(parents=True, exist_ok=True)  # the panel is fixed: the viewport only
        shop.screenshot(path=str(ARTIFACTS / "widget-shop-phone.png"))
        shop.set_viewport_size({"width": 1280, "height": 800})
        console.get_by_test_id("console-tab-mine").click()
        expect(console.get_by_test_id("console-list-mine")).to_contain_text("我这边网络断了")
        shot(console, "console-conversation")

        # resolve, then the customer rates
        console.get_by_test_id("console-resolve").click()
        expect(console.get_by_test_id("console-reopen")).to_be_visible(timeout=WAIT)
        rating = shop.get_by_test_id("kefu-rating")
        expect(rating).to_be_visible(timeout=WAIT)
        shop.get_by_test_id("kefu-rating-star-5").click()
        rating.locator("textarea").fill("很快就解决了，谢谢小林")
        shop.get_by_test_id("kefu-rating-submit").click()
        expect(rating).to_have_count(0, timeout=WAIT)
        expect(shop.locator("[data-testid=kefu-event]", has_text="感谢您的评价")).to_have_count(1)
        expect(timeline).to_contain_text("客户评价：★★★★★", timeout=WAIT)
        shot(shop, "widget-rated")
    finally:
        customer_ctx.close()
        agent_ctx.close()
    assert (ARTIFACTS / "widget-shop-phone.png").exists()
