"""The admin console in Chromium (issue 14, "done when"): an admin signs in, changes the
business hours, an SLA target, an official channel and a canned answer, and sees each
take effect without a restart — the widget's open/closed state, the next conversation's
first-response due time, the bot's verdict on a QQ number, the console's canned answers
— and the audit log lists each change with the date in China time. Screenshots at
desktop and phone width go to test-artifacts/ (the good ones are in docs/img/)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.browser.conftest import DEMO_PASSWORD, shot
from tests.browser.test_console_pages import customer_asks, member_token

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms: an upper bound for the page to catch up, never a timing assertion
QQ = "900900123"


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def bot_says(page: Any, text: str) -> Any:
    """Ask the shop's widget (already open) and return the bot's answer locator."""
    before = page.locator("[data-testid=kefu-message][data-author=bot]").count()
    page.get_by_test_id("kefu-input").fill(text)
    page.get_by_test_id("kefu-send").click()
    answers = page.locator("[data-testid=kefu-message][data-author=bot]")
    from playwright.sync_api import expect

    expect(answers).to_have_count(before + 1, timeout=WAIT)
    return answers.nth(before)


def test_admin_changes_take_effect_without_a_restart(
    browser: Any, demo_server: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    base = demo_server["base"]
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    try:
        admin = desk.new_page()
        errors: list[str] = []
        # errors on the admin pages (the console has its own tests)
        admin.on(
            "console",
            lambda m: (
                errors.append(f"{admin.url}: {m.text}")
                if m.type == "error" and "/admin" in admin.url
                else None
            ),
        )
        admin.goto(f"{base}/console/login")
        admin.get_by_test_id("console-login-email").fill("admin@demo.kefu.local")
        admin.get_by_test_id("console-login-password").fill(DEMO_PASSWORD)
        admin.get_by_test_id("console-login-submit").click()
        expect(admin).to_have_url(f"{base}/console")
        admin.goto(f"{base}/admin")
        expect(admin).to_have_url(f"{base}/admin/hours")

        # 1. the bot's verdict before and after an official channel is added
        shop = phone.new_page()
        shop.goto(f"{base}/demo/shop")
        shop.get_by_test_id("kefu-launcher").click()
        expect(shop.get_by_test_id("kefu-panel")).to_be_visible()
        question = f"QQ {QQ} 是你们的官方客服吗？"
        expect(bot_says(shop, question)).to_contain_text("不是我们的官方渠道")
        admin.get_by_test_id("admin-nav-channels").click()
        admin.get_by_test_id("admin-channel-type").select_option("qq")
        admin.get_by_test_id("admin-channel-value").fill(QQ)
        admin.get_by_test_id("admin-channel-label").fill("售后二群 QQ")
        admin.get_by_test_id("admin-channel-add").click()
        expect(admin.get_by_test_id("admin-saved")).to_be_visible()
        expect(admin.get_by_test_id("admin-channel-row").filter(has_text=QQ)).to_have_count(1)
        verdict = bot_says(shop, question)
        expect(verdict).to_contain_text(f"{QQ} 是官方渠道")
        expect(verdict).not_to_contain_text("不是")

        # 2. an SLA target: the next conversation's first-response due time follows it
        admin.get_by_test_id("admin-nav-sla").click()
        admin.get_by_test_id("admin-sla-chat_first_response_minutes").fill("7")
        admin.get_by_test_id("admin-sla-save").click()
        expect(admin.get_by_test_id("admin-saved")).to_be_visible()
        expect(admin.get_by_test_id("admin-sla-chat_first_response_minutes")).to_have_value("7")
        cid = customer_asks(demo_server, member_token(demo_server, "u10005"), "会员等级怎么升级？")

        # 3. a canned answer with variables, in the console of that conversation
        admin.get_by_test_id("admin-nav-canned").click()
        admin.get_by_test_id("admin-canned-title").fill("会话编号")
        admin.get_by_test_id("admin-canned-text").fill("您的会话编号是 {number}，客服 {agent_no}")
        admin.get_by_test_id("admin-canned-add").click()
        expect(admin.get_by_test_id("admin-saved")).to_be_visible()
        admin.goto(f"{base}/console?c={cid}")
        due = admin.get_by_test_id("console-due").filter(has_text="首次响应").first
        expect(due).to_be_visible(timeout=WAIT)
        conv = httpx.get(
            f"{base}/api/v1/conversations/{cid}",
            cookies={"kefu_session": next(
                c["value"] for c in desk.cookies() if c["name"] == "kefu_session")},
        ).json()  # fmt: skip
        minutes = 3.5 if conv["urgencies"] else 7.0
        start = parse(conv["queued_at"] or conv["created_at"])
        promised = (parse(conv["first_response_due_at"]) - start).total_seconds() / 60
        assert abs(promised - minutes) < 0.1, (promised, conv)
        assert parse(str(due.get_attribute("data-due"))) == parse(conv["first_response_due_at"])
        expect(due).to_contain_text(re.compile(r"\d{1,2}月\d{1,2}日 \d\d:\d\d 到期"))
        chip = admin.get_by_test_id("console-canned").filter(has_text="会话编号")
        expect(chip).to_have_count(1)
        assert chip.get_attribute("data-canned") == f"您的会话编号是 {conv['number']}，客服 KF0001"

        # 4. business hours: closed all week -> the widget says so, at once
        def open_now() -> bool:
            r = httpx.get(f"{base}/api/v1/widget/config", params={"tenant": "demo"})
            return bool(r.json()["open_now"])

        assert open_now() is True
        admin.goto(f"{base}/admin/hours")
        admin.get_by_test_id("admin-always-open").uncheck()
        for day in range(7):
            admin.get_by_test_id(f"admin-day-{day}").fill("")
        admin.get_by_test_id("admin-hours-save").click()
        expect(admin.get_by_test_id("admin-saved")).to_be_visible()
        assert open_now() is False
        shop.reload()
        shop.get_by_test_id("kefu-launcher").click()
        expect(shop.locator(".nobody")).to_be_visible(timeout=WAIT)

        # 5. the audit log: each change, who, when (China time, with the date)
        admin.get_by_test_id("admin-nav-audit").click()
        rows = admin.get_by_test_id("admin-audit-row")
        for section in ("official_channels", "sla_policy", "canned_answers", "business_calendar"):
            expect(
                admin.locator(f"[data-testid=admin-audit-row][data-section={section}]")
            ).to_have_count(1 if section != "official_channels" else 2)  # demo seed + ours
        expect(rows.first).to_contain_text("平台管理员（工号 KF0001）")
        expect(rows.first).to_contain_text(re.compile(r"20\d\d-\d\d-\d\d \d\d:\d\d:\d\d"))
        expect(admin.locator("body")).not_to_contain_text("always_open")
        shot(admin, "admin-audit-desktop")
        admin.goto(f"{base}/admin/hours")
        shot(admin, "admin-hours-desktop")
        assert errors == [], errors

        narrow = phone.new_page()
        narrow.goto(f"{base}/console/login")
        narrow.get_by_test_id("console-login-email").fill("admin@demo.kefu.local")
        narrow.get_by_test_id("console-login-password").fill(DEMO_PASSWORD)
        narrow.get_by_test_id("console-login-submit").click()
        expect(narrow).to_have_url(f"{base}/console")
        for section in ("hours", "audit"):
            narrow.goto(f"{base}/admin/{section}")
            width = narrow.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (section, width)  # nothing wider than the phone
            shot(narrow, f"admin-{section}-390")
    finally:
        desk.close()
        phone.close()


def test_api_docs_work_offline_with_the_signed_in_session(
    browser: Any, demo_server: dict[str, Any]
) -> None:
    """/docs loads only vendored files (no CDN: every request stays on this server) and
    "Try it out" writes as the signed-in admin (cookie + the CSRF token api-docs.js adds)."""
    from playwright.sync_api import expect

    base = demo_server["base"]
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        page = ctx.new_page()
        foreign: list[str] = []
        page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(base) and
                not r.url.startswith("data:") else None)  # fmt: skip
        errors: list[str] = []
        page.on(
            "console",
            lambda m: (
                errors.append(m.text)
                if m.type == "error" and page.url.startswith(f"{base}/docs")
                else None
            ),
        )
        page.goto(f"{base}/console/login")
        page.get_by_test_id("console-login-email").fill("admin@demo.kefu.local")
        page.get_by_test_id("console-login-password").fill(DEMO_PASSWORD)
        page.get_by_test_id("console-login-submit").click()
        expect(page).to_have_url(f"{base}/console")
        page.goto(f"{base}/docs")
        expect(page.get_by_test_id("api-docs-session")).to_contain_text("已登录")
        op = page.locator("#operations-tenant-patch_tenant_settings_api_v1_tenant_settings_patch")
        expect(op).to_be_visible(timeout=WAIT)
        op.locator(".opblock-summary").click()
        op.get_by_role("button", name="Try it out").click()
        op.locator("textarea.body-param__text").fill('{"reopen_days": 25}')
        op.get_by_role("button", name="Execute").click()
        status = op.locator(".live-responses-table tbody .response-col_status").first
        expect(status).to_have_text("200", timeout=WAIT)
        shot(page, "api-docs")
        page.goto(f"{base}/admin/audit")
        row = page.locator("[data-testid=admin-audit-row][data-section=reopen_days]")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("平台管理员（工号 KF0001）")
        expect(row).to_contain_text("25")
        assert foreign == [], foreign
        assert errors == [], errors
    finally:
        ctx.close()
