"""The HTTP side: queue position, 申请升级, call-backs and the supervisor's view."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from kefu.actions.callbacks import sweep_callbacks
from kefu.actions.escalation import sweep_sla
from kefu.clock import FakeClock
from tests.api.conftest import kefu_of
from tests.world import As


def queued_conversation(customer: As, category: str = "order_status") -> str:
    r = customer.post(
        "/api/v1/conversations",
        json={"body": "我的订单一直没到账", "start_with_bot": False, "category": category},
    )
    assert r.status_code == 201, r.text
    public_id: str = r.json()["id"]
    return public_id


def test_queue_position_for_customer_and_staff(customer: As, customer2: As, alice: As) -> None:
    first = queued_conversation(customer)
    second = queued_conversation(customer2)  # a gold member: served first
    assert customer2.get(f"/api/v1/conversations/{second}/queue").json()["position"] == 1
    r = customer.get(f"/api/v1/conversations/{first}/queue")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "queued" and body["position"] == 2
    assert body["expected_wait_seconds"] is None  # nobody online: we do not invent a number
    assert body["offer_alternatives"] is True and "留言" in body["text"]
    assert body["sla"]["first_response_due_at"] is not None
    assert alice.get(f"/api/v1/conversations/{first}/queue").json()["position"] == 2
    # another customer's conversation is simply not found
    assert customer.get(f"/api/v1/conversations/{second}/queue").status_code == 404


def test_escalation_only_after_a_missed_promise(
    client: TestClient, customer: As, clock: FakeClock
) -> None:
    public_id = queued_conversation(customer)
    r = customer.post(f"/api/v1/conversations/{public_id}/escalate", json={})
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "promise_not_due" and "时间未到" in err["message"]
    clock.advance(minutes=11)
    assert customer.get(f"/api/v1/conversations/{public_id}/queue").json()["can_request_escalation"]
    r = customer.post(f"/api/v1/conversations/{public_id}/escalate", json={"reason": "等太久了"})
    assert r.status_code == 200, r.text
    assert r.json()["priority"] == 2
    events = customer.get(f"/api/v1/conversations/{public_id}/events").json()["events"]
    requested = [e for e in events if e["type"] == "sla_breach"]
    assert requested and requested[-1]["data"]["kind"] == "escalation_requested"
    r = customer.post(f"/api/v1/conversations/{public_id}/escalate")
    assert r.status_code == 409 and r.json()["error"]["code"] == "escalation_already_requested"


def test_callback_flow(client: TestClient, customer: As, alice: As, clock: FakeClock) -> None:
    public_id = queued_conversation(customer)
    r = customer.post(f"/api/v1/conversations/{public_id}/callback", json={"phone": "12345"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_phone"
    r = customer.post(f"/api/v1/conversations/{public_id}/callback", json={"phone": "13912345678"})
    assert r.status_code == 201, r.text
    cb = r.json()
    assert cb["phone"] == "139****5678" and cb["status"] == "pending"
    again = customer.post(
        f"/api/v1/conversations/{public_id}/callback", json={"phone": "13912345678"}
    )
    assert again.status_code == 409
    due = alice.get("/api/v1/callbacks?due=1").json()
    assert [c["id"] for c in due] == [cb["id"]] and due[0]["phone"] == "13912345678"
    assert customer.get("/api/v1/callbacks").status_code == 403
    r = alice.post(
        f"/api/v1/callbacks/{cb['id']}/outcome", json={"outcome": "reached", "note": "已补发"}
    )
    assert r.status_code == 200 and r.json()["status"] == "done"
    assert alice.get("/api/v1/callbacks").json() == []
    staff_view = alice.get(f"/api/v1/conversations/{public_id}/events").json()["events"]
    outcome = [e for e in staff_view if e["type"] == "note"][-1]
    assert outcome["data"]["kind"] == "callback_outcome" and outcome["visibility"] == "internal"
    customer_view = customer.get(f"/api/v1/conversations/{public_id}/events").json()["events"]
    assert any(e["data"].get("kind") == "callback_request" for e in customer_view)
    assert all(e["visibility"] == "public" for e in customer_view)


def test_overdue_callback_is_a_breach(
    client: TestClient, customer: As, alice: As, clock: FakeClock
) -> None:
    public_id = queued_conversation(customer)
    r = customer.post(f"/api/v1/conversations/{public_id}/callback", json={"phone": "021-12345678"})
    assert r.status_code == 201, r.text
    clock.advance(timedelta(minutes=61))
    assert client.portal is not None
    client.portal.call(sweep_callbacks, kefu_of(client))
    assert alice.get("/api/v1/callbacks").json()[0]["status"] == "overdue"
    events = alice.get(f"/api/v1/conversations/{public_id}/events").json()["events"]
    assert any(e["type"] == "sla_breach" and e["data"]["kind"] == "callback" for e in events)


def test_supervisor_stats(
    client: TestClient, customer: As, supervisor: As, alice: As, clock: FakeClock
) -> None:
    queued_conversation(customer, "recharge_not_received")
    queued_conversation(customer, "refund")
    assert alice.get("/api/v1/queue/stats").status_code == 403
    clock.advance(minutes=11)
    assert client.portal is not None
    client.portal.call(sweep_sla, kefu_of(client))
    stats = supervisor.get("/api/v1/queue/stats").json()
    assert stats["waiting"] == 2 and stats["sla_breached"] == 2
    assert {d["department"] for d in stats["by_department"]} == {"recharge", "refund"}
    assert all(d["oldest_wait_seconds"] >= 660 for d in stats["by_department"])
