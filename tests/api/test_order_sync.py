"""A tenant connected to dujiao-next: secrets sealed at rest, signed callbacks over HTTP
land on the customer's conversation as "订单 … 已退款", forged ones are refused and change
nothing, and the bot answers from the fresh status. SQLite always, PostgreSQL when set."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kefu.marketplace_fakes.dujiao_next import FakeDujiaoNext, FakeOrder
from kefu.storage.models import AuditEntry, Tenant
from tests.api.conftest import kefu_of
from tests.livesrv import live_server
from tests.world import As, World

ORDER = "DJ20261202000777"


@pytest.fixture
def site(clock: Any) -> Iterator[tuple[FakeDujiaoNext, str]]:
    fake = FakeDujiaoNext(now=clock.now)
    fake.add(
        FakeOrder(
            order_no=ORDER,
            title="腾讯视频 VIP 月卡",
            amount=Decimal("25.00"),
            status="fulfilling",
            codes=["TXVIP-0000-1111"],
        )
    )
    with live_server(fake.app()) as url:
        yield fake, url


@pytest.fixture
def connected(admin: As, site: tuple[FakeDujiaoNext, str]) -> FakeDujiaoNext:
    fake, url = site
    r = admin.request(
        "PATCH",
        "/api/v1/tenant/settings",
        json={
            "order_source": {
                "kind": "dujiao_next",
                "base_url": url,
                "api_key": fake.api_key,
                "api_secret": fake.api_secret,
            }
        },
    )
    assert r.status_code == 200, r.text
    return fake


def stored_settings(client: TestClient, tenant_id: int) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        async with kefu_of(client).db.read() as session:
            raw = (
                await session.execute(select(Tenant.settings).where(Tenant.id == tenant_id))
            ).scalar_one()
            audit = (
                await session.execute(
                    select(AuditEntry.before, AuditEntry.after).where(
                        AuditEntry.tenant_id == tenant_id
                    )
                )
            ).all()
            return {**dict(raw), "_audit": [list(row) for row in audit]}

    assert client.portal is not None
    return client.portal.call(run)


def push(client: TestClient, fake: FakeDujiaoNext, world: World, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> Any:  # fmt: skip
    path = f"/api/v1/hooks/orders/{world.slug}/dujiao_next"
    raw = body or json.dumps(fake.orders[ORDER].to_json()).encode()
    return client.post(path, content=raw, headers=headers or fake.signed_headers(path, raw))


def events_of(party: As, cid: str) -> list[dict[str, Any]]:
    r = party.get(f"/api/v1/conversations/{cid}/events")
    assert r.status_code == 200, r.text
    return list(r.json()["events"])


def put_order(machine: As, status: str) -> None:
    r = machine.put(
        "/api/v1/orders",
        json={"order_no": ORDER, "product": "腾讯视频 VIP 月卡", "amount": "25.00",
              "status": status, "customer_external_id": "m1"},
    )  # fmt: skip
    assert r.status_code in (200, 201), r.text


def test_secret_is_sealed_at_rest(
    client: TestClient, world: World, connected: FakeDujiaoNext, admin: As
) -> None:
    raw = stored_settings(client, world.tenant_id)
    assert raw["_audit"], "the settings change is audited"
    assert connected.api_secret not in json.dumps(raw)  # neither in settings nor in the audit
    assert raw["order_source"]["api_secret"].startswith("sealed:v1:")
    shown = admin.get("/api/v1/tenant/settings").json()
    assert connected.api_secret not in json.dumps(shown)
    # sending the settings back unchanged keeps the same sealed secret (still works)
    r = admin.request("PATCH", "/api/v1/tenant/settings",
                      json={"order_source": shown["order_source"]})  # fmt: skip
    assert r.status_code == 200
    assert stored_settings(client, world.tenant_id)["order_source"] == raw["order_source"]


def test_signed_callback_lands_on_the_conversation(
    client: TestClient, world: World, connected: FakeDujiaoNext, machine: As,
    customer: As, alice: As,
) -> None:  # fmt: skip
    put_order(machine, "processing")
    conv = customer.post("/api/v1/conversations", json={"body": f"订单 {ORDER} 还没到账"})
    assert conv.status_code == 201, conv.text
    cid = conv.json()["id"]
    before = len(events_of(alice, cid))

    connected.set_status(ORDER, "refunded")
    r = push(client, connected, world)
    assert r.status_code == 200, r.text
    assert r.json()["applied"] == 1
    order = alice.get(f"/api/v1/orders/{ORDER}").json()
    assert order["status"] == "refunded" and order["upstream_status"] == "refunded"
    updates = [e for e in events_of(customer, cid) if e["type"] == "order_update"]
    assert len(updates) == 1 and len(events_of(alice, cid)) == before + 1
    assert updates[0]["data"]["to"] == "refunded" and updates[0]["data"]["from"] == "processing"
    assert f"订单 {ORDER} 已退款" in updates[0]["text"]

    # the same callback again (a redelivery) says nothing new
    assert push(client, connected, world).status_code == 200
    assert len([e for e in events_of(alice, cid) if e["type"] == "order_update"]) == 1

    # and the bot answers from the fresh status
    r = customer.post(f"/api/v1/conversations/{cid}/messages", json={"body": f"{ORDER} 退了吗"})
    assert r.status_code == 201
    turns = [e for e in events_of(customer, cid) if e["type"] == "bot_turn"]
    assert "已退款" in turns[-1]["body"]


def test_forged_or_stale_callbacks_are_refused(
    client: TestClient, world: World, connected: FakeDujiaoNext, machine: As,
    alice: As, clock: Any,
) -> None:  # fmt: skip
    put_order(machine, "processing")
    connected.set_status(ORDER, "refunded")
    path = f"/api/v1/hooks/orders/{world.slug}/dujiao_next"
    raw = json.dumps(connected.orders[ORDER].to_json()).encode()
    good = connected.signed_headers(path, raw)

    forged = push(client, connected, world, body=raw.replace(b"25.00", b"2500.00"), headers=good)
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "signature_invalid"
    assert forged.json()["error"]["message_en"] and forged.json()["error"]["message"]
    wrong_key = {**good, "Dujiao-Next-Api-Key": "someone-else"}
    assert push(client, connected, world, body=raw, headers=wrong_key).status_code == 401
    clock.advance(seconds=61)  # kefu's clock moved on: the signature's timestamp is stale
    stale = push(client, connected, world, body=raw, headers=good)
    assert stale.status_code == 401 and stale.json()["error"]["code"] == "timestamp_out_of_window"
    other = client.post(f"/api/v1/hooks/orders/{world.slug}/kefu_api", content=raw, headers=good)
    assert other.status_code == 404  # not this tenant's source
    assert alice.get(f"/api/v1/orders/{ORDER}").json()["status"] == "processing"


def test_refresh_asks_the_marketplace(
    world: World, connected: FakeDujiaoNext, machine: As, alice: As, customer: As
) -> None:
    put_order(machine, "processing")
    connected.set_status(ORDER, "delivered")
    r = alice.post(f"/api/v1/orders/{ORDER}/refresh")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "delivered"
    assert customer.post(f"/api/v1/orders/{ORDER}/refresh").status_code == 403
    assert alice.post("/api/v1/orders/DJ-NOT-THERE/refresh").status_code == 404
    connected.orders.pop(ORDER)  # the marketplace no longer knows it
    assert alice.post(f"/api/v1/orders/{ORDER}/refresh").status_code == 404


def test_no_source_is_a_clear_error(alice: As, world: World) -> None:
    r = alice.post(f"/api/v1/orders/{world.orders[0]}/refresh")
    assert r.status_code == 409 and r.json()["error"]["code"] == "no_order_source"


def test_polling_catches_a_lost_callback(
    client: TestClient, connected: FakeDujiaoNext, machine: As, customer: As, clock: Any
) -> None:
    from kefu.jobs.runner import tick

    put_order(machine, "processing")
    cid = customer.post("/api/v1/conversations", json={"body": f"{ORDER} 到哪了"}).json()["id"]
    connected.set_status(ORDER, "partially_refunded")  # the callback never arrives
    assert client.portal is not None
    kefu = kefu_of(client)
    client.portal.call(tick, kefu)
    assert machine.get(f"/api/v1/orders/{ORDER}").json()["status"] == "processing"  # not stale
    clock.advance(minutes=11)
    first = client.portal.call(tick, kefu)
    assert first.order_polls >= 1  # this tenant (and any other connected one in the database)
    assert machine.get(f"/api/v1/orders/{ORDER}").json()["status"] == "partially_refunded"
    updates = [e for e in events_of(customer, cid) if e["type"] == "order_update"]
    assert updates[-1]["data"]["source"] == "poll" and "部分退款" in updates[-1]["text"]
    assert client.portal.call(tick, kefu).order_polls == 0  # once per interval
