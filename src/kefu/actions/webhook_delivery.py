"""Outgoing webhook deliveries, through the outbox (docs/webhooks.md, docs/outbox.md).

``on_timeline`` (a subscriber) turns committed timeline events into webhook events; for
each active endpoint of the tenant subscribed to the type it writes a
``webhook_deliveries`` row and a ``webhook.deliver`` job in the same transaction. The
job signs the stored body and POSTs it; every attempt is recorded on the row (attempts,
response code, error, time). A non-2xx answer or no answer is retried with backoff; the
last failure leaves the delivery ``failed``. ``do_redeliver`` (admins) queues one more
attempt of the same body with the same delivery id, so a receiver can dedupe.
"""

from __future__ import annotations

import json
import secrets as random_secrets
from typing import Any

from sqlalchemy import select

from kefu.actions.auth import require_admin
from kefu.actions.context import Actor, Kefu, TimelineFact, Tx, transaction
from kefu.actions.outbox import GiveUp, enqueue, mark_done
from kefu.actions.webhook_endpoints import open_secrets
from kefu.channels.webhook_post import post_signed
from kefu.domain.conversation_state import EventType, Visibility
from kefu.domain.vocabulary.terms import Channel, OrderStatus
from kefu.domain.webhook_signing import WebhookEvent
from kefu.errors import Conflict, NotFound
from kefu.storage.models import Conversation, Job, Tenant, WebhookDelivery, WebhookEndpoint

JOB_KIND = "webhook.deliver"
TICKET_CHANNELS = (Channel.TICKET.value, Channel.EMAIL.value)
REFUND_STATUSES = (
    OrderStatus.REFUNDING.value,
    OrderStatus.PARTIALLY_REFUNDED.value,
    OrderStatus.REFUNDED.value,
)
_SIMPLE: dict[str, WebhookEvent] = {
    EventType.HANDOFF.value: WebhookEvent.CONVERSATION_HANDOFF,
    EventType.ASSIGNMENT.value: WebhookEvent.CONVERSATION_ASSIGNED,
    EventType.STATUS_CHANGE.value: WebhookEvent.CONVERSATION_STATUS_CHANGED,
    EventType.RATING.value: WebhookEvent.RATING_CREATED,
}


def webhook_events(fact: TimelineFact, channel: str | None) -> list[WebhookEvent]:
    """The webhook events one committed timeline event stands for (``channel``: the
    conversation's, needed only for its first event)."""
    out: list[WebhookEvent] = []
    if fact.seq == 1:
        ticket = channel in TICKET_CHANNELS
        out.append(WebhookEvent.TICKET_CREATED if ticket else WebhookEvent.CONVERSATION_CREATED)
    if fact.visibility != Visibility.PUBLIC.value and fact.type != EventType.STATUS_CHANGE.value:
        return out
    if fact.type in _SIMPLE:
        out.append(_SIMPLE[fact.type])
    elif fact.type == EventType.ORDER_UPDATE.value:
        refund = fact.data.get("to") in REFUND_STATUSES
        out.append(WebhookEvent.REFUND_UPDATED if refund else WebhookEvent.ORDER_UPDATED)
    return out


def _event_data(fact: TimelineFact, conv: Conversation | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "conversation_id": fact.conversation_public_id,
        "seq": fact.seq,
        "timeline_event": fact.type,
        "status": fact.status,
    }
    if conv is not None:
        data["number"] = conv.number
        data["channel"] = conv.channel
    if fact.type in (*_SIMPLE, EventType.ORDER_UPDATE.value):
        data["event"] = dict(fact.data)
    return data


async def on_timeline(kefu: Kefu, tx: Tx, facts: list[TimelineFact]) -> None:
    wanted: list[tuple[TimelineFact, WebhookEvent, Conversation | None]] = []
    for fact in facts:
        if fact.seq != 1 and fact.type not in _SIMPLE and fact.type != EventType.ORDER_UPDATE:
            continue  # the hot path (messages, bot turns) stops here, no query
        conv = await tx.session.get(Conversation, fact.conversation_id)
        for event in webhook_events(fact, conv.channel if conv else None):
            wanted.append((fact, event, conv))
    if not wanted:
        return
    tenant_ids = {fact.tenant_id for fact, _, _ in wanted}
    endpoints = list(
        (
            await tx.session.execute(
                select(WebhookEndpoint).where(
                    WebhookEndpoint.tenant_id.in_(tenant_ids), WebhookEndpoint.active.is_(True)
                )
            )
        ).scalars()
    )
    if not endpoints:
        return
    slugs = {t: (await tx.session.get(Tenant, t)) for t in tenant_ids}
    for fact, event, conv in wanted:
        for endpoint in endpoints:
            if endpoint.tenant_id == fact.tenant_id and event.value in endpoint.event_types:
                tenant = slugs[fact.tenant_id]
                await plan_delivery(tx, endpoint, event, fact, conv, tenant.slug if tenant else "")


async def plan_delivery(
    tx: Tx,
    endpoint: WebhookEndpoint,
    event: WebhookEvent,
    fact: TimelineFact,
    conv: Conversation | None,
    tenant_slug: str,
) -> WebhookDelivery:
    public_id = "whd_" + random_secrets.token_hex(12)
    body = {
        "id": public_id,
        "type": event.value,
        "created_at": tx.now.isoformat(),
        "tenant": tenant_slug,
        "data": _event_data(fact, conv),
    }
    delivery = WebhookDelivery(
        tenant_id=endpoint.tenant_id,
        endpoint_id=endpoint.id,
        public_id=public_id,
        event_type=event.value,
        body=body,
        status="pending",
        attempts=0,
        redeliveries=0,
        created_at=tx.now,
    )
    tx.session.add(delivery)
    await enqueue(
        tx,
        JOB_KIND,
        public_id,
        {"delivery": public_id},
        tenant_id=endpoint.tenant_id,
        conversation_id=fact.conversation_id,
    )
    return delivery


def body_bytes(body: dict[str, Any]) -> bytes:
    """The exact bytes signed and sent (stable: the same on every attempt)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


async def run_webhook_job(kefu: Kefu, job: Job) -> None:
    public_id = str(job.payload.get("delivery", ""))
    async with kefu.db.read() as session:
        delivery = (
            await session.execute(
                select(WebhookDelivery).where(WebhookDelivery.public_id == public_id)
            )
        ).scalar_one_or_none()
        endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
    if delivery is None or endpoint is None:
        raise GiveUp("the delivery or its endpoint is gone")
    if not endpoint.active:
        raise GiveUp("the endpoint is switched off")
    now = kefu.clock.now()
    outcome = await post_signed(
        endpoint.url,
        public_id,
        body_bytes(delivery.body),
        open_secrets(kefu, endpoint),
        int(now.timestamp()),
    )
    async with transaction(kefu) as tx:
        row = await tx.session.get(
            WebhookDelivery, delivery.id, with_for_update=True, populate_existing=True
        )
        assert row is not None
        row.attempts += 1
        row.response_code = outcome.status_code
        row.last_attempt_at = tx.now
        row.last_error = outcome.error
        if outcome.delivered:
            row.status, row.delivered_at = "delivered", tx.now
            await mark_done(tx, job.id)
        else:
            row.status = "retrying"
    if not outcome.delivered:
        raise RuntimeError(outcome.error or "not delivered")


async def webhook_gave_up(kefu: Kefu, job: Job) -> None:
    """The outbox's last attempt failed: the delivery is ``failed`` (redeliver by hand)."""
    async with transaction(kefu) as tx:
        row = (
            await tx.session.execute(
                select(WebhookDelivery)
                .where(WebhookDelivery.public_id == str(job.payload.get("delivery", "")))
                .with_for_update()
            )
        ).scalar_one_or_none()
        if row is not None and row.status != "delivered":
            row.status = "failed"
            if job.last_error and not row.last_error:
                row.last_error = job.last_error[:2000]


async def do_redeliver(kefu: Kefu, actor: Actor, delivery_public_id: str) -> WebhookDelivery:
    """One more delivery of the same body (same id), now, by hand; retried as usual."""
    require_admin(actor)
    async with transaction(kefu) as tx:
        row = (
            await tx.session.execute(
                select(WebhookDelivery)
                .where(
                    WebhookDelivery.public_id == delivery_public_id,
                    WebhookDelivery.tenant_id == actor.tenant_id,
                )
                .with_for_update()
            )
        ).scalar_one_or_none()
        if row is None:
            raise NotFound("webhook delivery", "投递记录")
        if row.status in ("pending", "retrying"):
            raise Conflict(
                "webhook_delivery_in_progress",
                "该投递仍在自动重试中，请等待结果后再手动重发",
                "this delivery is still being retried; wait for its outcome",
            )
        row.redeliveries += 1
        row.status = "pending"
        await enqueue(
            tx,
            JOB_KIND,
            f"{row.public_id}:r{row.redeliveries}",
            {"delivery": row.public_id},
            tenant_id=row.tenant_id,
            run_at=None,
        )
    return row
