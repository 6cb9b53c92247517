"""dujiaoka's unsigned api_hook made safe: a per-tenant secret URL, the codes it pushes
in clear sealed at rest (revealed like any other), the order on the buyer's
conversation. Sent over real HTTP to a live kefu, as dujiaoka's ApiHook job sends it."""

from __future__ import annotations

import json
import secrets
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from kefu.marketplace_fakes.dujiaoka import FakeDujiaokaOrder
from kefu.storage.models import Order
from tests.api.conftest import kefu_of
from tests.world import As, World


def order_row(client: TestClient, tenant_id: int, order_no: str) -> Order | None:
    async def run() -> Order | None:
        async with kefu_of(client).db.read() as session:
            return (
                await session.execute(
                    select(Order).where(Order.tenant_id == tenant_id, Order.order_no == order_no)
                )
            ).scalar_one_or_none()

    assert client.portal is not None
    return client.portal.call(run)


def connect(admin: As) -> str:
    token = secrets.token_urlsafe(32)
    settings = {"kind": "dujiaoka", "base_url": "https://shop.example.com", "hook_token": token}
    r = admin.request("PATCH", "/api/v1/tenant/settings", json={"order_source": settings})
    assert r.status_code == 200, r.text
    short = {**settings, "hook_token": "short"}
    r = admin.request("PATCH", "/api/v1/tenant/settings", json={"order_source": short})
    assert r.status_code == 422
    return token


def test_api_hook_with_secret_url(
    client: TestClient, world: World, admin: As, machine: As, customer: As, alice: As
) -> None:
    token = connect(admin)
    r = machine.put("/api/v1/customers", json={"external_id": "m1", "email": "buyer@example.com"})
    assert r.status_code in (200, 201), r.text
    cid = customer.post("/api/v1/conversations", json={"body": "卡密在哪里看"}).json()["id"]
    order = FakeDujiaokaOrder("网易一卡通 100 点", "buyer@example.com", Decimal("95.00"),
                              carmis=["WY-1111-2222", "WY-3333-4444"])  # fmt: skip
    url = f"/api/v1/hooks/orders/{world.slug}/dujiaoka/{token}"

    wrong = client.post(url[: -len(token)] + secrets.token_urlsafe(32), content=order.hook_body(),
                        headers={"Content-type": "application/json"})  # fmt: skip
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "hook_token_invalid"
    assert order_row(client, world.tenant_id, order.order_sn) is None

    r = client.post(url, content=order.hook_body(), headers={"Content-type": "application/json"})
    assert r.status_code == 200, r.text
    row = order_row(client, world.tenant_id, order.order_sn)
    assert row is not None and row.status == "completed" and row.amount == Decimal("95.00")
    assert row.card_codes_sealed and "WY-1111" not in row.card_codes_sealed
    assert row.contact_email == "buyer@example.com"
    updates = [e for e in customer.get(f"/api/v1/conversations/{cid}/events").json()["events"]
               if e["type"] == "order_update"]  # fmt: skip
    assert len(updates) == 1 and "已完成" in updates[0]["text"]

    shown = alice.post(f"/api/v1/orders/{order.order_sn}/card-codes/reveal",
                       json={"conversation_id": cid})  # fmt: skip
    assert shown.status_code == 200, shown.text
    assert shown.json()["codes"] == ["WY-1111-2222", "WY-3333-4444"]
    refund = alice.post(f"/api/v1/orders/{order.order_sn}/refresh")
    assert refund.status_code == 404  # dujiaoka cannot be read back: kefu knows what it was told

    bad: dict[str, Any] = json.loads(order.hook_body())
    bad["order_sn"] = "too-short"
    r = client.post(url, content=json.dumps(bad).encode())
    assert r.status_code == 401 and r.json()["error"]["code"] == "body_invalid"
