"""A tenant's outgoing webhook endpoints: create, rotate the signing secret, retire the
previous one, switch off (admins only; every change audited, section ``webhooks``).

A secret is shown once, when it is made, and stored sealed (``SecretBox``, its purpose
names the tenant, endpoint and key id). Rotation adds a new secret as the newest and
keeps the previous one active, so deliveries carry both signatures until the admin
retires the old key: receivers switch without a gap (docs/webhooks.md).
"""

from __future__ import annotations

import secrets as random_secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select

from kefu.actions.audit import record_change
from kefu.actions.auth import require_admin
from kefu.actions.context import Actor, Kefu, Tx, transaction
from kefu.actions.order_source import secret_box
from kefu.domain.webhook_signing import MAX_ACTIVE_SECRETS, WebhookEvent
from kefu.errors import Conflict, InvalidInput, NotFound
from kefu.storage.models import WebhookEndpoint

AUDIT_SECTION = "webhooks"
MAX_ENDPOINTS = 10


@dataclass(frozen=True)
class NewSecret:
    endpoint: WebhookEndpoint
    kid: str
    secret: str  # plaintext, shown once


def secret_purpose(tenant_id: int, endpoint_public_id: str, kid: str) -> str:
    return f"tenant:{tenant_id}:webhook:{endpoint_public_id}:{kid}"


def open_secrets(kefu: Kefu, endpoint: WebhookEndpoint) -> list[tuple[str, str]]:
    """(key id, secret) of the active secrets, the newest first."""
    box = secret_box(kefu)
    return [
        (
            s["kid"],
            box.open(s["sealed"], secret_purpose(endpoint.tenant_id, endpoint.public_id, s["kid"])),
        )
        for s in endpoint.secrets
    ]


def check_url(url: str) -> str:
    url = url.strip()
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # both raise on a malformed authority
    except ValueError:
        host, parts = None, urlsplit("")
    if parts.scheme not in ("https", "http") or not host or len(url) > 500:
        raise InvalidInput(
            "invalid_webhook_url",
            "接收地址须为 http:// 或 https:// 开头的完整网址",
            "the receiver URL must be a full http:// or https:// URL",
        )
    if parts.username or parts.password:
        raise InvalidInput(
            "invalid_webhook_url",
            "接收地址中不能包含用户名或密码，请用签名验证请求",
            "no credentials in the receiver URL; verify the signature instead",
        )
    return url


def check_event_types(event_types: list[str]) -> list[str]:
    known = {e.value for e in WebhookEvent}
    unknown = [t for t in event_types if t not in known]
    if unknown or not event_types:
        raise InvalidInput(
            "invalid_webhook_events",
            f"不支持的事件类型：{'、'.join(unknown)}" if unknown else "请至少选择一种事件",
            f"unknown event types: {', '.join(unknown)}"
            if unknown
            else "choose at least one event",
            details={"known": sorted(known)},
        )
    return sorted(set(event_types))


def _new_secret(kefu: Kefu, tx: Tx, endpoint: WebhookEndpoint) -> tuple[str, str, dict[str, str]]:
    kid = "k_" + random_secrets.token_hex(4)
    plain = "whsec_" + random_secrets.token_urlsafe(32)
    sealed = secret_box(kefu).seal(
        plain, secret_purpose(endpoint.tenant_id, endpoint.public_id, kid)
    )
    return kid, plain, {"kid": kid, "sealed": sealed, "created_at": tx.now.isoformat()}


def _audit_view(endpoint: WebhookEndpoint) -> dict[str, object]:
    return {
        "url": endpoint.url,
        "event_types": list(endpoint.event_types),
        "key_ids": [s["kid"] for s in endpoint.secrets],
        "active": endpoint.active,
    }


async def _endpoint(tx: Tx, actor: Actor, public_id: str) -> WebhookEndpoint:
    endpoint = (
        await tx.session.execute(
            select(WebhookEndpoint)
            .where(
                WebhookEndpoint.public_id == public_id,
                WebhookEndpoint.tenant_id == actor.tenant_id,
            )
            .with_for_update()
        )
    ).scalar_one_or_none()
    if endpoint is None:
        raise NotFound("webhook endpoint", "Webhook 接收地址")
    return endpoint


async def do_create_endpoint(
    kefu: Kefu, actor: Actor, url: str, event_types: list[str]
) -> NewSecret:
    require_admin(actor)
    url, types = check_url(url), check_event_types(event_types)
    async with transaction(kefu) as tx:
        count = len(
            (
                await tx.session.execute(
                    select(WebhookEndpoint.id).where(WebhookEndpoint.tenant_id == actor.tenant_id)
                )
            ).all()
        )
        if count >= MAX_ENDPOINTS:
            raise Conflict(
                "too_many_webhooks",
                f"每个商户最多 {MAX_ENDPOINTS} 个接收地址",
                f"at most {MAX_ENDPOINTS} webhook endpoints per tenant",
            )
        endpoint = WebhookEndpoint(
            tenant_id=actor.tenant_id,
            public_id="wh_" + random_secrets.token_hex(8),
            url=url,
            event_types=types,
            secrets=[],
            active=True,
            created_at=tx.now,
        )
        kid, plain, stored = _new_secret(kefu, tx, endpoint)
        endpoint.secrets = [stored]
        tx.session.add(endpoint)
        await record_change(
            kefu,
            tx.session,
            actor,
            AUDIT_SECTION,
            None,
            _audit_view(endpoint),
            target=endpoint.public_id,
        )
        await tx.session.flush()
    return NewSecret(endpoint, kid, plain)


async def do_rotate_secret(kefu: Kefu, actor: Actor, public_id: str) -> NewSecret:
    """A new newest secret; the previous stays active (the oldest of two is dropped)."""
    require_admin(actor)
    async with transaction(kefu) as tx:
        endpoint = await _endpoint(tx, actor, public_id)
        before = _audit_view(endpoint)
        kid, plain, stored = _new_secret(kefu, tx, endpoint)
        endpoint.secrets = [stored, *endpoint.secrets][:MAX_ACTIVE_SECRETS]
        await record_change(
            kefu,
            tx.session,
            actor,
            AUDIT_SECTION,
            before,
            _audit_view(endpoint),
            target=endpoint.public_id,
        )
    return NewSecret(endpoint, kid, plain)


async def do_retire_secret(kefu: Kefu, actor: Actor, public_id: str, kid: str) -> WebhookEndpoint:
    """Stop signing with one key; the last key cannot go (sign with nothing = unsigned)."""
    require_admin(actor)
    async with transaction(kefu) as tx:
        endpoint = await _endpoint(tx, actor, public_id)
        if kid not in [s["kid"] for s in endpoint.secrets]:
            raise NotFound("webhook key", "签名密钥")
        if len(endpoint.secrets) == 1:
            raise Conflict(
                "last_webhook_key",
                "这是唯一的签名密钥，请先轮换生成新密钥再停用它",
                "this is the only signing key: rotate first, then retire it",
            )
        before = _audit_view(endpoint)
        endpoint.secrets = [s for s in endpoint.secrets if s["kid"] != kid]
        await record_change(
            kefu,
            tx.session,
            actor,
            AUDIT_SECTION,
            before,
            _audit_view(endpoint),
            target=endpoint.public_id,
        )
    return endpoint


async def do_update_endpoint(
    kefu: Kefu,
    actor: Actor,
    public_id: str,
    *,
    url: str | None = None,
    event_types: list[str] | None = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    require_admin(actor)
    new_url = check_url(url) if url is not None else None
    new_types = check_event_types(event_types) if event_types is not None else None
    async with transaction(kefu) as tx:
        endpoint = await _endpoint(tx, actor, public_id)
        before = _audit_view(endpoint)
        if new_url is not None:
            endpoint.url = new_url
        if new_types is not None:
            endpoint.event_types = new_types
        if active is not None:
            endpoint.active = active
        await record_change(
            kefu,
            tx.session,
            actor,
            AUDIT_SECTION,
            before,
            _audit_view(endpoint),
            target=endpoint.public_id,
        )
    return endpoint
