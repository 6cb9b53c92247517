"""/api/v1/webhooks: a tenant's outgoing webhook endpoints, their signing keys, the
delivery log and redelivery by hand (admins only; docs/webhooks.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from kefu.actions import webhook_delivery, webhook_endpoints
from kefu.queries.webhooks_view import (
    DeliveryView,
    EndpointView,
    endpoint_deliveries,
    list_endpoints,
)
from kefu.web.api.schemas import ERROR_RESPONSES, Strict
from kefu.web.deps import ActorDep, KefuDep

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES, tags=["webhooks"])

PublicId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_]+$")]


class EndpointBody(Strict):
    url: Annotated[str, Field(max_length=500, examples=["https://shop.example/kefu/hook"])]
    event_types: Annotated[list[str], Field(max_length=20, examples=[["rating.created"]])]


class EndpointPatch(Strict):
    url: Annotated[str | None, Field(max_length=500)] = None
    event_types: Annotated[list[str] | None, Field(max_length=20)] = None
    active: bool | None = None


class SecretShown(BaseModel):
    """The new signing secret, shown this once (kefu stores it sealed)."""

    endpoint_id: str
    key_id: str
    secret: str
    key_ids: list[str]


class DeliveryLog(BaseModel):
    endpoint: EndpointView
    deliveries: list[DeliveryView]


def _shown(made: webhook_endpoints.NewSecret) -> SecretShown:
    return SecretShown(
        endpoint_id=made.endpoint.public_id,
        key_id=made.kid,
        secret=made.secret,
        key_ids=[s["kid"] for s in made.endpoint.secrets],
    )


@router.get("/webhooks")
async def get_webhooks(kefu: KefuDep, actor: ActorDep) -> list[EndpointView]:
    return await list_endpoints(kefu, actor)


@router.post("/webhooks", status_code=201)
async def create_webhook(body: EndpointBody, kefu: KefuDep, actor: ActorDep) -> SecretShown:
    """A new endpoint and its first signing secret (shown once)."""
    return _shown(
        await webhook_endpoints.do_create_endpoint(kefu, actor, body.url, body.event_types)
    )


@router.patch("/webhooks/{endpoint_id}")
async def patch_webhook(
    endpoint_id: PublicId, body: EndpointPatch, kefu: KefuDep, actor: ActorDep
) -> DeliveryLog:
    await webhook_endpoints.do_update_endpoint(
        kefu, actor, endpoint_id, url=body.url, event_types=body.event_types, active=body.active
    )
    endpoint, deliveries = await endpoint_deliveries(kefu, actor, endpoint_id)
    return DeliveryLog(endpoint=endpoint, deliveries=deliveries)


@router.post("/webhooks/{endpoint_id}/keys", status_code=201)
async def rotate_webhook_key(endpoint_id: PublicId, kefu: KefuDep, actor: ActorDep) -> SecretShown:
    """Rotate: a new newest secret; the previous one keeps signing until retired."""
    return _shown(await webhook_endpoints.do_rotate_secret(kefu, actor, endpoint_id))


@router.delete("/webhooks/{endpoint_id}/keys/{key_id}")
async def retire_webhook_key(
    endpoint_id: PublicId, key_id: PublicId, kefu: KefuDep, actor: ActorDep
) -> EndpointView:
    await webhook_endpoints.do_retire_secret(kefu, actor, endpoint_id, key_id)
    endpoint, _ = await endpoint_deliveries(kefu, actor, endpoint_id)
    return endpoint


@router.get("/webhooks/{endpoint_id}/deliveries")
async def get_webhook_deliveries(
    endpoint_id: PublicId, kefu: KefuDep, actor: ActorDep
) -> DeliveryLog:
    """The latest 100 deliveries, the newest first (times also in the tenant's zone)."""
    endpoint, deliveries = await endpoint_deliveries(kefu, actor, endpoint_id)
    return DeliveryLog(endpoint=endpoint, deliveries=deliveries)


@router.post("/webhooks/deliveries/{delivery_id}/redeliver", status_code=202)
async def redeliver_webhook(
    delivery_id: PublicId, kefu: KefuDep, actor: ActorDep
) -> dict[str, str]:
    """Send the same body (same delivery id) again now; retried as usual if it fails."""
    row = await webhook_delivery.do_redeliver(kefu, actor, delivery_id)
    return {"id": row.public_id, "status": "pending"}
