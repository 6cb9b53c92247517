"""The wait and the promises, visible (issue 9, item 6), in Chromium: a customer who asks
for a human while nobody is online sees their place and 「暂时无法估计」 with the
nobody-online banner; once an agent is online but busy, the same line shows a wait
range from the measured handling times; the agent's console shows the urgent badge,
the priority and the first-response due time with its date and countdown, and the SLA
warning on the timeline in Chinese; when the agent takes the chat the banner and the
queue line go away."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from kefu.actions import agents as agent_actions
from kefu.actions import assignment
from kefu.actions import conversations as conv_actions
from kefu.actions.context import Actor, ActorKind, Kefu, Role, transaction
from kefu.actions.escalation import sweep_all_due
from kefu.clock import FakeClock, SystemClock, ensure_aware
from kefu.realtime.broker import InProcessBroker
from kefu.storage.database import Database
from kefu.storage.models import Agent, Conversation, Customer, Tenant
from tests.browser.conftest import DEMO_PASSWORD, shot

WAIT = 20_000  # ms: an upper bound for the page to catch up, never a timing assertion
DUE_WITH_DATE = r"\d{1,2}月\d{1,2}日 \d\d:\d\d 到期"


def in_thread(work: Any) -> None:
    """Playwright's sync API owns this thread's loop: run async set-up in another."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(work())
        except BaseException as exc:  # pragma: no cover - re-raised below
            errors.append(exc)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if errors:
        raise errors[0]


def busy_desk(settings: Any, waiting_conv: str) -> None:
    """agent1 (小林, recharge) online with one chat and room for one; six chats handled
    in about five minutes each; the waiting customer's first answer is overdue soon."""

    async def work() -> None:
        db = Database(settings.database_url)
        kefu = Kefu(settings, db, InProcessBroker(), SystemClock())
        try:
            async with db.read() as session:
                tenant = (
                    await session.execute(select(Tenant).where(Tenant.slug == "demo"))
                ).scalar_one()
                agent = (
                    await session.execute(
                        select(Agent).where(Agent.email == "agent1@demo.kefu.local")
                    )
                ).scalar_one()
                member = (
                    await session.execute(
                        select(Customer).where(
                            Customer.tenant_id == tenant.id, Customer.external_id == "u10005"
                        )
                    )
                ).scalar_one()
            machine = Actor(ActorKind.MACHINE, tenant.id)
            staff = Actor(ActorKind.STAFF, tenant.id, agent_id=agent.id, role=Role.AGENT)
            made = []
            for i in range(7):
                conv = await conv_actions.do_create_conversation(
                    kefu,
                    machine,
                    conv_actions.NewConversation(
                        body=f"历史咨询 {i}", customer_id=member.id, start_with_bot=False
                    ),
                )
                await assignment.do_assign_conversation(
                    kefu, machine, conv.public_id, agent.id, force=True
                )
                made.append(conv.public_id)
            now = datetime.now(UTC)
            async with transaction(kefu) as tx:
                for n, public_id in enumerate(made[:6]):
                    await tx.session.execute(
                        update(Conversation)
                        .where(Conversation.public_id == public_id)
                        .values(
                            status="resolved",
                            assigned_at=now - timedelta(minutes=60 + 10 * n),
                            resolved_at=now - timedelta(minutes=55 + 10 * n),
                        )
                    )
            await agent_actions.do_set_presence(kefu, staff, "online", capacity=1)
            # travel to 90 % of the waiting customer's first-response time: the warning
            async with db.read() as session:
                waiting = (
                    await session.execute(
                        select(Conversation).where(Conversation.public_id == waiting_conv)
                    )
                ).scalar_one()
            assert waiting.first_response_due_at is not None
            start = ensure_aware(waiting.queued_at or waiting.created_at)
            due = ensure_aware(waiting.first_response_due_at)
            later = Kefu(settings, db, InProcessBroker(), FakeClock(start + (due - start) * 0.9))
            result = await sweep_all_due(later)
            assert result.warnings >= 1, result
        finally:
            await db.dispose()

    in_thread(work)


def test_wait_range_urgency_and_due_time_are_visible(
    browser: Any, demo_server: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    base = demo_server["base"]
    phone = browser.new_context(viewport={"width": 390, "height": 800}, locale="zh-CN")
    desk = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    try:
        shop = phone.new_page()
        shop.goto(f"{base}/demo/shop")
        shop.get_by_test_id("kefu-launcher").click()
        shop.get_by_test_id("kefu-input").fill("话费充值一直没到账，钱已经扣了")
        shop.get_by_test_id("kefu-send").click()
        expect(shop.locator("[data-testid=kefu-message][data-author=bot]").first).to_be_visible(
            timeout=WAIT
        )
        shop.get_by_test_id("kefu-handoff").click()
        # nobody online: the place in the queue, and plainly that the wait is unknown
        expect(shop.get_by_test_id("kefu-queue-position")).to_have_text("排队第 1 位", timeout=WAIT)
        expect(shop.get_by_test_id("kefu-queue-wait")).to_have_text("暂时无法估计等待时间")
        expect(shop.get_by_test_id("kefu-nobody")).to_be_visible()
        shot(shop, "widget-queue-unknown-phone")
        conv_id = json.loads(shop.evaluate("localStorage.getItem('kefu:demo')"))["conv"]

        busy_desk(demo_server["settings"], conv_id)

        console = desk.new_page()
        console.goto(f"{base}/console/login")
        console.get_by_test_id("console-login-email").fill("agent1@demo.kefu.local")
        console.get_by_test_id("console-login-password").fill(DEMO_PASSWORD)
        console.get_by_test_id("console-login-submit").click()
        expect(console.locator("#live-state")).to_have_text("实时", timeout=WAIT)
        # her console is live and busy: the waiting customer now sees a measured range
        expect(shop.get_by_test_id("kefu-queue-wait")).to_have_text(
            re.compile(r"^预计等待 \d+–\d+ 分钟$"), timeout=WAIT
        )
        expect(shop.get_by_test_id("kefu-queue-position")).to_have_text("排队第 1 位")
        expect(shop.get_by_test_id("kefu-nobody")).to_be_hidden()  # someone is online now
        shot(shop, "widget-queue-range-phone")

        item = console.locator(f"[data-testid=console-conversation-item][data-id='{conv_id}']")
        expect(item).to_be_visible(timeout=WAIT)
        expect(item.get_by_test_id("console-urgent")).to_have_text("紧急")
        expect(item.get_by_test_id("console-due")).to_contain_text(re.compile(DUE_WITH_DATE))
        item.click()
        pane = console.get_by_test_id("console-conversation")
        expect(pane.get_by_test_id("console-urgent")).to_contain_text(
            "紧急 · 资金风险", timeout=WAIT
        )
        expect(pane.get_by_test_id("console-priority")).to_contain_text("优先级")
        first = pane.locator("[data-testid=console-due][data-kind=first_response]")
        expect(first).to_contain_text(re.compile("首次响应 " + DUE_WITH_DATE))
        expect(first).to_have_attribute("data-state", "warning")
        expect(first.get_by_test_id("console-countdown")).to_contain_text(
            re.compile(r"^(剩余|已超时) \d+")
        )
        warning = pane.locator("[data-testid=console-event][data-type=sla_warning]")
        expect(warning).to_contain_text("服务时限预警：首次响应即将超时")
        expect(warning).not_to_contain_text("内部备注")
        expect(warning).not_to_contain_text("first_response")
        shot(console, "console-sla-desktop")

        # room for one more: the pass gives her the chat; the banner and queue line go
        console.get_by_test_id("console-capacity").fill("2")
        console.get_by_test_id("console-capacity").dispatch_event("change")
        expect(shop.locator("[data-testid=kefu-event]", has_text="小林")).to_be_visible(
            timeout=WAIT
        )
        expect(shop.get_by_test_id("kefu-nobody")).to_be_hidden()
        expect(shop.get_by_test_id("kefu-queue")).to_be_hidden()
        shot(shop, "widget-assigned-phone")
    finally:
        phone.close()
        desk.close()


def test_handoff_after_leaving_a_message_says_what_happens_next(
    browser: Any, demo_server: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    phone = browser.new_context(viewport={"width": 390, "height": 800}, locale="zh-CN")
    try:
        shop = phone.new_page()
        shop.goto(f"{demo_server['base']}/demo/shop")
        shop.get_by_test_id("kefu-launcher").click()
        expect(shop.get_by_test_id("kefu-nobody")).to_be_visible(timeout=WAIT)
        shop.get_by_test_id("kefu-leave-message-open").click()
        form = shop.get_by_test_id("kefu-leave-message")
        form.locator("input[name=contact]").fill("13812345678")
        form.locator("textarea[name=body]").fill("订单 KM20261201 话费没到账")
        form.locator("button[type=submit]").click()
        expect(shop.get_by_text("已收到您的留言")).to_be_visible(timeout=WAIT)
        done = shop.get_by_test_id("kefu-leave-done").inner_text()
        number = re.search(r"工单号 (\S+?)）", done)
        assert number is not None, done
        # the number the widget shows is the real one: its progress page opens from the link
        track = shop.get_by_test_id("kefu-leave-track").get_attribute("href")
        assert track is not None and "/help/" in track
        page = phone.new_page()
        page.goto(demo_server["base"] + "/help/" + track.split("/help/", 1)[1])
        expect(page.get_by_text(number.group(1)).first).to_be_visible(timeout=WAIT)
        page.close()
        shop.get_by_test_id("kefu-handoff").click()
        expect(shop.get_by_text("已在人工队列中")).to_be_visible(timeout=WAIT)
        expect(shop.get_by_test_id("kefu-queue-position")).to_have_text("排队第 1 位")
        expect(shop.get_by_test_id("kefu-queue-wait")).to_have_text("暂时无法估计等待时间")
        shot(shop, "widget-handoff-after-message-phone")
    finally:
        phone.close()
