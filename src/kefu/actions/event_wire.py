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
