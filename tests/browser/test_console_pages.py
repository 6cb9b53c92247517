"""The agent console in Chromium: sign-in errors, presence, canned answers, transfer with
a note, resolve and reopen, and the customer's profile with their orders."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import sqlite3
import time
from typing import Any

import httpx
import pytest

from tests.browser.conftest import DEMO_PASSWORD, shot

pytestmark = pytest.mark.browser

# the same live demo server fixture (seeded off the Playwright loop)

WAIT = 20_000


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def member_token(server: dict[str, Any], external_id: str) -> str:
    """Sign in as a marketplace member the way the shop's server would (docs/identity.md)."""
    db = str(server["settings"].database_url).removeprefix("sqlite:///")
    with sqlite3.connect(db) as con:
        (secret,) = con.execute("select widget_secret from tenants where slug='demo'").fetchone()
    payload = {
        "customer_id": external_id,
        "exp": int(time.time()) + 600,
        "nonce": secrets.token_hex(8),
    }
    body = b64(json.dumps(payload).encode())
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    r = httpx.post(
        f"{server['base']}/api/v1/widget/session",
        json={"tenant": "demo", "identity_token": f"{body}.{b64(mac)}"},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def customer_asks(server: dict[str, Any], token: str, text: str) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    base = server["base"]
    conv = httpx.post(
        f"{base}/api/v1/conversations",
        json={"body": text, "client_msg_id": "c-" + secrets.token_hex(6)},
        headers=headers,
    )
    assert conv.status_code == 201, conv.text
    cid = str(conv.json()["id"])
    assert (
        httpx.post(f"{base}/api/v1/conversations/{cid}/handoff", headers=headers).status_code == 200
    )
    return cid


def sign_in(page: Any, base: str, email: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/console/login")
    page.get_by_test_id("console-login-email").fill(email)
    page.get_by_test_id("console-login-password").fill(DEMO_PASSWORD)
    page.get_by_test_id("console-login-submit").click()
    expect(page).to_have_url(f"{base}/console")
    expect(page.get_by_test_id("console-list-queued")).to_be_visible()


def test_sign_in_errors_are_chinese_and_keep_the_email(
    browser: Any, demo_server: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()
    try:
        page.goto(f"{demo_server['base']}/console/login")
        page.get_by_test_id("console-login-email").fill("agent2@demo.kefu.local")
        page.get_by_test_id("console-login-password").fill("wrong-password")
        page.get_by_test_id("console-login-submit").click()
        expect(page.get_by_test_id("console-login-error")).to_have_text("邮箱或密码错误")
        expect(page.get_by_test_id("console-login-email")).to_have_value("agent2@demo.kefu.local")
        shot(page, "console-login-error")
        sign_in(page, demo_server["base"], "agent2@demo.kefu.local")
        page.get_by_test_id("console-presence").select_option("busy")
        expect(page.locator("#toast")).to_contain_text("忙碌")
        page.reload()
        expect(page.get_by_test_id("console-presence")).to_have_value("busy")
        page.locator("#logout").click()
        expect(page).to_have_url(f"{demo_server['base']}/console/login")
        page.goto(f"{demo_server['base']}/console")
        expect(page).to_have_url(f"{demo_server['base']}/console/login")
    finally:
        page.close()


def test_transfer_with_a_note_resolve_and_reopen(browser: Any, demo_server: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    base = demo_server["base"]
    cid = customer_asks(demo_server, member_token(demo_server, "u10001"), "王者荣耀点券还没到账")
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        sign_in(page, base, "agent1@demo.kefu.local")
        page.get_by_test_id("console-tab-all").click()
        page.locator(f"[data-testid=console-conversation-item][data-id='{cid}']").click()
        timeline = page.get_by_test_id("console-timeline")
        expect(timeline).to_contain_text("王者荣耀点券还没到账")
        profile = page.get_by_test_id("console-customer-profile")
        expect(profile).to_contain_text("王同学")
        expect(profile).to_contain_text("KM20261123100012345")
        expect(profile).to_contain_text("处理中")
        expect(profile).to_contain_text("138****5678")

        page.get_by_test_id("console-claim").click()
        expect(page.get_by_test_id("console-status")).to_have_text("处理中", timeout=WAIT)
        page.get_by_test_id("console-canned").filter(has_text="核实订单").click()
        expect(page.get_by_test_id("console-reply-input")).to_have_value(
            "麻烦您提供一下订单号（KM 开头），我马上为您查询。"
        )
        page.get_by_test_id("console-reply-send").click()
        expect(timeline.locator("[data-author=agent]")).to_contain_text(
            "麻烦您提供一下订单号", timeout=WAIT
        )

        page.get_by_test_id("console-transfer").click()
        page.get_by_test_id("console-transfer-target").select_option("dept:refund")
        page.get_by_test_id("console-transfer-note").fill("客户要求退款，请财务核实")
        page.get_by_test_id("console-transfer-submit").click()
        expect(timeline).to_contain_text("转接至 退款财务", timeout=WAIT)
        expect(timeline.locator(".ev.note")).to_contain_text("客户要求退款，请财务核实")
        expect(page.get_by_test_id("console-status")).to_have_text("排队中", timeout=WAIT)

        page.get_by_test_id("console-claim").click()
        expect(page.get_by_test_id("console-status")).to_have_text("处理中", timeout=WAIT)
        page.get_by_test_id("console-resolve").click()
        expect(page.get_by_test_id("console-status")).to_have_text("已解决", timeout=WAIT)
        page.get_by_test_id("console-reopen").click()
        expect(page.get_by_test_id("console-status")).to_have_text("处理中", timeout=WAIT)
        expect(page.get_by_test_id("console-resolve")).to_be_visible()
        expect(timeline).to_contain_text("状态：已解决 → 处理中（重新打开）")
        item = page.locator(f"[data-testid=console-conversation-item][data-id='{cid}']")
        expect(item).to_have_attribute("data-status", "assigned", timeout=WAIT)
        expect(item).to_contain_text("退款财务", timeout=WAIT)
        expect(profile).to_contain_text("王同学", timeout=WAIT)
        shot(page, "console-transfer-reopen")
    finally:
        page.close()
