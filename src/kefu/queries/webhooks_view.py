"""What admins read about outgoing webhooks: the endpoints (never a secret, only key
ids) and each endpoint's delivery log, times in the tenant's zone with the date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from kefu.actions.auth import require_admin
from kefu.actions.context import Actor, Kefu
from kefu.domain.event_text import local_time
from kefu.domain.webhook_signing import WEBHOOK_EVENT_LABELS, WebhookEvent
from kefu.errors import NotFound
from kefu.queries.sla_view import tenant_settings, tenant_zone
from kefu.storage.models import WebhookDelivery, WebhookEndpoint

STATUS_ZH = {
    "pending": "等待投递",
    "retrying": "重试中",
    "delivered": "已送达",
    "failed": "投递失败",
}
DELIVERIES_SHOWN = 100


@dataclass(frozen=True)
class EndpointView:
    id: str
    url: str
    event_types: list[str]
    event_labels: list[str]
    key_ids: list[str]  # the newest first
    active: bool
    created_at: datetime
    created_local: str


@dataclass(frozen=True)
class DeliveryView:
    id: str
    event_type: str
    event_label: str
    status: str
    status_label: str
    attempts: int
    redeliveries: int
    response_code: int | None
    last_error: str | None
    created_at: datetime
    created_local: str
    last_attempt_at: datetime | None
    last_attempt_local: str | None


def _label(event_type: str) -> str:
    try:
        return WEBHOOK_EVENT_LABELS[WebhookEvent(event_type)][0]
    except ValueError:
        return event_type


def endpoint_view(endpoint: WebhookEndpoint, zone: ZoneInfo) -> EndpointView:
    return EndpointView(
        id=endpoint.public_id,
        url=endpoint.url,
        event_types=list(endpoint.event_types),
        event_labels=[_label(t) for t in endpoint.event_types],
        key_ids=[s["kid"] for s in endpoint.secrets],
        active=endpoint.active,
        created_at=endpoint.created_at,
        created_local=local_time(endpoint.created_at, zone),
    )


def delivery_view(row: WebhookDelivery, zone: ZoneInfo) -> DeliveryView:
    return DeliveryView(
        id=row.public_id,
        event_type=row.event_type,
        event_label=_label(row.event_type),
        status=row.status,
        status_label=STATUS_ZH.get(row.status, row.status),
        attempts=row.attempts,
        redeliveries=row.redeliveries,
        response_code=row.response_code,
        last_error=row.last_error,
        created_at=row.created_at,
        created_local=local_time(row.created_at, zone),
        last_attempt_at=row.last_attempt_at,
        last_attempt_local=local_time(row.last_attempt_at, zone) if row.last_attempt_at else None,
    )


async def list_endpoints(kefu: Kefu, actor: Actor) -> list[EndpointView]:
    require_admin(actor)
    async with kefu.db.read() as session:
        zone = tenant_zone(await tenant_settings(session, actor.tenant_id))
        rows = (
            await session.execute(
                select(WebhookEndpoint)
                .where(WebhookEndpoint.tenant_id == actor.tenant_id)
                .order_by(WebhookEndpoint.id)
            )
        ).scalars()
        return [endpoint_view(e, zone) for e in rows]


async def endpoint_deliveries(
    kefu: Kefu, actor: Actor, endpoint_public_id: str
) -> tuple[EndpointView, list[DeliveryView]]:
    """The endpoint and its latest deliveries, the newest first."""
    require_admin(actor)
    async with kefu.db.read() as session:
        endpoint = (
            await session.execute(
                select(WebhookEndpoint).where(
                    WebhookEndpoint.public_id == endpoint_public_id,
                    WebhookEndpoint.tenant_id == actor.tenant_id,
                )
            )
        ).scalar_one_or_none()
        if endpoint is None:
            raise NotFound("webhook endpoint", "Webhook 接收地址")
        zone = tenant_zone(await tenant_settings(session, actor.tenant_id))
        rows = (
            await session.execute(
                select(WebhookDelivery)
                .where(WebhookDelivery.endpoint_id == endpoint.id)
                .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
                .limit(DELIVERIES_SHOWN)
            )
        ).scalars()
        return endpoint_view(endpoint, zone), [delivery_view(r, zone) for r in rows]
