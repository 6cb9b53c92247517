"""Build the adapter a tenant's order source calls for (credentials already opened)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from kefu.channels.orders.adapter import AdapterUnsupported, OrderAdapter
from kefu.channels.orders.dujiao_next import DujiaoNextAdapter
from kefu.channels.orders.dujiaoka import DujiaokaAdapter
from kefu.channels.orders.kefu_api import KefuApiAdapter
from kefu.domain.vocabulary import MarketplaceKind


@dataclass(frozen=True)
class SourceCredentials:
    kind: MarketplaceKind
    base_url: str
    api_key: str = ""
    api_secret: str = field(default="", repr=False)
    hook_token: str = field(default="", repr=False)
    timeout_seconds: float = 5.0


AdapterFactory = Callable[
    [SourceCredentials, Callable[[], datetime], httpx.AsyncClient | None], OrderAdapter
]


def _dujiao_next(
    c: SourceCredentials, now: Callable[[], datetime], http: httpx.AsyncClient | None
) -> OrderAdapter:
    return DujiaoNextAdapter(
        base_url=c.base_url,
        api_key=c.api_key,
        api_secret=c.api_secret,
        now=now,
        http=http,
        timeout_seconds=c.timeout_seconds,
    )


def _dujiaoka(
    c: SourceCredentials, now: Callable[[], datetime], http: httpx.AsyncClient | None
) -> OrderAdapter:
    return DujiaokaAdapter(hook_token=c.hook_token)


def _kefu_api(
    c: SourceCredentials, now: Callable[[], datetime], http: httpx.AsyncClient | None
) -> OrderAdapter:
    return KefuApiAdapter(base_url=c.base_url, api_key=c.api_key, api_secret=c.api_secret,
                          now=now, http=http, timeout_seconds=c.timeout_seconds)  # fmt: skip


FACTORIES: dict[MarketplaceKind, AdapterFactory] = {
    MarketplaceKind.KEFU_API: _kefu_api,
    MarketplaceKind.DUJIAO_NEXT: _dujiao_next,
    MarketplaceKind.DUJIAOKA: _dujiaoka,
}


def build_adapter(
    credentials: SourceCredentials,
    now: Callable[[], datetime],
    http: httpx.AsyncClient | None = None,
) -> OrderAdapter:
    """The adapter for this source; close it with ``aclose()`` after use."""
    factory = FACTORIES.get(credentials.kind)
    if factory is None:
        raise AdapterUnsupported(
            "marketplace_not_supported",
            "暂不支持该订单系统",
            f"no adapter for {credentials.kind.value} yet",
        )
    return factory(credentials, now, http)
