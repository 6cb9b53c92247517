"""HTTP for adapters: one httpx call with retries for transient failures.

Only requests that are safe to repeat go through here: reads, and writes that carry an
idempotency key the marketplace deduplicates by. A timeout, a refused connection, a 5xx
or a 429 is transient; anything else is the marketplace's answer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx

from kefu.channels.orders.adapter import AdapterTransient

Sleep = Callable[[float], Awaitable[None]]
TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})


async def send_with_retries(
    http: httpx.AsyncClient,
    build: Callable[[], httpx.Request],
    *,
    attempts: int = 3,
    backoff_seconds: float = 0.2,
    sleep: Sleep = asyncio.sleep,
) -> httpx.Response:
    """Send ``build()`` (a fresh request each time: new timestamp, new signature) until a
    non-transient answer; after the last attempt raise AdapterTransient."""
    last = ""
    for attempt in range(attempts):
        if attempt:
            await sleep(backoff_seconds * 2 ** (attempt - 1))
        try:
            response = await http.send(build())
        except httpx.TimeoutException:
            last = "timeout"
            continue
        except httpx.TransportError as exc:
            last = f"transport: {type(exc).__name__}"
            continue
        if response.status_code in TRANSIENT_STATUS:
            last = f"HTTP {response.status_code}"
            continue
        return response
    raise AdapterTransient(
        "marketplace_unavailable",
        f"订单系统暂时无法访问（{last}），稍后自动重试",
        f"the marketplace did not answer ({last}); will retry",
    )
