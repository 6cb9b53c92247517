"""A dujiao-next site's upstream Open API, for tests and the demo.

Verifies ``Dujiao-Next-Api-Key / -Timestamp / -Signature`` (HMAC-SHA256 over
``METHOD\\nPATH\\nTIMESTAMP\\nmd5(body)``, ±60 s), deduplicates writes by
``downstream_order_no``, and signs the callbacks it pushes the same way.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


def _sign(secret: str, method: str, path: str, ts: str, body: bytes) -> str:
    digest = hashlib.md5(body).hexdigest()  # the protocol chose MD5
    message = "\n".join((method, path, ts, digest)).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass
class FakeOrder:
    order_no: str
    title: str
    amount: Decimal
    status: str = "paid"
    quantity: int = 1
    user_id: int | None = None
    email: str | None = None
    codes: list[str] = field(default_factory=list)
    refunded: Decimal = Decimal("0")
    reissue_of: str | None = None
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_json(self) -> dict[str, Any]:
        delivered = self.status in ("delivered", "completed", "partially_delivered")
        return {
            "ok": True,
            "order_id": abs(hash(self.order_no)) % 10**8,
            "order_no": self.order_no,
            "status": self.status,
            "product_title": self.title,
            "amount": f"{self.amount:.2f}",
            "refunded_amount": f"{self.refunded:.2f}",
            "currency": "CNY",
            "quantity": self.quantity,
            "user_id": self.user_id,
            "email": self.email,
            "updated_at": self.updated_at.isoformat(),
            "fulfillment": {
                "type": "auto",
                "status": "delivered" if delivered else "pending",
                "payload": "\n".join(self.codes) if delivered else "",
                "delivered_at": self.updated_at.isoformat() if delivered else None,
            },
        }


@dataclass
class FakeDujiaoNext:
    """The site: its orders, the refunds and re-issues it made, faults to inject."""

    api_key: str = "dj-key-kefu"
    api_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    orders: dict[str, FakeOrder] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)  # by downstream no
    reissues: dict[str, str] = field(default_factory=dict)  # downstream no -> order no
    faults: list[str] = field(default_factory=list)  # "500" | "slow" (after the write)
    slow_seconds: float = 2.0
    requests_seen: int = 0
    rejected: list[str] = field(default_factory=list)

    def add(self, order: FakeOrder) -> FakeOrder:
        self.orders[order.order_no] = order
        return order

    def set_status(self, order_no: str, status: str) -> FakeOrder:
        order = self.orders[order_no]
        order.status, order.updated_at = status, self.now()
        return order

    def signed_headers(self, path: str, body: bytes) -> dict[str, str]:
        ts = str(int(self.now().timestamp()))
        return {
            "Dujiao-Next-Api-Key": self.api_key,
            "Dujiao-Next-Timestamp": ts,
            "Dujiao-Next-Signature": _sign(self.api_secret, "POST", path, ts, body),
            "Content-Type": "application/json",
        }

    async def push_callback(self, order_no: str, url: str) -> httpx.Response:
        """POST the order to kefu's callback URL, signed."""
        body = json.dumps(
            {"event": "order.updated", **self.orders[order_no].to_json()}, ensure_ascii=False
        ).encode()
        path = httpx.URL(url).path
        async with httpx.AsyncClient(timeout=10) as http:
            return await http.post(url, content=body, headers=self.signed_headers(path, body))

    def app(self) -> FastAPI:
        app = FastAPI()

        def refuse(status: int, code: str, message: str) -> JSONResponse:
            self.rejected.append(code)
            return JSONResponse(
                {"ok": False, "error_code": code, "error_message": message}, status_code=status
            )

        async def guard(request: Request) -> JSONResponse | None:
            self.requests_seen += 1
            body = await request.body()
            h = request.headers
            key = h.get("dujiao-next-api-key", "")
            ts = h.get("dujiao-next-timestamp", "")
            sig = h.get("dujiao-next-signature", "")
            if not hmac.compare_digest(key.encode(), self.api_key.encode()):
                return refuse(401, "invalid_api_key", "API Key 无效")
            if not ts.isdigit() or abs(int(self.now().timestamp()) - int(ts)) > 60:
                return refuse(401, "timestamp_expired", "时间戳超出允许范围")
            expected = _sign(self.api_secret, request.method, request.url.path, ts, body)
            if not hmac.compare_digest(sig.encode(), expected.encode()):
                return refuse(401, "invalid_signature", "签名验证失败")
            if self.faults and self.faults[0] == "500":
                self.faults.pop(0)
                return refuse(500, "internal_error", "服务器内部错误")
            return None

        async def maybe_slow() -> None:
            if self.faults and self.faults[0] == "slow":
                self.faults.pop(0)
                await asyncio.sleep(self.slow_seconds)

        @app.get("/api/v1/upstream/orders/{order_no}")
        async def get_order(order_no: str, request: Request) -> JSONResponse:
            if (refused := await guard(request)) is not None:
                return refused
            order = self.orders.get(order_no)
            if order is None:
                return refuse(404, "order_not_found", "订单不存在")
            await maybe_slow()
            return JSONResponse(order.to_json())

        @app.post("/api/v1/upstream/orders/{order_no}/refund")
        async def refund(order_no: str, request: Request) -> JSONResponse:
            if (refused := await guard(request)) is not None:
                return refused
            data = json.loads(await request.body())
            key = str(data.get("downstream_order_no") or "")
            if not key:
                return refuse(400, "downstream_order_no_required", "缺少 downstream_order_no")
            if key in self.refunds:
                return JSONResponse({**self.refunds[key], "duplicate": True})
            order = self.orders.get(order_no)
            if order is None:
                return refuse(404, "order_not_found", "订单不存在")
            amount = Decimal(str(data.get("amount", "0")))
            if amount <= 0 or order.refunded + amount > order.amount:
                return refuse(422, "refund_amount_invalid", "退款金额超过可退金额")
            if order.status in ("pending_payment", "canceled", "refunded"):
                return refuse(409, "order_status_invalid", "订单状态不允许退款")
            order.refunded += amount
            order.status = "refunded" if order.refunded == order.amount else "partially_refunded"
            order.updated_at = self.now()
            record = {
                "ok": True,
                "refund_id": f"RF{len(self.refunds) + 1:06d}",
                "order_no": order_no,
                "amount": f"{amount:.2f}",
                "refund_type": data.get("refund_type"),
                "status": order.status,
            }
            self.refunds[key] = record
            await maybe_slow()  # the refund is made; the answer may not arrive in time
            return JSONResponse(record)

        @app.post("/api/v1/upstream/orders")
        async def create_order(request: Request) -> JSONResponse:
            if (refused := await guard(request)) is not None:
                return refused
            data = json.loads(await request.body())
            key = str(data.get("downstream_order_no") or "")
            if not key:
                return refuse(400, "downstream_order_no_required", "缺少 downstream_order_no")
            if key in self.reissues:
                return JSONResponse(
                    {**self.orders[self.reissues[key]].to_json(), "duplicate": True}
                )
            original = self.orders.get(str(data.get("reissue_of") or ""))
            if original is None:
                return refuse(404, "order_not_found", "订单不存在")
            quantity = int(data.get("quantity") or 1)
            new = self.add(
                FakeOrder(
                    order_no=f"{original.order_no}-R{len(self.reissues) + 1}",
                    title=original.title,
                    amount=Decimal("0"),
                    status="delivered",
                    quantity=quantity,
                    user_id=original.user_id,
                    email=original.email,
                    codes=[secrets.token_hex(8).upper() for _ in range(quantity)],
                    reissue_of=original.order_no,
                    updated_at=self.now(),
                )
            )
            self.reissues[key] = new.order_no
            await maybe_slow()
            return JSONResponse(new.to_json())

        return app
