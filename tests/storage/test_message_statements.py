"""A chat message costs one seq UPDATE and one INSERT: the conversation row is not
written a second time by the session's flush, and the resend check reads no more than
an id (docs/write-path.md). SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from kefu.actions import conversations as conv_actions
from kefu.actions.context import Actor, ActorKind, Kefu
from kefu.clock import FakeClock
from kefu.realtime.broker import InProcessBroker
from kefu.storage.database import Database
from kefu.storage.models import Conversation, Event
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


async def test_one_update_and_one_insert_per_message(kefu: Kefu) -> None:
    world = await build_world(kefu)
    actor = Actor(ActorKind.CUSTOMER, world.tenant_id, customer_id=world.customers["m1"])
    conv = await conv_actions.do_create_conversation(
        kefu, actor, conv_actions.NewConversation(body="开始", start_with_bot=False)
    )
    statements: list[str] = []

    def record(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        statements.append(" ".join(statement.split()))

    engine = kefu.db.write_engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        posted = await conv_actions.do_post_message(
            kefu, actor, conv.public_id, "充值没到账", client_msg_id="s-1"
        )
        again = await conv_actions.do_post_message(
            kefu, actor, conv.public_id, "充值没到账", client_msg_id="s-1"
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    updates = [s for s in statements if s.startswith("UPDATE conversations")]
    inserts = [s for s in statements if s.startswith("INSERT INTO events")]
    assert len(updates) == 1, updates  # the seq allocation, nothing after it
    assert len(inserts) == 1, inserts  # the resend stored nothing
    assert any(s.startswith("SELECT events.id FROM events") for s in statements)
    assert again.duplicate and again.event.seq == posted.event.seq == 2
    assert again.event.body == "充值没到账"
    async with kefu.db.read() as s:
        row = (await s.execute(select(Conversation).where(Conversation.id == conv.id))).scalar_one()
        stored = (
            await s.execute(select(Event).where(Event.conversation_id == conv.id, Event.seq == 2))
        ).scalar_one()
    assert row.last_seq == 2 and row.updated_at == WHEN
    assert (stored.client_msg_id, stored.body, stored.created_at) == ("s-1", "充值没到账", WHEN)
