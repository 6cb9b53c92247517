"""Customers and orders from the marketplace; agents and presence."""

from __future__ import annotations

from tests.world import As, World


def test_machine_upserts_customer_and_order(machine: As, world: World, alice: As) -> None:
    r = machine.put(
        "/api/v1/customers",
        json={
            "external_id": "u-9",
            "display_name": "新会员",
            "tier": "diamond",
            "phone": "13912345678",
        },
    )
    assert r.status_code == 200, r.text
    c = r.json()
    assert c["phone_masked"] == "139****5678" and c["tier"] == "diamond"
    r = machine.put(
        "/api/v1/orders",
        json={
            "order_no": "KM20261123999",
            "product": "Q币 100",
            "amount": "100.00",
            "status": "paid",
            "customer_external_id": "u-9",
            "upstream_status": "处理中",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["amount"] == "100.00"
    r = machine.put(
        "/api/v1/orders",
        json={
            "order_no": "KM20261123999",
            "product": "Q币 100",
            "amount": "100.00",
            "status": "delivered",
        },
    )
    assert r.json()["status"] == "delivered"
    orders = alice.get(f"/api/v1/customers/{c['id']}/orders").json()
    assert [o["order_no"] for o in orders] == ["KM20261123999"]
    assert alice.get(f"/api/v1/customers/{c['id']}").json()["display_name"] == "新会员"


def test_order_validation(machine: As) -> None:
    bad = {"order_no": "A1", "product": "x", "amount": "-1", "status": "paid"}
    assert machine.put("/api/v1/orders", json=bad).status_code == 422
    bad = {"order_no": "A1", "product": "x", "amount": "1", "status": "lost"}
    assert machine.put("/api/v1/orders", json=bad).status_code == 422
    ok_unknown_customer = {
        "order_no": "A1",
        "product": "x",
        "amount": "1",
        "status": "paid",
        "customer_external_id": "nobody",
    }
    assert machine.put("/api/v1/orders", json=ok_unknown_customer).status_code == 404


def test_customers_see_only_their_orders(customer: As, customer2: As, world: World) -> None:
    assert customer.get(f"/api/v1/orders/{world.orders[0]}").status_code == 200
    assert customer2.get(f"/api/v1/orders/{world.orders[0]}").status_code == 404
    assert customer.get(f"/api/v1/customers/{world.customers['m2']}").status_code == 404


def test_only_machines_and_admins_write_commerce(alice: As, customer: As, admin: As) -> None:
    body = {"external_id": "u-10"}
    assert alice.put("/api/v1/customers", json=body).status_code == 403
    assert customer.put("/api/v1/customers", json=body).status_code == 403
    assert admin.put("/api/v1/customers", json=body).status_code == 200


def test_agents_and_presence(alice: As, world: World, customer: As) -> None:
    me = alice.get("/api/v1/agents/me").json()
    assert me["id"] == world.agents["alice"] and me["department"]["code"] == "recharge"
    r = alice.put("/api/v1/agents/me/presence", json={"presence": "busy"})
    assert r.json()["presence"] == "busy"
    assert alice.put("/api/v1/agents/me/presence", json={"presence": "asleep"}).status_code == 422
    agents = alice.get("/api/v1/agents").json()
    assert {a["agent_no"] for a in agents} >= {"KF8002"}
    assert customer.get("/api/v1/agents").status_code == 403
    assert customer.get("/api/v1/agents/me").status_code == 403
