"""Appending to a conversation's timeline: the next seq, in the caller's transaction.

This is the write of every chat message, so its statements are built once (module
level, bind parameters) and run as Core statements: constructing and cache-keying a
fresh ORM statement per message, and the unit-of-work flush of one new row, cost more
CPU than the database work itself (docs/benchmarks.md)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from kefu.actions.context import Tx
from kefu.actions.stored_text import mask, mask_json
from kefu.domain.conversation_state import AuthorType, EventType, Visibility
from kefu.domain.event_payloads import parse_event_data
from kefu.storage.models import Conversation, Event

_conversations = cast(Table, Conversation.__table__)
_events = cast(Table, Event.__table__)

# allocate the next seq atomically (a row lock on PostgreSQL; the single writer's
# transaction on SQLite): seq stays gapless under concurrency
_NEXT_SEQ = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("conversation_id"))
    .values(last_seq=_conversations.c.last_seq + 1, updated_at=bindparam("now"))
    .returning(_conversations.c.last_seq)
)
_INSERT_EVENT = insert(_events).returning(_events.c.id)
# a resend check runs for every message and nearly always finds nothing: ask for the id
# only (Core), load the stored event when there is one
_BY_CLIENT_MSG_ID = select(_events.c.id).where(
    _events.c.conversation_id == bindparam("conversation_id"),
    _events.c.client_msg_id == bindparam("client_msg_id"),
)


async def append_event(
    tx: Tx,
    conv: Conversation,
    type_: EventType,
    *,
    author_type: AuthorType,
    author_id: int | None = None,
    body: str = "",
    data: dict[str, Any] | None = None,
    visibility: Visibility = Visibility.PUBLIC,
    client_msg_id: str | None = None,
    flush: bool = True,
) -> Event:
    """Check the payload against its type's schema (domain/event_payloads.py), then
    allocate the next seq and insert the event. The returned Event is persistent in the
    caller's session: a later change to it (linked attachments) is flushed as usual.
    `flush=False` (batch writers such as the SLA sweeper) leaves the INSERT to the
    session's next flush, so many events go in one batched statement."""
    parse_event_data(type_, data)
    session = tx.session
    result = await session.execute(_NEXT_SEQ, {"conversation_id": conv.id, "now": tx.now})
    seq = int(result.scalar_one())
    # what the UPDATE just stored: known to the session as the row's state, so the next
    # flush does not write it a second time
    set_committed_value(conv, "last_seq", seq)
    set_committed_value(conv, "updated_at", tx.now)
    values: dict[str, Any] = {
        "tenant_id": conv.tenant_id,
        "conversation_id": conv.id,
        "seq": seq,
        "type": type_.value,
        "visibility": visibility.value,
        "author_type": author_type.value,
        "author_id": author_id,
        # the Core INSERT below skips the session's before-flush masking: mask here
        "body": mask(body),
        "data": mask_json(data or {}),
        "client_msg_id": client_msg_id,
        "created_at": tx.now,
    }
    if flush:
        event_id = (await session.execute(_INSERT_EVENT, values)).scalar_one()
        event = Event(id=event_id, **values)
        make_transient_to_detached(event)
        session.add(event)  # persistent, nothing pending
    else:
        event = Event(**values)
        session.add(event)
    tx.appended.append((conv, event))
    return event


async def find_by_client_msg_id(tx: Tx, conv: Conversation, client_msg_id: str) -> Event | None:
    params = {"conversation_id": conv.id, "client_msg_id": client_msg_id}
    event_id = (await tx.session.execute(_BY_CLIENT_MSG_ID, params)).scalar_one_or_none()
    return None if event_id is None else await tx.session.get(Event, event_id)
