"""One phone rule at every door: the marketplace's customers, the ticket form and the
call-back request accept and refuse the same numbers and mask them the same way."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.helpcenter.conftest import GOOD_FORM
from tests.world import As, World


def test_every_entry_point_uses_the_same_phone_rule(
    client: TestClient, world: World, machine: As, customer: As
) -> None:
    bad, good = "2381234567", "+86 139-1234-5678"
    r = machine.put("/api/v1/customers", json={"external_id": "u-p", "phone": bad})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_phone"
    r = machine.put("/api/v1/customers", json={"external_id": "u-p", "phone": good})
    assert r.status_code == 200 and r.json()["phone_masked"] == "139****5678"

    r = client.post(
        f"/api/v1/tickets?tenant={world.slug}", data={**GOOD_FORM, "contact_phone": bad}
    )
    assert r.status_code == 422 and "contact_phone" in r.json()["error"]["details"]["fields"]
    r = client.post(
        f"/api/v1/tickets?tenant={world.slug}", data={**GOOD_FORM, "contact_phone": good}
    )
    assert r.status_code == 201, r.text
    r = client.post(
        "/api/v1/tickets/lookup",
        json={"tenant": world.slug, "number": r.json()["number"], "secret": "5678"},
    )
    assert r.status_code in (200, 202), r.text  # the last 4 digits match (202: a code follows)

    conv = customer.post("/api/v1/conversations", json={"body": "在吗", "start_with_bot": False})
    path = f"/api/v1/conversations/{conv.json()['id']}/callback"
    r = customer.post(path, json={"phone": bad})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_phone"
    r = customer.post(path, json={"phone": good})
    assert r.status_code == 201 and r.json()["phone"] == "139****5678"
