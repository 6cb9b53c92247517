"""Read receipts (a write): how far each side has read a conversation, stored and relayed."""

from __future__ import annotations

from dataclasses import dataclass

from kefu.actions.access import access_conversation_by_public_id
from kefu.actions.context import Actor, Kefu, transaction
from kefu.errors import InvalidInput
from kefu.realtime.broker import conversation_channel


@dataclass(frozen=True)
class ReadMark:
    conversation_id: str
    who: str  # "customer" | "agent"
    seq: int
    changed: bool


def reader_side(actor: Actor) -> str:
    return "customer" if actor.is_customer else "agent"


async def do_mark_read(kefu: Kefu, actor: Actor, public_id: str, seq: int) -> ReadMark:
    """Move the reader's mark forward (never back, never past the last event) and tell
    the other side once the write has committed."""
    if seq < 0:
        raise InvalidInput("invalid_seq", "序号无效", "seq must be >= 0")
    who = reader_side(actor)
    async with transaction(kefu) as tx:
        conv = await access_conversation_by_public_id(tx.session, actor, public_id, for_update=True)
        target = min(seq, conv.last_seq)
        current = conv.customer_read_seq if who == "customer" else conv.agent_read_seq
        if target <= current:
            return ReadMark(conv.public_id, who, current, changed=False)
        if who == "customer":
            conv.customer_read_seq = target
        else:
            conv.agent_read_seq = target
        tx.notify(
            conversation_channel(conv.public_id),
            {"type": "read", "conversation_id": conv.public_id, "who": who, "seq": target},
        )
        return ReadMark(conv.public_id, who, target, changed=True)
