"""Outgoing webhooks: what a tenant can subscribe to, and how a delivery is signed.

A delivery is signed with HMAC-SHA256 over ``<timestamp>.<body>`` (the Unix time in
seconds, a dot, the exact body bytes) with every active secret of the endpoint: at most
two, the newest first, so a receiver that still holds the previous secret keeps
verifying while the new one is rolled out. Headers (docs/webhooks.md):

``Kefu-Webhook-Id``         the delivery's id (the same on every retry: dedupe on it)
``Kefu-Webhook-Timestamp``  when this attempt was signed (Unix seconds)
``Kefu-Webhook-Key-Id``     the id of the newest secret
``Kefu-Webhook-Signature``  ``<key id>=<hex>`` per active secret, comma-separated

A receiver rejects a timestamp more than ``REPLAY_WINDOW`` away from its clock and a
delivery id it has already processed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from enum import StrEnum

REPLAY_WINDOW = 300  # seconds
MAX_ACTIVE_SECRETS = 2

HEADER_ID = "Kefu-Webhook-Id"
HEADER_TIMESTAMP = "Kefu-Webhook-Timestamp"
HEADER_KEY_ID = "Kefu-Webhook-Key-Id"
HEADER_SIGNATURE = "Kefu-Webhook-Signature"


class WebhookEvent(StrEnum):
    """The event types an endpoint subscribes to (``webhook_endpoints.event_types``)."""

    CONVERSATION_CREATED = "conversation.created"
    CONVERSATION_HANDOFF = "conversation.handoff"
    CONVERSATION_ASSIGNED = "conversation.assigned"
    CONVERSATION_STATUS_CHANGED = "conversation.status_changed"
    TICKET_CREATED = "ticket.created"
    RATING_CREATED = "rating.created"
    ORDER_UPDATED = "order.updated"
    REFUND_UPDATED = "refund.updated"


WEBHOOK_EVENT_LABELS: dict[WebhookEvent, tuple[str, str]] = {
    WebhookEvent.CONVERSATION_CREATED: ("新会话", "conversation created"),
    WebhookEvent.CONVERSATION_HANDOFF: ("转人工", "handed off to a person"),
    WebhookEvent.CONVERSATION_ASSIGNED: ("会话分配", "conversation assigned"),
    WebhookEvent.CONVERSATION_STATUS_CHANGED: ("会话状态变更", "conversation status changed"),
    WebhookEvent.TICKET_CREATED: ("新工单", "ticket created"),
    WebhookEvent.RATING_CREATED: ("客户评价", "rating given"),
    WebhookEvent.ORDER_UPDATED: ("订单状态变更", "order status changed"),
    WebhookEvent.REFUND_UPDATED: ("退款进度", "refund status changed"),
}


def signed_content(timestamp: int, body: bytes) -> bytes:
    return f"{timestamp}.".encode("ascii") + body


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), signed_content(timestamp, body), hashlib.sha256)
    return mac.hexdigest()


def signature_header(secrets: Sequence[tuple[str, str]], timestamp: int, body: bytes) -> str:
    """``secrets``: (key id, secret), the newest first."""
    return ",".join(f"{kid}={sign(secret, timestamp, body)}" for kid, secret in secrets)


def verify(
    secrets: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
    now: float,
    window: int = REPLAY_WINDOW,
) -> bool:
    """The receiver's check (kefu's own tests use it beside docs/webhooks.md's copies):
    the timestamp within ``window`` of ``now`` and one signature, by a key id the
    receiver holds, matching in constant time."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        timestamp = int(lowered.get(HEADER_TIMESTAMP.lower(), ""))
    except ValueError:
        return False
    if abs(now - timestamp) > window:
        return False
    for part in lowered.get(HEADER_SIGNATURE.lower(), "").split(","):
        kid, _, given = part.strip().partition("=")
        secret = secrets.get(kid)
        if secret is not None and hmac.compare_digest(sign(secret, timestamp, body), given):
            return True
    return False
