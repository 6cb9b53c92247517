"""kefu's own order API: what any marketplace implements to plug into kefu (docs/orders.md).

Signed both ways with HMAC-SHA256: headers ``Kefu-Key-Id`` (the API key),
``Kefu-Timestamp`` (Unix seconds) and ``Kefu-Signature: v1=<hex>`` over
``TIMESTAMP\\nMETHOD\\nPATH?QUERY\\nhex(sha256(body))``; a timestamp more than 300 s
from the receiver's clock is refused. Statuses are kefu's own OrderStatus codes. Writes
carry ``Idempotency-Key``; the same key returns the first result with
``"duplicate": true``. Errors: ``{"error": {"code", "message"}}``.
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
from kefu.domain.vocabulary import MarketplaceKind

HEADER_KEY, HEADER_TS, HEADER_SIG = "Kefu-Key-Id", "Kefu-Timestamp", "Kefu-Signature"
MAX_SKEW_SECONDS = 300
API = "/kefu/v1"


def signature(secret: str, timestamp: int, method: str, target: str, body: bytes) -> str:
    digest = hashlib.sha256(body).hexdigest()
    text = f"{timestamp}\n{method.upper()}\n{target}\n{digest}"
    return "v1=" + hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def verify(
    *, api_key: str, secret: str, headers: Mapping[str, str], method: str, target: str,
    body: bytes, now: datetime,
) -> None:  # fmt: skip
    h = {k.lower(): v for k, v in headers.items()}
    key, ts = h.get("kefu-key-id", ""), h.get("kefu-timestamp", "")
    sig = h.get("kefu-signature", "")
    if not key or not sig or not ts.isdigit():
        raise WebhookRejected("signature_missing", "缺少签名", "signature headers missing")
    if abs(int(now.timestamp()) - int(ts)) > MAX_SKEW_SECONDS:
        raise WebhookRejected(
            "timestamp_out_of_window",
            "请求时间与服务器时间相差超过 300 秒",
            "timestamp more than 300 s from the server clock",
        )
    expected = signature(secret, int(ts), method, target, body)
    key_ok = hmac.compare_digest(key.encode(), api_key.encode())
    if not (hmac.compare_digest(sig.encode(), expected.encode()) and key_ok):
        raise WebhookRejected("signature_invalid", "签名无效", "signature does not match")


def _dec(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        return Decimal("0")


def _time(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return parsed if parsed is None or parsed.tzinfo else parsed.replace(tzinfo=UTC)


def snapshot_of(d: Mapping[str, Any]) -> OrderSnapshot:
    status = str(d.get("status", ""))
    return OrderSnapshot(
        order_no=str(d.get("order_no", "")),
        status=normalise_status(MarketplaceKind.KEFU_API, status),
        upstream_status=str(d.get("upstream_status") or status),
        product=str(d.get("product") or ""),
        amount=_dec(d.get("amount")),
        currency=str(d.get("currency") or "CNY"),
        quantity=int(d.get("quantity") or 1),
        refunded_amount=_dec(d.get("refunded_amount")),
        customer_ref=str(d["customer_id"]) if d.get("customer_id") is not None else None,
        contact=d.get("email") or None,
        created_at=_time(d.get("created_at")),
        paid_at=_time(d.get("paid_at")),
        delivered_at=_time(d.get("delivered_at")),
        updated_at=_time(d.get("updated_at")),
        card_codes=tuple(str(c) for c in d.get("card_codes") or ()),
    )


class KefuApiAdapter:
    kind = MarketplaceKind.KEFU_API
    capabilities = frozenset(
        {Capability.LOOKUP, Capability.WEBHOOK, Capability.POLL, Capability.REFUND,
         Capability.REISSUE, Capability.CARD_CODES}
    )  # fmt: skip

    def __init__(
        self, *, base_url: str, api_key: str, api_secret: str, now: Callable[[], datetime],
        http: httpx.AsyncClient | None = None, timeout_seconds: float = 5.0,
        attempts: int = 3, sleep: Sleep | None = None,
    ) -> None:  # fmt: skip
        self._base = base_url.rstrip("/")
        self._key, self._secret, self._now = api_key, api_secret, now
        self._own = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout_seconds)
        self._attempts = attempts
        self._kw: dict[str, Any] = {"sleep": sleep} if sleep else {}

    async def aclose(self) -> None:
        if self._own:
            await self._http.aclose()

    async def _call(
        self, method: str, path: str, payload: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[int, dict[str, Any]]:  # fmt: skip
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()

        def build() -> httpx.Request:
            ts = int(self._now().timestamp())
            headers = {
                HEADER_KEY: self._key,
                HEADER_TS: str(ts),
                HEADER_SIG: signature(self._secret, ts, method, path, body),
                "Content-Type": "application/json",
            }
            if idempotency_key:
                headers["Idempotency-Key"] = idempotency_key
            return self._http.build_request(method, self._base + path, content=body,
                                            headers=headers)  # fmt: skip

        response = await send_with_retries(self._http, build, attempts=self._attempts, **self._kw)
        try:
            data = response.json()
        except ValueError:
            data = {}
        return response.status_code, data if isinstance(data, dict) else {}

    def _refused(self, status: int, data: Mapping[str, Any]) -> AdapterRejected:
        err = data.get("error") if isinstance(data.get("error"), dict) else {}
        code = str((err or {}).get("code") or f"http_{status}")
        message = str((err or {}).get("message") or code)
        if status in (401, 403):
            return AdapterRejected("marketplace_auth_failed",
                                   "订单系统拒绝了 kefu 的签名（检查密钥与服务器时间）",
                                   f"the marketplace refused the signature: {code}")  # fmt: skip
        return AdapterRejected(f"kefu_api_{code}", f"订单系统拒绝：{message}", message)

    async def lookup(self, order_no: str) -> OrderSnapshot | None:
        status, data = await self._call("GET", f"{API}/orders/{quote(order_no, safe='')}")
        if status == 404:
            return None
        if status >= 400:
            raise self._refused(status, data)
        return snapshot_of(data)

    async def poll(self, order_nos: Sequence[str], cursor: str | None) -> EventBatch:
        events = []
        for order_no in order_nos:
            snap = await self.lookup(order_no)
            if snap is not None:
                events.append(OrderEvent(
                    event_id=f"poll:{order_no}:{snap.upstream_status}", order_no=order_no,
                    status=snap.status, upstream_status=snap.upstream_status,
                    occurred_at=snap.updated_at or self._now(), snapshot=snap,
                ))  # fmt: skip
        return EventBatch(events=tuple(events))

    def parse_webhook(
        self, headers: Mapping[str, str], path: str, body: bytes, now: datetime
    ) -> tuple[OrderEvent, ...]:
        verify(api_key=self._key, secret=self._secret, headers=headers, method="POST",
               target=path, body=body, now=now)  # fmt: skip
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise WebhookRejected("body_invalid", "回调内容不是 JSON", "body is not JSON") from exc
        order = data.get("order") if isinstance(data, dict) else None
        if not isinstance(order, dict) or not order.get("order_no"):
            raise WebhookRejected("body_invalid", "回调缺少订单", "callback has no order")
        snap = snapshot_of(order)
        return (OrderEvent(
            event_id=f"kefu_api:{data.get('event_id') or hashlib.sha256(body).hexdigest()[:32]}",
            order_no=snap.order_no, status=snap.status, upstream_status=snap.upstream_status,
            occurred_at=snap.updated_at or now, snapshot=snap,
        ),)  # fmt: skip

    async def refund(self, request: RefundRequest, idempotency_key: str) -> RefundResult:
        status, data = await self._call(
            "POST", f"{API}/orders/{quote(request.order_no, safe='')}/refunds",
            {"amount": str(request.amount), "route": request.route.value,
             "reason": request.reason}, idempotency_key,
        )  # fmt: skip
        if status >= 400:
            raise self._refused(status, data)
        return RefundResult(
            order_no=request.order_no, refund_ref=str(data.get("refund_id", "")),
            amount=_dec(data.get("amount")),
            status=normalise_status(self.kind, str(data.get("status", ""))),
            duplicate=bool(data.get("duplicate")),
        )  # fmt: skip

    async def reissue(self, request: ReissueRequest, idempotency_key: str) -> ReissueResult:
        status, data = await self._call(
            "POST", f"{API}/orders/{quote(request.order_no, safe='')}/reissues",
            {"quantity": request.quantity, "reason": request.reason}, idempotency_key,
        )  # fmt: skip
        if status >= 400:
            raise self._refused(status, data)
        return ReissueResult(
            order_no=request.order_no, reissue_ref=str(data.get("reissue_id", "")),
            status=normalise_status(self.kind, str(data.get("status", ""))),
            duplicate=bool(data.get("duplicate")),
            card_codes=tuple(str(c) for c in data.get("card_codes") or ()),
        )  # fmt: skip
