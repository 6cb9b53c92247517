"""Every endpoint, driven as tenant A against tenant B's objects, answers 404."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.api.pixels import png_bytes
from tests.world import As, World

# valid bodies, so that only the object's tenant decides the answer
BODIES: dict[tuple[str, str], dict[str, Any] | None] = {
    ("GET", "/api/v1/conversations/{conversation_id}"): None,
    ("GET", "/api/v1/conversations/{conversation_id}/events"): None,
    ("POST", "/api/v1/conversations/{conversation_id}/messages"): {"body": "你好"},
    ("POST", "/api/v1/conversations/{conversation_id}/assign"): {"agent_id": 1},
    ("POST", "/api/v1/conversations/{conversation_id}/transfer"): {"department": "refund"},
    ("POST", "/api/v1/conversations/{conversation_id}/status"): {"status": "closed"},
    ("POST", "/api/v1/conversations/{conversation_id}/notes"): {"body": "备注"},
    ("POST", "/api/v1/conversations/{conversation_id}/rating"): {"score": 5},
    ("GET", "/api/v1/customers/{customer_id}"): None,
    ("GET", "/api/v1/customers/{customer_id}/orders"): None,
    ("GET", "/api/v1/orders/{order_no}"): None,
    ("GET", "/api/v1/attachments/{attachment_id}"): None,
    ("DELETE", "/api/v1/tokens/{token_id}"): None,
}


def routes_with_params(client: TestClient) -> list[tuple[str, str]]:
    out = []
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and "{" in route.path:
            for method in route.methods:
                out.append((method, route.path))
    return sorted(out)


def test_every_parameterised_route_has_a_case(client: TestClient) -> None:
    missing = set(routes_with_params(client)) - set(BODIES)
    assert not missing, f"add a tenancy case for {missing}"


@pytest.fixture
def b_objects(client: TestClient, other_world: World) -> dict[str, str]:
    b_machine = As(client, token=other_world.machine_token)
    b_customer = As(client, token=other_world.customer_tokens["m1"])
    conv = b_customer.post("/api/v1/conversations", json={"body": "B 的会话"}).json()
    att = b_machine.post(
        "/api/v1/attachments", files={"file": ("b.png", png_bytes(), "image/png")}
    ).json()
    return {
        "conversation_id": conv["id"],
        "customer_id": str(other_world.customers["m1"]),
        "order_no": other_world.orders[0],
        "attachment_id": att["id"],
        "token_id": str(other_world.token_id),
    }


def fill(path: str, objects: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: objects[m.group(1)], path)


@pytest.mark.parametrize("party", ["admin", "machine", "customer"])
def test_tenant_a_gets_404_for_tenant_b_objects(
    client: TestClient,
    world: World,
    b_objects: dict[str, str],
    party: str,
    admin: As,
    machine: As,
    customer: As,
) -> None:
    actor = {"admin": admin, "machine": machine, "customer": customer}[party]
    for (method, path), body in sorted(BODIES.items()):
        url = fill(path, b_objects)
        r = (
            actor.request(method, url, json=body)
            if body is not None
            else actor.request(method, url)
        )
        assert r.status_code == 404, f"{party} {method} {url}: {r.status_code} {r.text}"
        assert r.json()["error"]["code"] == "not_found"


def test_lists_never_show_other_tenants(
    client: TestClient, world: World, other_world: World, b_objects: dict[str, str], admin: As
) -> None:
    r = admin.get("/api/v1/conversations", params={"customer_id": other_world.customers["m1"]})
    assert r.status_code == 200 and r.json()["items"] == []
    ids = [c["id"] for c in admin.get("/api/v1/conversations").json()["items"]]
    assert b_objects["conversation_id"] not in ids
    agents = admin.get("/api/v1/agents").json()
    assert {a["id"] for a in agents} == set(world.agents.values())


def test_cannot_assign_to_another_tenants_agent(
    client: TestClient, world: World, other_world: World, supervisor: As, customer: As
) -> None:
    cid = customer.post("/api/v1/conversations", json={"body": "hi"}).json()["id"]
    r = supervisor.post(
        f"/api/v1/conversations/{cid}/assign", json={"agent_id": other_world.agents["alice"]}
    )
    assert r.status_code == 404
    r = supervisor.post(
        f"/api/v1/conversations/{cid}/transfer", json={"agent_id": other_world.agents["bob"]}
    )
    assert r.status_code == 404


def test_cannot_attach_another_tenants_upload(
    client: TestClient, world: World, b_objects: dict[str, str], customer: As
) -> None:
    r = customer.post(
        "/api/v1/conversations",
        json={"body": "截图", "attachment_ids": [b_objects["attachment_id"]]},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_attachment"
