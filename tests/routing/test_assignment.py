"""Automatic assignment: on handoff, to the exclusive agent of a VIP, never above
capacity, back to the queue after an agent's grace period, positions published."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from kefu.actions import agents as agent_actions
from kefu.actions import console_presence
from kefu.actions import conversations as conv_actions
from kefu.actions.presence_leases import lease_length
from kefu.actions.presence_watch import sweep_presence
from kefu.actions.queueing import run_queue_pass
from kefu.jobs.runner import tick
from kefu.realtime.broker import conversation_channel
from tests.routing.support import Desk

pytestmark = pytest.mark.anyio


async def test_handoff_is_assigned_to_an_online_agent_of_the_department(desk: Desk) -> None:
    await desk.online("alice")  # recharge
    await desk.online("bob")  # refund
    recharge = await desk.handoff(category="recharge_not_received")
    refund = await desk.handoff(category="refund")
    conv = await desk.conv(recharge)
    assert conv.status == "assigned" and conv.assignee_id == desk.world.agents["alice"]
    assert conv.assigned_at is not None
    assert (await desk.conv(refund)).assignee_id == desk.world.agents["bob"]
    [assignment] = await desk.events(recharge, "assignment")
    assert assignment.author_type == "system" and assignment.data["agent_no"]


async def test_nobody_online_waits_then_an_agent_coming_online_takes_it(desk: Desk) -> None:
    public_id = await desk.handoff()
    assert (await desk.conv(public_id)).status == "queued"
    await desk.online("alice")
    await tick(desk.kefu)  # the background tick notices the presence change
    assert (await desk.conv(public_id)).assignee_id == desk.world.agents["alice"]


async def test_unknown_department_goes_to_anyone(desk: Desk) -> None:
    await desk.online("bob")  # refund only
    public_id = await desk.handoff(category="membership")  # presales: nobody staffs it
    assert (await desk.conv(public_id)).assignee_id == desk.world.agents["bob"]


async def test_vip_goes_to_the_exclusive_agent_when_online(desk: Desk) -> None:
    await desk.set_exclusive("m2", "bob")  # gold member, bob works refunds
    await desk.online("alice")
    await desk.online("bob")
    vip = await desk.handoff("m2", category="recharge_not_received")
    normal = await desk.handoff("m1", category="recharge_not_received")
    assert (await desk.conv(vip)).assignee_id == desk.world.agents["bob"]
    assert (await desk.conv(normal)).assignee_id == desk.world.agents["alice"]
    # exclusive agent away: normal routing
    await desk.presence("bob", "away")
    vip2 = await desk.handoff("m2", category="recharge_not_received")
    assert (await desk.conv(vip2)).assignee_id == desk.world.agents["alice"]


async def test_capacity_is_never_exceeded_and_positions_are_published(desk: Desk) -> None:
    await desk.online("alice", capacity=2)
    received: list[dict[str, Any]] = []
    ids = [await desk.handoff() for _ in range(2)]
    waiting = [await desk.handoff() for _ in range(3)]
    assert await desk.active_of("alice") == 2
    for public_id in ids:
        assert (await desk.conv(public_id)).status == "assigned"
    for public_id in waiting:
        assert (await desk.conv(public_id)).status == "queued"
    # a customer listening to their conversation sees the queue change when one is freed
    async with desk.kefu.broker.subscribe(*(conversation_channel(p) for p in waiting)) as q:
        await conv_actions.do_change_status(desk.kefu, desk.staff("alice"), ids[0], "resolved")
        await asyncio.sleep(0)
        while not q.empty():
            received.append(q.get_nowait())
    assert await desk.active_of("alice") == 2
    assert (await desk.conv(waiting[0])).status == "assigned"
    queue_msgs = {m["conversation_id"]: m for m in received if m.get("type") == "queue"}
    assert queue_msgs[waiting[1]]["position"] == 1
    assert queue_msgs[waiting[2]]["position"] == 2
    assert queue_msgs[waiting[2]]["offer_alternatives"] is True  # not enough data yet
    assert queue_msgs[waiting[2]]["expected_wait_seconds"] is None
    # a second pass changes nothing
    assert await run_queue_pass(desk.kefu, desk.world.tenant_id) == []
    assert await desk.active_of("alice") == 2


async def test_offline_agent_loses_conversations_after_the_grace_period(desk: Desk) -> None:
    await desk.online("alice")
    public_id = await desk.handoff()
    assert (await desk.conv(public_id)).assignee_id == desk.world.agents["alice"]
    await desk.say(desk.staff("alice"), public_id, "您好，我是小林")  # in progress now
    await desk.presence("alice", "offline")
    assert (await desk.conv(public_id)).assignee_id == desk.world.agents["alice"]
    await desk.online("supervisor")  # also works recharge
    desk.clock.advance(seconds=60)
    assert public_id not in await sweep_presence(desk.kefu)  # within the grace period
    assert (await desk.conv(public_id)).assignee_id == desk.world.agents["alice"]
    desk.clock.advance(seconds=61)
    assert public_id in await sweep_presence(desk.kefu)
    conv = await desk.conv(public_id)
    assert conv.status == "assigned" and conv.assignee_id == desk.world.agents["supervisor"]
    changes = [e.data for e in await desk.events(public_id, "status_change")]
    assert {"from": "assigned", "to": "queued", "reason": "agent_offline"} in changes


async def test_grace_period_is_a_tenant_setting(desk: Desk) -> None:
    await desk.set_tenant_settings(routing={"reassign_grace_seconds": 10})
    await desk.online("alice")
    public_id = await desk.handoff()
    await desk.say(desk.staff("alice"), public_id, "您好")
    await desk.presence("alice", "away")
    desk.clock.advance(timedelta(seconds=11))
    assert public_id in await sweep_presence(desk.kefu)
    assert (await desk.conv(public_id)).status == "queued"  # nobody else online


async def test_nobody_is_assigned_to_an_agent_whose_console_lease_ran_out(desk: Desk) -> None:
    """A process died holding alice's only console: before any sweep has noticed, the
    queue already treats her as absent."""
    alice = desk.staff("alice")
    await console_presence.do_open_console(desk.kefu, alice, "dying-process", 1.0)
    await agent_actions.do_set_presence(desk.kefu, alice, "online")
    desk.clock.advance(lease_length(1.0) + timedelta(seconds=1))
    public_id = await desk.handoff()
    conv = await desk.conv(public_id)
    assert conv.status == "queued" and conv.assignee_id is None
    assert (await desk.agent("alice")).presence == "online"  # not swept yet
    await desk.online("bob")  # the queue pass runs again: still not alice
    assert (await desk.conv(public_id)).assignee_id != desk.world.agents["alice"]
    # leave no one behind for later tests' ticks (their clocks start before this lease)
    await desk.presence("alice", "offline")


async def test_closing_the_last_console_requeues_waiting_customers_only(desk: Desk) -> None:
    """A customer nobody answered yet goes back to the queue at once; one already being
    helped stays with the agent for the grace period (presence_watch)."""
    await desk.online("alice")
    helped = await desk.handoff("m1")
    waiting = await desk.handoff("m2")
    assert (await desk.conv(waiting)).assignee_id == desk.world.agents["alice"]
    await desk.say(desk.staff("alice"), helped, "您好，我来帮您查")
    await desk.say(desk.customer("m1"), helped, "好的")
    connection = f"desk-{desk.world.tenant_id}-{desk.world.agents['alice']}"
    requeued = await console_presence.do_close_console(desk.kefu, desk.staff("alice"), connection)
    assert requeued == [waiting]
    assert (await desk.agent("alice")).presence == "offline"
    assert (await desk.conv(waiting)).status == "queued"
    assert (await desk.conv(helped)).assignee_id == desk.world.agents["alice"]
    desk.clock.advance(seconds=121)
    assert helped in await sweep_presence(desk.kefu)
