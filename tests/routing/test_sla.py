"""SLA deadlines stored when events happen, paused while waiting for the customer,
swept at 80 % (warning) and 100 % (breach + escalation), durable across restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kefu.actions import conversations as conv_actions
from kefu.actions.escalation import sweep_sla
from kefu.clock import FakeClock, ensure_aware
from kefu.realtime.broker import tenant_channel
from tests.routing.conftest import T0, routing_kefu
from tests.routing.support import Desk

pytestmark = pytest.mark.anyio


async def test_deadlines_stored_on_handoff(desk: Desk) -> None:
    simple = await desk.handoff(category="order_status")
    complex_ = await desk.handoff(category="refund")
    conv = await desk.conv(simple)
    assert ensure_aware(conv.first_response_due_at) == T0 + timedelta(minutes=10)
    assert ensure_aware(conv.resolution_due_at) == T0 + timedelta(hours=2)
    assert ensure_aware(conv.next_sla_check_at) == T0 + timedelta(minutes=8)
    assert conv.sla_status == "ok"
    assert ensure_aware((await desk.conv(complex_)).resolution_due_at) == T0 + timedelta(hours=24)


async def test_ticket_created_in_the_queue_gets_the_message_promise(desk: Desk) -> None:
    conv = await conv_actions.do_create_conversation(
        desk.kefu,
        desk.customer(),
        conv_actions.NewConversation(
            body="充值没到账", start_with_bot=False, channel=conv_actions.Channel.TICKET
        ),
    )
    stored = await desk.conv(conv.public_id)
    assert ensure_aware(stored.first_response_due_at) == T0 + timedelta(minutes=30)


async def test_clock_paused_while_waiting_for_the_customer(desk: Desk) -> None:
    await desk.online("alice")
    public_id = await desk.handoff(category="order_status")
    alice = desk.staff("alice")
    desk.clock.advance(minutes=5)
    await conv_actions.do_post_message(desk.kefu, alice, public_id, "请提供订单截图")
    await conv_actions.do_change_status(desk.kefu, alice, public_id, "waiting_customer")
    conv = await desk.conv(public_id)
    assert conv.resolution_due_at is None
    assert ensure_aware(conv.sla_paused_since) == T0 + timedelta(minutes=5)
    assert conv.sla_status == "paused"
    desk.clock.advance(hours=3)  # the customer takes three hours: not our time
    await conv_actions.do_post_message(desk.kefu, desk.customer(), public_id, "截图在这")
    conv = await desk.conv(public_id)
    assert conv.sla_paused_since is None
    assert ensure_aware(conv.resolution_due_at) == T0 + timedelta(hours=5)
    assert conv.sla_status == "ok"


async def test_business_hours_and_holidays_from_tenant_settings(desk: Desk) -> None:
    await desk.set_tenant_settings(
        business_calendar={"weekdays": ["09:00-12:00", "13:00-18:00"], "china_holidays": True}
    )
    # Friday 2026-11-27 17:55 in Shanghai: 5 minutes today, 5 on Monday
    desk.clock.set(datetime(2026, 11, 27, 9, 55, tzinfo=UTC))
    public_id = await desk.handoff()
    conv = await desk.conv(public_id)
    assert ensure_aware(conv.first_response_due_at) == datetime(2026, 11, 30, 1, 5, tzinfo=UTC)


async def test_sweeper_warns_at_80_percent_then_breaches_and_escalates(desk: Desk) -> None:
    public_id = await desk.handoff(category="order_status")
    desk.clock.advance(minutes=7)
    await sweep_sla(desk.kefu)
    assert await desk.events(public_id, "sla_warning") == []
    desk.clock.advance(minutes=1)
    await sweep_sla(desk.kefu)
    [warning] = await desk.events(public_id, "sla_warning")
    assert warning.visibility == "internal" and warning.data["clocks"] == ["first_response"]
    assert (await desk.conv(public_id)).sla_status == "warning"
    async with desk.kefu.broker.subscribe(tenant_channel(desk.world.tenant_id)) as q:
        desk.clock.advance(minutes=2)
        await sweep_sla(desk.kefu)
        await asyncio.sleep(0)
        notes = [q.get_nowait() for _ in range(q.qsize())]
    breach_events = await desk.events(public_id, "sla_breach")
    kinds = [e.data["kind"] for e in breach_events]
    assert kinds == ["breach", "escalation"]
    conv = await desk.conv(public_id)
    assert conv.sla_status == "breached" and conv.priority == 2 and conv.escalations_applied == 1
    assert {"breach", "escalation"} <= {
        n.get("kind") for n in notes if n["type"] == "sla_escalation"
    }
    # nothing is written twice
    await sweep_sla(desk.kefu)
    assert len(await desk.events(public_id, "sla_breach")) == 2
    assert len(await desk.events(public_id, "sla_warning")) == 1
    # the second escalation step, 30 minutes after the breach
    desk.clock.advance(minutes=30)
    await sweep_sla(desk.kefu)
    conv = await desk.conv(public_id)
    assert conv.escalations_applied == 2 and conv.priority == 3


async def test_reply_in_time_means_no_warning(desk: Desk) -> None:
    await desk.online("alice")
    public_id = await desk.handoff(category="order_status")
    desk.clock.advance(minutes=3)
    await conv_actions.do_post_message(desk.kefu, desk.staff("alice"), public_id, "您好")
    desk.clock.advance(minutes=20)
    await sweep_sla(desk.kefu)
    assert await desk.events(public_id, "sla_warning") == []
    conv = await desk.conv(public_id)
    # next check: the resolution warning at 80 % of 2 h
    assert ensure_aware(conv.next_sla_check_at) == T0 + timedelta(minutes=96)


async def test_reassign_on_breach_when_configured(desk: Desk) -> None:
    await desk.set_tenant_settings(sla_policy={"reassign_on_breach": True})
    await desk.online("alice")
    public_id = await desk.handoff(category="order_status")
    desk.clock.advance(minutes=40)  # breached 30 min ago: both steps due, the last reassigns
    await sweep_sla(desk.kefu)
    kinds = [e.data.get("kind") for e in await desk.events(public_id, "sla_breach")]
    assert kinds == ["breach", "escalation", "escalation"]
    reasons = [e.data["reason"] for e in await desk.events(public_id, "status_change")]
    assert "sla_reassign" in reasons


async def test_deadlines_survive_a_restart(desk: Desk, database_url: str, tmp_path: Path) -> None:
    public_id = await desk.handoff(category="order_status")
    # the process dies; another starts later and sweeps what became due meanwhile
    later = FakeClock(T0 + timedelta(minutes=12))
    fresh = routing_kefu(database_url, tmp_path, later)
    try:
        await sweep_sla(fresh)
    finally:
        await fresh.db.dispose()
    assert len(await desk.events(public_id, "sla_warning")) == 1
    kinds = [e.data["kind"] for e in await desk.events(public_id, "sla_breach")]
    assert kinds[:2] == ["breach", "escalation"]
