"""A tenant's order source: its credentials sealed at rest, its adapter opened on demand.

``seal_order_source`` runs inside the settings write (actions/tenant_settings.py) so no
secret an admin types is ever stored in clear; ``open_order_adapter`` opens them with the
server's SecretBox and builds the adapter (channels/orders/registry.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache

from kefu.actions.context import Kefu
from kefu.channels.orders import OrderAdapter
from kefu.channels.orders.registry import SourceCredentials, build_adapter
from kefu.domain.sealed_secrets import SecretBox
from kefu.domain.tenant_settings import OrderSourceSettings, TenantSettings
from kefu.errors import KefuError


@lru_cache(maxsize=8)
def _box(current: str, previous: str) -> SecretBox:
    return SecretBox.of(current, [k.strip() for k in previous.split(",") if k.strip()])


def secret_box(kefu: Kefu) -> SecretBox:
    """The server's box: the key derived from KEFU_SECRET_KEY (var/secret_key)."""
    return _box(kefu.settings.secret_key, kefu.settings.previous_secret_keys)


def purpose(tenant_id: int, name: str) -> str:
    return f"tenant:{tenant_id}:order_source.{name}"


def codes_purpose(tenant_id: int, order_no: str) -> str:
    return f"tenant:{tenant_id}:order:{order_no}:card_codes"


def seal_order_source(kefu: Kefu, tenant_id: int, typed: TenantSettings) -> TenantSettings:
    source = typed.order_source
    if source is None:
        return typed
    box = secret_box(kefu)
    sealed = source.model_copy(
        update={
            "api_secret": box.seal_if_plain(source.api_secret, purpose(tenant_id, "api_secret")),
            "hook_token": box.seal_if_plain(source.hook_token, purpose(tenant_id, "hook_token")),
        }
    )
    return typed.model_copy(update={"order_source": sealed})


def credentials_of(kefu: Kefu, tenant_id: int, source: OrderSourceSettings) -> SourceCredentials:
    box = secret_box(kefu)

    def opened(value: str, name: str) -> str:
        return box.open(value, purpose(tenant_id, name)) if value else ""

    return SourceCredentials(
        kind=source.kind,
        base_url=source.base_url,
        api_key=source.api_key,
        api_secret=opened(source.api_secret, "api_secret"),
        hook_token=opened(source.hook_token, "hook_token"),
        timeout_seconds=source.timeout_seconds,
    )


class NoOrderSource(KefuError):
    status_code = 409

    def __init__(self) -> None:
        super().__init__(
            "no_order_source",
            "尚未连接订单系统（设置 order_source）",
            "no marketplace connected (settings: order_source)",
        )


@asynccontextmanager
async def open_order_adapter(
    kefu: Kefu, tenant_id: int, settings: TenantSettings
) -> AsyncIterator[OrderAdapter]:
    """The tenant's adapter for the duration of the block; NoOrderSource without one."""
    if settings.order_source is None:
        raise NoOrderSource()
    adapter = build_adapter(credentials_of(kefu, tenant_id, settings.order_source), kefu.clock.now)
    try:
        yield adapter
    finally:
        await adapter.aclose()
