"""Findings (Medium / Low): a machine token could mint machine tokens that survived the
revocation of the original, and nothing listed tokens; one ticket-number counter was
shared by all tenants, so each saw the others' daily volume."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.security.conftest import AppFactory, world_in
from tests.world import As


def test_machine_token_cannot_mint_list_or_revoke_tokens(make_client: AppFactory) -> None:
    client = make_client()
    world = world_in(client)
    machine = As(client, token=world.machine_token)
    assert machine.post("/api/v1/tokens", json={"name": "child"}).status_code in (403, 404)
    assert machine.get("/api/v1/tokens").status_code in (403, 404)
    assert machine.delete(f"/api/v1/tokens/{world.token_id}").status_code in (403, 404)
    supervisor = As.staff(client, world.emails["supervisor"])
    assert supervisor.post("/api/v1/tokens", json={"name": "x"}).status_code in (403, 404)


def test_admin_lists_scopes_and_revokes_tokens(make_client: AppFactory) -> None:
    client = make_client()
    world = world_in(client)
    admin = As.staff(client, world.emails["admin"])
    made = admin.post("/api/v1/tokens", json={"name": "orders only", "scopes": ["commerce"]})
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    listed = admin.get("/api/v1/tokens")
    assert listed.status_code == 200
    rows = {row["id"]: row for row in listed.json()}
    assert rows[made.json()["id"]]["scopes"] == ["commerce"]
    assert all(token not in str(row) for row in rows.values())  # secrets never listed
    scoped = As(client, token=token)
    assert scoped.get(f"/api/v1/orders/{world.orders[0]}").status_code == 200
    assert scoped.get("/api/v1/conversations").status_code == 403  # not its scope
    assert admin.delete(f"/api/v1/tokens/{made.json()['id']}").status_code == 204
    assert scoped.get(f"/api/v1/orders/{world.orders[0]}").status_code == 401
    revoked = {row["id"]: row for row in admin.get("/api/v1/tokens").json()}
    assert revoked[made.json()["id"]]["revoked_at"] is not None
    bad = admin.post("/api/v1/tokens", json={"name": "x", "scopes": ["root"]})
    assert bad.status_code == 422


def _first_ticket_number(client: TestClient, slug: str, customer_token: str) -> str:
    r = client.post(
        "/api/v1/conversations",
        json={"body": "你好"},
        headers={"Authorization": f"Bearer {customer_token}"},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["number"])


def test_each_tenant_counts_its_own_ticket_numbers(make_client: AppFactory) -> None:
    client = make_client()
    a, b = world_in(client), world_in(client)
    first_a = _first_ticket_number(client, a.slug, a.customer_tokens["m1"])
    for _ in range(3):
        _first_ticket_number(client, a.slug, a.customer_tokens["m2"])
    first_b = _first_ticket_number(client, b.slug, b.customer_tokens["m1"])
    # tenant B's number does not move with tenant A's volume
    assert first_a.rsplit("-", 1)[0] == first_b.rsplit("-", 1)[0]
    next_a = _first_ticket_number(client, a.slug, a.customer_tokens["m1"])
    assert int(next_a.rsplit("-", 1)[1]) - int(first_a.rsplit("-", 1)[1]) == 4
    next_b = _first_ticket_number(client, b.slug, b.customer_tokens["m1"])
    assert int(next_b.rsplit("-", 1)[1]) - int(first_b.rsplit("-", 1)[1]) == 1
