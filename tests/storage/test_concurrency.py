"""Concurrent writers: seq stays gapless and unique; a claim has exactly one winner, and
no agent goes over capacity. On PostgreSQL two engines stand in for two processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from kefu.actions import assignment
from kefu.actions import conversations as conv_actions
from kefu.actions.context import Actor, ActorKind, Kefu, Role
from kefu.clock import FakeClock
from kefu.errors import KefuError
from kefu.realtime.broker import InProcessBroker
from kefu.storage.database import Database
from kefu.storage.models import Conversation, Event
from tests.conftest import make_settings
from tests.world import World, build_world

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def two_kefus(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Kefu, Kefu]]:
    settings = make_settings(database_url, tmp_path / "var")
    clock = FakeClock()
    a = Kefu(settings, Database(database_url), InProcessBroker(), clock)
    # on SQLite one process owns the file: share the engine (and its write lock)
    b = a if a.db.is_sqlite else Kefu(settings, Database(database_url), InProcessBroker(), clock)
    yield a, b
    await a.db.dispose()
    if b is not a:
        await b.db.dispose()


async def test_concurrent_messages_get_gapless_seq(two_kefus: tuple[Kefu, Kefu]) -> None:
    a, b = two_kefus
    world: World = await build_world(a)
    customer = Actor(ActorKind.CUSTOMER, world.tenant_id, customer_id=world.customers["m1"])
    conv = await conv_actions.do_create_conversation(
        a, customer, conv_actions.NewConversation(body="开始")
    )

    async def send(kefu: Kefu, i: int) -> None:
        await conv_actions.do_post_message(
            kefu, customer, conv.public_id, f"消息 {i}", client_msg_id=f"c{i}"
        )

    await asyncio.gather(*(send(a if i % 2 else b, i) for i in range(30)))
    # resends of the same ids, concurrently, store nothing new
    await asyncio.gather(*(send(b if i % 2 else a, i) for i in range(30)))
    async with a.db.read() as session:
        seqs = list(
            (
                await session.execute(
                    select(Event.seq).where(Event.conversation_id == conv.id).order_by(Event.seq)
                )
            ).scalars()
        )
        last = (
            await session.execute(select(Conversation.last_seq).where(Conversation.id == conv.id))
        ).scalar_one()
    assert seqs == list(range(1, 32))
    assert last == 31


async def test_concurrent_claims_have_one_winner(two_kefus: tuple[Kefu, Kefu]) -> None:
    a, b = two_kefus
    world = await build_world(a)
    customer = Actor(ActorKind.CUSTOMER, world.tenant_id, customer_id=world.customers["m1"])
    conv = await conv_actions.do_create_conversation(
        a, customer, conv_actions.NewConversation(body="hi")
    )
    agents = [
        Actor(ActorKind.STAFF, world.tenant_id, agent_id=world.agents[name], role=Role.AGENT)
        for name in ("alice", "bob")
    ]

    async def claim(kefu: Kefu, actor: Actor) -> str:
        try:
            await assignment.do_assign_conversation(
                kefu, actor, conv.public_id, actor.agent_id or 0
            )
            return "won"
        except KefuError as exc:
            return exc.code

    results = await asyncio.gather(*(claim(a if i % 2 else b, agents[i % 2]) for i in range(10)))
    async with a.db.read() as session:
        row = (
            await session.execute(select(Conversation).where(Conversation.id == conv.id))
        ).scalar_one()
        assignments = list(
            (
                await session.execute(
                    select(Event).where(
                        Event.conversation_id == conv.id, Event.type == "assignment"
                    )
                )
            ).scalars()
        )
    assert len(assignments) == 1
    assert row.assignee_id == assignments[0].data["agent_id"]
    winner = "alice" if row.assignee_id == world.agents["alice"] else "bob"
    loser_codes = {
        r for i, r in enumerate(results) if agents[i % 2].agent_id != world.agents[winner]
    }
    assert loser_codes == {"already_assigned"}


async def test_capacity_never_exceeded_under_concurrency(two_kefus: tuple[Kefu, Kefu]) -> None:
    a, b = two_kefus
    world = await build_world(a)  # alice has capacity 2
    customer = Actor(ActorKind.CUSTOMER, world.tenant_id, customer_id=world.customers["m1"])
    convs = [
        await conv_actions.do_create_conversation(
            a, customer, conv_actions.NewConversation(body=f"{i}")
        )
        for i in range(6)
    ]
    alice = Actor(ActorKind.STAFF, world.tenant_id, agent_id=world.agents["alice"], role=Role.AGENT)

    async def claim(kefu: Kefu, public_id: str) -> bool:
        try:
            await assignment.do_assign_conversation(kefu, alice, public_id, world.agents["alice"])
            return True
        except KefuError:
            return False

    won = await asyncio.gather(
        *(claim(a if i % 2 else b, c.public_id) for i, c in enumerate(convs))
    )
    assert sum(won) == 2
