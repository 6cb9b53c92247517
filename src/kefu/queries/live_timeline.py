"""Reading a conversation's timeline after a seq, for live delivery."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from kefu.storage.database import Database
from kefu.storage.models import Event


async def events_after(
    db: Database, conversation_id: int, after_seq: int, *, public_only: bool, limit: int
) -> Sequence[Event]:
    """Events with seq > after_seq in order; customers get public ones only. The caller
    has already checked access to the conversation."""
    stmt = select(Event).where(Event.conversation_id == conversation_id, Event.seq > after_seq)
    if public_only:
        stmt = stmt.where(Event.visibility == "public")
    stmt = stmt.order_by(Event.seq).limit(limit)
    async with db.read() as session:
        return list((await session.execute(stmt)).scalars())
