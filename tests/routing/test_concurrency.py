"""Several processes: queue passes racing on the same tenant never double-assign or go
over capacity; two SLA sweepers never process the same row twice (SKIP LOCKED). On
PostgreSQL two engines stand in for two processes; on SQLite one process owns the file."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from kefu.actions.context import Kefu
from kefu.actions.escalation import sweep_sla
from kefu.actions.queueing import run_queue_pass
from kefu.clock import FakeClock
from kefu.jobs.runner import tick
from kefu.storage.models import Agent, Conversation, Event
from tests.routing.conftest import T0, routing_kefu
from tests.routing.support import Desk, make_desk

pytestmark = pytest.mark.anyio


@pytest.fixture
async def two(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Desk, Kefu]]:
    clock = FakeClock(T0)
    a = routing_kefu(database_url, tmp_path, clock)
    b = a if a.db.is_sqlite else routing_kefu(database_url, tmp_path, clock)
    yield await make_desk(a, clock), b
    await a.db.dispose()
    if b is not a:
        await b.db.dispose()


async def _events_by_conversation(desk: Desk, type_: str) -> Counter[int]:
    async with desk.kefu.db.read() as session:
        rows = (
            await session.execute(
                select(Event.conversation_id).where(
                    Event.tenant_id == desk.world.tenant_id, Event.type == type_
                )
            )
        ).scalars()
        return Counter(rows)


async def test_racing_queue_passes_never_double_assign(two: tuple[Desk, Kefu]) -> None:
    desk, other = two
    # everyone offline while the queue fills, so the passes race when agents arrive
    ids = [await desk.handoff(category="recharge_not_received") for _ in range(12)]
    for name in ("alice", "supervisor"):
        await desk.console(name)  # their consoles are connected (no pass: still offline)
    async with desk.kefu.db.write() as session:
        for name in ("alice", "supervisor"):
            agent = await session.get(Agent, desk.world.agents[name])
            assert agent is not None
            agent.presence = "online"
            agent.capacity = 3
    results = await asyncio.gather(
        *(run_queue_pass(k, desk.world.tenant_id) for k in (desk.kefu, other) * 4),
        tick(other),
    )
    assert sum(len(r) for r in results[:-1]) + results[-1].assigned == 6
    assert await desk.active_of("alice") == 3
    assert await desk.active_of("supervisor") == 3
    assignments = await _events_by_conversation(desk, "assignment")
    assert sorted(assignments.values()) == [1] * 6
    statuses = Counter([(await desk.conv(p)).status for p in ids])
    assert statuses == {"assigned": 6, "queued": 6}


async def test_two_sweepers_never_process_a_row_twice(two: tuple[Desk, Kefu]) -> None:
    desk, other = two
    ids = [await desk.handoff(category="order_status") for _ in range(40)]
    desk.clock.advance(timedelta(minutes=11))
    for _ in range(3):
        await asyncio.gather(*(sweep_sla(k, limit=7) for k in (desk.kefu, other, desk.kefu, other)))
    warnings = await _events_by_conversation(desk, "sla_warning")
    breaches = await _events_by_conversation(desk, "sla_breach")
    async with desk.kefu.db.read() as session:
        conv_ids = list(
            (
                await session.execute(
                    select(Conversation.id).where(Conversation.public_id.in_(ids))
                )
            ).scalars()
        )
    assert {warnings[c] for c in conv_ids} == {1}
    assert {breaches[c] for c in conv_ids} == {2}  # the breach and its first escalation
