"""One signed POST of a webhook delivery to the tenant's receiver (httpx).

The outcome is what the delivery log shows: the response code, or why there was none
(a timeout, a refused connection). Redirects are not followed: a receiver that moved
must be updated by the tenant, a signed body is never re-sent to another host.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from kefu.domain.webhook_signing import (
    HEADER_ID,
    HEADER_KEY_ID,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    signature_header,
)

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
USER_AGENT = "kefu-webhooks/1"


@dataclass(frozen=True)
class PostOutcome:
    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def post_signed(
    url: str,
    delivery_id: str,
    body: bytes,
    secrets: Sequence[tuple[str, str]],
    timestamp: int,
    *,
    timeout: httpx.Timeout = TIMEOUT,
) -> PostOutcome:
    """``secrets``: (key id, secret), the newest first; each signs the body."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        HEADER_ID: delivery_id,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_KEY_ID: secrets[0][0],
        HEADER_SIGNATURE: signature_header(secrets, timestamp, body),
    }
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            response = await client.post(url, content=body, headers=headers)
    except httpx.TimeoutException:
        return PostOutcome(None, "timeout")
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        return PostOutcome(None, f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= response.status_code < 300:
        return PostOutcome(response.status_code, None)
    return PostOutcome(response.status_code, f"HTTP {response.status_code}")
