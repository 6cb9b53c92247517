"""Group commit: concurrent writes share one COMMIT on SQLite, a failing one rolls back
only itself, seq stays gapless and client_msg_id idempotent inside a batch. The same
outcomes hold on PostgreSQL, where writes are not grouped (each commits on its own)."""

from __future__ import annotations

import asyncio
import multiprocessing
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from kefu.actions import conversations as conv_actions
from kefu.actions.context import Actor, ActorKind, Kefu
from kefu.clock import FakeClock
from kefu.realtime.broker import InProcessBroker
from kefu.storage.database import Database
from kefu.storage.models import Conversation, Event, Tenant
from tests.conftest import make_settings
from tests.world import build_world

pytestmark = pytest.mark.anyio
WHEN = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def kefu(database_url: str, tmp_path: Path) -> AsyncIterator[Kefu]:
    settings = make_settings(database_url, tmp_path / "var")
    k = Kefu(settings, Database(database_url), InProcessBroker(), FakeClock(WHEN))
    yield k
    await k.db.dispose()


async def _failing_write(kefu: Kefu) -> None:
    """Writes a row, then breaks a unique constraint: must leave nothing behind."""
    async with kefu.db.write() as s:
        s.add(Tenant(slug="gc-marker", name="标", widget_secret="m", settings={}, created_at=WHEN))
        await s.flush()
        s.add(Tenant(slug="demo-dup", name="重复", widget_secret="y", settings={}, created_at=WHEN))
        s.add(Tenant(slug="demo-dup", name="重复", widget_secret="z", settings={}, created_at=WHEN))


async def test_concurrent_posts_one_failing_others_committed(kefu: Kefu) -> None:
    world = await build_world(kefu)
    customers = [world.customers["m1"], world.customers["m2"]]
    convs = []
    for cid in customers:
        actor = Actor(ActorKind.CUSTOMER, world.tenant_id, customer_id=cid)
        conv = await conv_actions.do_create_conversation(
            kefu, actor, conv_actions.NewConversation(body="开始", start_with_bot=False)
        )
        convs.append((actor, conv.public_id, conv.id))
    before = kefu.db.writer.stats.batches if kefu.db.writer else 0

    async def post(i: int) -> int:
        actor, public_id, _ = convs[i % 2]
        posted = await conv_actions.do_post_message(
            kefu, actor, public_id, f"并发消息 {i}", client_msg_id=f"g-{i}"
        )
        return posted.event.seq

    jobs = [post(i) for i in range(20)]
    jobs.insert(7, _failing_write(kefu))  # type: ignore[arg-type]
    # the same client_msg_id twice in the same burst: stored once
    jobs.append(post(3))
    results = await asyncio.gather(*jobs, return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 1 and isinstance(failures[0], IntegrityError)
    async with kefu.db.read() as s:
        for _, _, conv_id in convs:
            seqs = list(
                (
                    await s.execute(
                        select(Event.seq)
                        .where(Event.conversation_id == conv_id)
                        .order_by(Event.seq)
                    )
                ).scalars()
            )
            last = (
                await s.execute(select(Conversation.last_seq).where(Conversation.id == conv_id))
            ).scalar_one()
            assert seqs == list(range(1, 12))  # opening message + 10 posts, no gap
            assert last == 11
        counters = (
            await s.execute(select(func.count()).where(Tenant.slug == "gc-marker"))
        ).scalar_one()
        dups = (await s.execute(select(func.count()).where(Tenant.slug == "demo-dup"))).scalar_one()
    assert (counters, dups) == (0, 0)  # the failed write left nothing behind
    # the resend of g-3 got g-3's seq back
    assert results[-1] == results[3]
    if kefu.db.writer is not None:  # SQLite: the burst shared COMMITs
        stats = kefu.db.writer.stats
        assert stats.failed_writes == 1
        assert stats.batches - before < 21
        assert stats.largest_batch > 1


def _hold_write_lock(path: str, ready: multiprocessing.synchronize.Event, seconds: float) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    ready.set()
    import time

    time.sleep(seconds)
    conn.execute("COMMIT")
    conn.close()


async def test_writes_wait_for_another_process_lock_without_blocking_the_loop(
    kefu: Kefu, database_url: str
) -> None:
    """Another process holds the SQLite write lock: our writes wait (in the driver's
    thread) and then commit, and the event loop keeps running meanwhile."""
    if not kefu.db.is_sqlite:
        pytest.skip("SQLite only: one writer per file")
    path = make_url(database_url).database
    assert path
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_write_lock, args=(path, ready, 1.0))
    holder.start()
    try:
        assert await asyncio.to_thread(ready.wait, 30)
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        async with kefu.db.write() as s:
            s.add(Tenant(slug="lock-wait", name="锁", widget_secret="w", created_at=WHEN))
        done.set()
        await task
    finally:
        holder.join(30)
    # the loop kept ticking while our write waited for the lock (with the wait on the
    # loop, as the old inline driver did, it would have ticked once or twice)
    assert ticks > 10
    async with kefu.db.read() as s:
        assert (
            await s.execute(select(func.count()).where(Tenant.slug == "lock-wait"))
        ).scalar_one() == 1
