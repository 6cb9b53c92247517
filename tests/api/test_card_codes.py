"""Card codes are secrets: revealed only by staff, for a conversation the order belongs
to, read from the marketplace on demand, logged (timeline, internal + audit log) without
the codes themselves, and limited per agent."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from kefu.marketplace_fakes.dujiao_next import FakeDujiaoNext
from kefu.storage.models import AuditEntry, Event
from tests.api.conftest import kefu_of
from tests.api.test_order_sync import ORDER, connected, events_of, put_order, site  # noqa: F401
from tests.world import As, World

CODES = ["TXVIP-0000-1111"]


def reveal(party: As, cid: str, order_no: str = ORDER) -> Any:
    return party.post(f"/api/v1/orders/{order_no}/card-codes/reveal",
                      json={"conversation_id": cid})  # fmt: skip


def stored_text(client: TestClient, tenant_id: int) -> str:
    async def run() -> str:
        async with kefu_of(client).db.read() as session:
            events = (
                await session.execute(select(Event.body, Event.data).where(
                    Event.tenant_id == tenant_id))
            ).all()  # fmt: skip
            audit = (
                await session.execute(select(AuditEntry.section, AuditEntry.after).where(
                    AuditEntry.tenant_id == tenant_id))
            ).all()  # fmt: skip
            return json.dumps([list(r) for r in events] + [list(r) for r in audit],
                              ensure_ascii=False, default=str)  # fmt: skip

    assert client.portal is not None
    return client.portal.call(run)


def test_reveal_is_deliberate_logged_and_never_stored(
    client: TestClient, world: World, connected: FakeDujiaoNext, machine: As,  # noqa: F811
    customer: As, customer2: As, alice: As,
) -> None:  # fmt: skip
    connected.set_status(ORDER, "delivered")
    put_order(machine, "delivered")
    cid = customer.post("/api/v1/conversations", json={"body": f"{ORDER} 卡密打不开"}).json()["id"]
    other = customer2.post("/api/v1/conversations", json={"body": "你好"}).json()["id"]

    assert reveal(customer, cid).status_code == 403
    assert reveal(machine, cid).status_code == 403  # a token is nobody: no reveal
    assert reveal(alice, other).status_code == 404  # not that conversation's order
    r = reveal(alice, cid)
    assert r.status_code == 200, r.text
    assert r.json()["codes"] == CODES and r.headers["cache-control"] == "no-store"

    logged = [e for e in events_of(alice, cid) if e["type"] == "card_codes"]
    assert len(logged) == 1 and logged[0]["visibility"] == "internal"
    assert logged[0]["data"]["count"] == 1 and "查看了订单" in logged[0]["text"]
    assert not [e for e in events_of(customer, cid) if e["type"] == "card_codes"]
    text = stored_text(client, world.tenant_id)
    assert "card_codes" in text  # the audit row
    assert CODES[0] not in text  # the code itself is nowhere in the database


def test_reveals_are_limited_per_agent(
    connected: FakeDujiaoNext, machine: As, customer: As, alice: As, bob: As,  # noqa: F811
) -> None:  # fmt: skip
    connected.set_status(ORDER, "delivered")
    put_order(machine, "delivered")
    cid = customer.post("/api/v1/conversations", json={"body": f"{ORDER} 卡密"}).json()["id"]
    for _ in range(20):
        assert reveal(alice, cid).status_code == 200
    refused = reveal(alice, cid)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "card_code_reveal_throttled"
    assert reveal(bob, cid).status_code == 200  # another agent has their own budget
    assert len([e for e in events_of(alice, cid) if e["type"] == "card_codes"]) == 21


def test_no_codes_is_said_plainly(
    connected: FakeDujiaoNext,  # noqa: F811
    machine: As,
    customer: As,
    alice: As,
) -> None:
    put_order(machine, "processing")  # the fake order is still fulfilling: nothing delivered
    cid = customer.post("/api/v1/conversations", json={"body": f"{ORDER} 卡密"}).json()["id"]
    r = reveal(alice, cid)
    assert r.status_code == 404 and r.json()["error"]["code"] == "no_card_codes"
