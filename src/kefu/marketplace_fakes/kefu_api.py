"""A marketplace implementing kefu's own order API (docs/orders.md), for tests and demo.

Its signing is written from the documented protocol (not kefu's code): HMAC-SHA256 over
``TIMESTAMP\\nMETHOD\\nPATH?QUERY\\nsha256(body)``, ``v1=`` prefix, ±300 s."""

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

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


def _sign(secret: str, ts: str, method: str, target: str, body: bytes) -> str:
    text = "\n".join((ts, method, target, hashlib.sha256(body).hexdigest()))
    return "v1=" + hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


@dataclass
class ShopOrder:
    order_no: str
    product: str
    amount: Decimal
    status: str = "paid"
    customer_id: str | None = None
    email: str | None = None
    card_codes: list[str] = field(default_factory=list)
    refunded: Decimal = Decimal("0")

    def to_json(self) -> dict[str, Any]:
        return {"order_no": self.order_no, "status": self.status, "product": self.product,
                "amount": f"{self.amount:.2f}", "refunded_amount": f"{self.refunded:.2f}",
                "customer_id": self.customer_id, "email": self.email,
                "card_codes": self.card_codes if self.status in ("delivered", "completed")
                else []}  # fmt: skip


@dataclass
class FakeKefuApiShop:
    api_key: str = "shop-key"
    api_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    orders: dict[str, ShopOrder] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)  # by Idempotency-Key
    reissues: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)  # "500" | "slow"
    slow_seconds: float = 1.5
    rejected: list[str] = field(default_factory=list)

    def signed_headers(self, target: str, body: bytes) -> dict[str, str]:
        ts = str(int(self.now().timestamp()))
        return {"Kefu-Key-Id": self.api_key, "Kefu-Timestamp": ts,
                "Kefu-Signature": _sign(self.api_secret, ts, "POST", target, body),
                "Content-Type": "application/json"}  # fmt: skip

    def callback(self, order_no: str, target: str) -> tuple[dict[str, str], bytes]:
        body = json.dumps({"event_id": secrets.token_hex(8),
                           "order": self.orders[order_no].to_json()}).encode()  # fmt: skip
        return self.signed_headers(target, body), body

    def app(self) -> FastAPI:
        app = FastAPI()

        def error(status: int, code: str, message: str) -> JSONResponse:
            self.rejected.append(code)
            return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)

        async def guard(request: Request) -> JSONResponse | None:
            body = await request.body()
            h = request.headers
            ts, sig = h.get("kefu-timestamp", ""), h.get("kefu-signature", "")
            if not hmac.compare_digest(h.get("kefu-key-id", "").encode(), self.api_key.encode()):
                return error(401, "unknown_key", "unknown key")
            if not ts.isdigit() or abs(int(self.now().timestamp()) - int(ts)) > 300:
                return error(401, "stale_timestamp", "timestamp outside 300 s")
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            if not hmac.compare_digest(
                sig.encode(), _sign(self.api_secret, ts, request.method, target, body).encode()
            ):
                return error(401, "bad_signature", "signature does not match")
            if self.faults and self.faults[0] == "500":
                self.faults.pop(0)
                return error(503, "unavailable", "try later")
            return None

        async def slow() -> None:
            if self.faults and self.faults[0] == "slow":
                self.faults.pop(0)
                await asyncio.sleep(self.slow_seconds)

        @app.get("/kefu/v1/orders/{order_no}")
        async def get_order(order_no: str, request: Request) -> JSONResponse:
            if (refused := await guard(request)) is not None:
                return refused
            order = self.orders.get(order_no)
            if order is None:
                return error(404, "order_not_found", "no such order")
            return JSONResponse(order.to_json())

        @app.post("/kefu/v1/orders/{order_no}/refunds")
        async def refund(order_no: str, request: Request) -> JSONResponse:
            if (refused := await guard(request)) is not None:
                return refused
            key = request.headers.get("idempotency-key", "")
            if not key:
                return error(400, "idempotency_key_required", "Idempotency-Key required")
            if key in self.refunds:
                return JSONResponse({**self.refunds[key], "duplicate": True})
            order = self.orders.get(order_no)
            if order is None:
                return error(404, "order_not_found", "no such order")
            amount = Decimal(json.loads(await request.body())["amount"])
            if amount <= 0 or order.refunded + amount > order.amount:
                return error(422, "amount_exceeds_paid", "more than was paid")
            order.refunded += amount
            order.status = "refunded" if order.refunded == order.amount else "partially_refunded"
            record = {"refund_id": f"R{len(self.refunds) + 1}", "amount": f"{amount:.2f}",
                      "status": order.status}  # fmt: skip
            self.refunds[key] = record
            await slow()
            return JSONResponse(record, status_code=201)

        @app.post("/kefu/v1/orders/{order_no}/reissues")
        async def reissue(order_no: str, request: Request) -> JSONResponse:
            if (refused := await guard(request)) is not None:
                return refused
            key = request.headers.get("idempotency-key", "")
            if key in self.reissues:
                return JSONResponse({**self.reissues[key], "duplicate": True})
            order = self.orders.get(order_no)
            if order is None or not key:
                return error(404 if order is None else 400, "rejected", "cannot re-issue")
            qty = int(json.loads(await request.body()).get("quantity") or 1)
            record = {"reissue_id": f"RE{len(self.reissues) + 1}", "status": "delivered",
                      "card_codes": [secrets.token_hex(6).upper() for _ in range(qty)]}  # fmt: skip
            self.reissues[key] = record
            await slow()
            return JSONResponse(record, status_code=201)

        return app
