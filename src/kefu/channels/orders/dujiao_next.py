"""dujiao-next: its signed Open API (``/api/v1/upstream/...``) and signed callbacks.

Signature (both ways): ``hex(HMAC-SHA256(api_secret, METHOD\\nPATH\\nTIMESTAMP\\nmd5(body)))``
in ``Dujiao-Next-Signature``, with ``Dujiao-Next-Api-Key`` and ``Dujiao-Next-Timestamp``
(Unix seconds); the query string is not signed; a timestamp more than 60 s away from the
receiver's clock is refused. Writes are idempotent by ``downstream_order_no`` (kefu
sends its idempotency key there). Errors: ``{"ok": false, "error_code", "error_message"}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import httpx

from kefu.channels.orders.adapter import (
    AdapterRejected,
    Capability,
    EventBatch,
    OrderEvent,
    OrderSnapshot,
    RefundRequest,
    RefundResult,
    ReissueRequest,
    ReissueResult,
    WebhookRejected,
)
from kefu.channels.orders.http_calls import Sleep, send_with_retries
from kefu.channels.orders.status_mapping import normalise_status
from kefu.domain.vocabulary import MarketplaceKind, RefundRoute

HEADER_KEY = "Dujiao-Next-Api-Key"
HEADER_TIMESTAMP = "Dujiao-Next-Timestamp"
HEADER_SIGNATURE = "Dujiao-Next-Signature"
MAX_SKEW_SECONDS = 60
API = "/api/v1/upstream"
REFUND_TYPES = {RefundRoute.ORIGINAL: "manual", RefundRoute.BALANCE: "wallet"}


def signature(secret: str, method: str, path: str, timestamp: int, body: bytes) -> str:
    body_md5 = hashlib.md5(body).hexdigest()  # the protocol chose MD5 for the body digest
    text = f"{method.upper()}\n{path}\n{timestamp}\n{body_md5}"
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def verify_request(
    *,
    api_key: str,
    secret: str,
    headers: Mapping[str, str],
    method: str,
    path: str,
    body: bytes,
    now: datetime,
) -> None:
    """Raise WebhookRejected unless key, clock and signature all hold (constant time)."""
    lower = {k.lower(): v for k, v in headers.items()}
    given_key = lower.get(HEADER_KEY.lower(), "")
    given_sig = lower.get(HEADER_SIGNATURE.lower(), "")
    raw_ts = lower.get(HEADER_TIMESTAMP.lower(), "")
    if not given_key or not given_sig or not raw_ts.isdigit():
        raise WebhookRejected("signature_missing", "缺少签名", "signature headers missing")
    if abs(int(now.timestamp()) - int(raw_ts)) > MAX_SKEW_SECONDS:
        raise WebhookRejected(
            "timestamp_out_of_window",
            "请求时间与服务器时间相差超过 60 秒",
            "timestamp more than 60 s from the server clock",
        )
    expected = signature(secret, method, path, int(raw_ts), body)
    key_ok = hmac.compare_digest(given_key.encode(), api_key.encode())
    if not (hmac.compare_digest(given_sig.lower().encode(), expected.encode()) and key_ok):
        raise WebhookRejected("signature_invalid", "签名无效", "signature does not match")


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        return Decimal("0")


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _codes(fulfillment: Mapping[str, Any]) -> tuple[str, ...]:
    """Auto-delivered card secrets: ``payload`` is one code per line."""
    if fulfillment.get("type") != "auto":
        return ()
    payload = str(fulfillment.get("payload") or "")
    return tuple(line.strip() for line in payload.splitlines() if line.strip())


def snapshot_of(data: Mapping[str, Any]) -> OrderSnapshot:
    """An order object (lookup answer or callback body) as kefu's snapshot."""
    upstream = str(data.get("status", ""))
    fulfillment = data.get("fulfillment") or {}
    return OrderSnapshot(
        order_no=str(data.get("order_no", "")),
        status=normalise_status(MarketplaceKind.DUJIAO_NEXT, upstream),
        upstream_status=upstream,
        product=str(data.get("product_title") or data.get("title") or ""),
        amount=_decimal(data.get("amount")),
        currency=str(data.get("currency") or "CNY"),
        quantity=int(data.get("quantity") or 1),
        refunded_amount=_decimal(data.get("refunded_amount")),
        customer_ref=str(data["user_id"]) if data.get("user_id") is not None else None,
        contact=data.get("email") or None,
        created_at=_time(data.get("created_at")),
        paid_at=_time(data.get("paid_at")),
        delivered_at=_time(fulfillment.get("delivered_at")),
        updated_at=_time(data.get("updated_at")),
        card_codes=_codes(fulfillment),
    )


class DujiaoNextAdapter:
    kind = MarketplaceKind.DUJIAO_NEXT
    capabilities = frozenset(
        {
            Capability.LOOKUP,
            Capability.WEBHOOK,
            Capability.POLL,
            Capability.REFUND,
            Capability.REISSUE,
            Capability.CARD_CODES,
        }
    )

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        api_secret: str,
        now: Callable[[], datetime],
        http: httpx.AsyncClient | None = None,
        timeout_seconds: float = 5.0,
        attempts: int = 3,
        sleep: Sleep | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._key, self._secret, self._now = api_key, api_secret, now
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout_seconds)
        self._attempts = attempts
        self._sleep_kw: dict[str, Any] = {"sleep": sleep} if sleep else {}

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def _call(
        self, method: str, path: str, payload: Mapping[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()

        def build() -> httpx.Request:
            ts = int(self._now().timestamp())
            headers = {
                HEADER_KEY: self._key,
                HEADER_TIMESTAMP: str(ts),
                HEADER_SIGNATURE: signature(self._secret, method, path, ts, body),
                "Content-Type": "application/json",
            }
            return self._http.build_request(
                method, self._base + path, content=body, headers=headers
            )

        response = await send_with_retries(
            self._http, build, attempts=self._attempts, **self._sleep_kw
        )
        try:
            data = response.json()
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if response.status_code in (401, 403):
            raise AdapterRejected(
                "marketplace_auth_failed",
                "独角数卡拒绝了 kefu 的签名（检查 API Key / Secret 与服务器时间）",
                f"dujiao-next refused the signature: {data.get('error_code', '')}",
            )
        return response.status_code, data

    def _refused(self, data: Mapping[str, Any]) -> AdapterRejected:
        code = str(data.get("error_code") or "rejected")
        message = str(data.get("error_message") or code)
        return AdapterRejected(
            f"dujiao_next_{code}", f"独角数卡拒绝：{message}", f"dujiao-next: {message}"
        )

    async def lookup(self, order_no: str) -> OrderSnapshot | None:
        status, data = await self._call("GET", f"{API}/orders/{quote(order_no, safe='')}")
        if status == 404:
            return None
        if status >= 400 or data.get("ok") is False:
            raise self._refused(data)
        return snapshot_of(data)

    async def poll(self, order_nos: Sequence[str], cursor: str | None) -> EventBatch:
        """dujiao-next advises polling ``GET orders/:id`` as the fallback: one look-up per
        open order. The cursor is unused (each answer is the current state)."""
        events = []
        for order_no in order_nos:
            snap = await self.lookup(order_no)
            if snap is None:
                continue
            when = snap.updated_at or self._now()
            events.append(
                OrderEvent(
                    event_id=f"poll:{order_no}:{snap.upstream_status}",
                    order_no=order_no,
                    status=snap.status,
                    upstream_status=snap.upstream_status,
                    occurred_at=when,
                    snapshot=snap,
                )
            )
        return EventBatch(events=tuple(events), cursor=None)

    def parse_webhook(
        self, headers: Mapping[str, str], path: str, body: bytes, now: datetime
    ) -> tuple[OrderEvent, ...]:
        verify_request(
            api_key=self._key,
            secret=self._secret,
            headers=headers,
            method="POST",
            path=path,
            body=body,
            now=now,
        )
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise WebhookRejected("body_invalid", "回调内容不是 JSON", "body is not JSON") from exc
        if not isinstance(data, dict) or not data.get("order_no"):
            raise WebhookRejected("body_invalid", "回调缺少订单号", "callback has no order_no")
        snap = snapshot_of(data)
        event_id = str(data.get("event_id") or hashlib.sha256(body).hexdigest()[:32])
        return (
            OrderEvent(
                event_id=f"dujiao_next:{event_id}",
                order_no=snap.order_no,
                status=snap.status,
                upstream_status=snap.upstream_status,
                occurred_at=snap.updated_at or now,
                snapshot=snap,
            ),
        )

    async def refund(self, request: RefundRequest, idempotency_key: str) -> RefundResult:
        path = f"{API}/orders/{quote(request.order_no, safe='')}/refund"
        status, data = await self._call(
            "POST",
            path,
            {
                "amount": str(request.amount),
                "refund_type": REFUND_TYPES[request.route],
                "reason": request.reason,
                "downstream_order_no": idempotency_key,
            },
        )
        if status >= 400 or data.get("ok") is not True:
            raise self._refused(data)
        upstream = str(data.get("status", ""))
        return RefundResult(
            order_no=request.order_no,
            refund_ref=str(data.get("refund_id", "")),
            amount=_decimal(data.get("amount")),
            status=normalise_status(self.kind, upstream),
            duplicate=bool(data.get("duplicate")),
        )

    async def reissue(self, request: ReissueRequest, idempotency_key: str) -> ReissueResult:
        """A re-issue is a new upstream order for the same goods (``POST orders``), made
        once per ``downstream_order_no``."""
        status, data = await self._call(
            "POST",
            f"{API}/orders",
            {
                "reissue_of": request.order_no,
                "quantity": request.quantity,
                "remark": request.reason,
                "downstream_order_no": idempotency_key,
            },
        )
        if status >= 400 or data.get("ok") is not True:
            raise self._refused(data)
        snap = snapshot_of(data)
        return ReissueResult(
            order_no=request.order_no,
            reissue_ref=snap.order_no,
            status=snap.status,
            duplicate=bool(data.get("duplicate")),
            card_codes=snap.card_codes,
        )
