"""Appending to a conversation's timeline: the next seq, in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from kefu.actions.context import Tx
from kefu.domain.conversation_state import AuthorType, EventType, Visibility
from kefu.domain.event_payloads import parse_event_data
from kefu.storage.models import Conversation, Event


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
    allocate the next seq atomically (row lock on PostgreSQL) and insert the event."""
    parse_event_data(type_, data)
    result = await tx.session.execute(
        update(Conversation)
        .where(Conversation.id == conv.id)
        .values(last_seq=Conversation.last_seq + 1, updated_at=tx.now)
        .returning(Conversation.last_seq)
        .execution_options(synchronize_session=False)  # set by hand below
    )
    seq = int(result.scalar_one())
    conv.last_seq = seq
    conv.updated_at = tx.now
    event = Event(
        tenant_id=conv.tenant_id,
        conversation_id=conv.id,
        seq=seq,
        type=type_.value,
        visibility=visibility.value,
        author_type=author_type.value,
        author_id=author_id,
        body=body,
        data=data or {},
        client_msg_id=client_msg_id,
        created_at=tx.now,
    )
    tx.session.add(event)
    if flush:  # batch writers (the SLA sweeper) flush once for many events
        await tx.session.flush()
    tx.appended.append((conv, event))
    return event


async def find_by_client_msg_id(tx: Tx, conv: Conversation, client_msg_id: str) -> Event | None:
    stmt = select(Event).where(
        Event.conversation_id == conv.id, Event.client_msg_id == client_msg_id
    )
    return (await tx.session.execute(stmt)).scalar_one_or_none()
