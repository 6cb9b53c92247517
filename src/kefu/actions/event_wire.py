"""The wire shape of a committed event: one dict for the REST timeline, the live socket
and the broker's wake-ups (docs/protocol.md)."""

from __future__ import annotations

from typing import Any

from kefu.domain.event_text import wire_text
from kefu.storage.models import Event


def event_payload(conversation_public_id: str, event: Event) -> dict[str, Any]:
    """Same event shape as GET /api/v1/conversations/{id}/events."""
    return {
        "conversation_id": conversation_public_id,
        "seq": event.seq,
        "type": event.type,
        "visibility": "internal" if event.visibility == "internal" else "public",
        "author_type": event.author_type,
        "author_id": event.author_id,
        "body": event.body,
        "data": event.data or {},
        "client_msg_id": event.client_msg_id,
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
        # what a system event says in Chinese (domain/event_text.py): for customers on
        # public events, for staff on internal ones; null for messages (see body)
        "text": wire_text(event.type, event.data, event.body, event.visibility),
    }


#: What a customer may see of an event's data, by event type (other types: all of it).
#: A bot turn shows its answer (the body) and its choices; the intent, confidence,
#: reason, article and flags the bot recorded are for staff only.
CUSTOMER_DATA_KEYS: dict[str, tuple[str, ...]] = {
    "bot_turn": ("quick_replies",),
    "handoff": (),
}


def customer_data(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """The part of an event's data shown to the customer."""
    keys = CUSTOMER_DATA_KEYS.get(event_type)
    if keys is None:
        return data
    return {k: data[k] for k in keys if k in data}


def customer_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """An event payload as the customer receives it."""
    return {**payload, "data": customer_data(str(payload.get("type")), payload.get("data") or {})}
