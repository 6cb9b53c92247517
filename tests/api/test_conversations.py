"""Conversations through HTTP: lifecycle, timeline, idempotency, pagination, permissions."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.world import As, World


def open_conversation(customer: As, body: str = "充值了没到账", **extra: Any) -> dict[str, Any]:
    r = customer.post("/api/v1/conversations", json={"body": body, **extra})
    assert r.status_code == 201, r.text
    return dict(r.json())


def events_of(party: As, conv_id: str, after: int = 0) -> list[dict[str, Any]]:
    r = party.get(f"/api/v1/conversations/{conv_id}/events", params={"after_seq": after})
    assert r.status_code == 200, r.text
    return list(r.json()["events"])


def test_number_and_public_id(customer: As) -> None:
    a = open_conversation(customer)
    b = open_conversation(customer)
    assert a["number"] != b["number"]
    assert a["number"][:3] == "KF-" and len(a["number"]) == len("KF-20261122-000123")
    assert int(b["number"][-6:]) == int(a["number"][-6:]) + 1
    assert len(a["id"]) >= 20 and a["id"] != b["id"]


def test_full_lifecycle(customer: As, alice: As, world: World) -> None:
    conv = open_conversation(customer, client_msg_id="m-1")
    cid = conv["id"]
    assert conv["status"] == "bot" and conv["status_label"] == "机器人接待"
    r = alice.post(f"/api/v1/conversations/{cid}/assign", json={"agent_id": world.agents["alice"]})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "assigned"
    assert r.json()["assignee"]["agent_no"].startswith("KF")
    r = alice.post(f"/api/v1/conversations/{cid}/messages", json={"body": "正在为您查询"})
    assert r.status_code == 201
    assert r.json()["event"]["data"]["author"]["agent_no"].startswith("KF")
    r = alice.post(f"/api/v1/conversations/{cid}/notes", json={"body": "上游渠道卡单，已催"})
    assert r.status_code == 201 and r.json()["visibility"] == "internal"
    r = alice.post(f"/api/v1/conversations/{cid}/status", json={"status": "waiting_customer"})
    assert r.status_code == 200 and r.json()["status"] == "waiting_customer"
    # the customer's reply moves it back to the agent
    customer.post(f"/api/v1/conversations/{cid}/messages", json={"body": "好的谢谢"})
    r = customer.get(f"/api/v1/conversations/{cid}")
    assert r.json()["status"] == "assigned"
    r = alice.post(f"/api/v1/conversations/{cid}/status", json={"status": "resolved"})
    assert r.json()["status"] == "resolved" and r.json()["resolved_at"]
    r = customer.post(f"/api/v1/conversations/{cid}/rating", json={"score": 5, "tags": ["快"]})
    assert r.status_code == 201, r.text
    staff_view = events_of(alice, cid)
    customer_view = events_of(customer, cid)
    seqs = [e["seq"] for e in staff_view]
    assert seqs == list(range(1, len(seqs) + 1)), "seq has no gaps"
    assert any(e["type"] == "note" for e in staff_view)
    assert not any(e["visibility"] == "internal" for e in customer_view)
    types = [e["type"] for e in staff_view]
    assert types[:5] == ["message", "bot_turn", "assignment", "message", "note"]
    assert types[-1] == "rating"


def test_illegal_transition_is_409_with_code(customer: As, alice: As) -> None:
    cid = open_conversation(customer)["id"]
    r = alice.post(f"/api/v1/conversations/{cid}/status", json={"status": "waiting_customer"})
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "illegal_transition"
    assert "状态" in err["message"] and err["message_en"]
    r = alice.post(f"/api/v1/conversations/{cid}/status", json={"status": "closed"})
    assert r.status_code == 200
    r = alice.post(f"/api/v1/conversations/{cid}/status", json={"status": "resolved"})
    assert r.status_code == 409


def test_reopen_after_resolve(customer: As, alice: As, world: World) -> None:
    cid = open_conversation(customer)["id"]
    alice.post(f"/api/v1/conversations/{cid}/assign", json={"agent_id": world.agents["alice"]})
    alice.post(f"/api/v1/conversations/{cid}/status", json={"status": "resolved"})
    r = customer.post(f"/api/v1/conversations/{cid}/messages", json={"body": "又没到账了"})
    assert r.status_code == 201
    conv = customer.get(f"/api/v1/conversations/{cid}").json()
    assert conv["status"] == "assigned" and conv["resolved_at"] is None
    alice.post(f"/api/v1/conversations/{cid}/status", json={"status": "closed"})
    r = customer.post(f"/api/v1/conversations/{cid}/messages", json={"body": "在吗"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "conversation_closed"


def test_client_msg_id_stores_once(customer: As, alice: As) -> None:
    cid = open_conversation(customer)["id"]
    first = customer.post(
        f"/api/v1/conversations/{cid}/messages", json={"body": "订单号 KM1", "client_msg_id": "x1"}
    )
    again = customer.post(
        f"/api/v1/conversations/{cid}/messages", json={"body": "订单号 KM1", "client_msg_id": "x1"}
    )
    assert first.status_code == again.status_code == 201
    assert again.json()["duplicate"] is True
    assert again.json()["event"]["seq"] == first.json()["event"]["seq"]
    assert sum(1 for e in events_of(alice, cid) if e["client_msg_id"] == "x1") == 1


def test_timeline_since_seq(customer: As) -> None:
    cid = open_conversation(customer, start_with_bot=False)["id"]
    for i in range(5):
        customer.post(f"/api/v1/conversations/{cid}/messages", json={"body": f"消息 {i}"})
    later = events_of(customer, cid, after=3)
    assert [e["seq"] for e in later] == [4, 5, 6]
    r = customer.get(f"/api/v1/conversations/{cid}/events", params={"after_seq": 0, "limit": 2})
    assert r.json()["has_more"] is True and r.json()["last_seq"] == 6


def test_list_filters_and_cursor(customer: As, customer2: As, alice: As, world: World) -> None:
    ids = [open_conversation(customer, body=f"问题 {i}")["id"] for i in range(5)]
    other = open_conversation(customer2)["id"]
    alice.post(f"/api/v1/conversations/{ids[0]}/assign", json={"agent_id": world.agents["alice"]})
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = alice.get("/api/v1/conversations", params=params).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert set([*ids, other]) <= set(seen) and len(seen) == len(set(seen))
    mine = alice.get("/api/v1/conversations", params={"assignee": "me"}).json()["items"]
    assert [c["id"] for c in mine] == [ids[0]]
    assigned = alice.get("/api/v1/conversations", params={"status": ["assigned"]}).json()["items"]
    assert [c["id"] for c in assigned] == [ids[0]]
    # a customer lists only their own
    own = customer2.get("/api/v1/conversations").json()["items"]
    assert [c["id"] for c in own] == [other]
    r = alice.get("/api/v1/conversations", params={"cursor": "not-a-cursor!"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_cursor"


def test_customer_cannot_read_another_customers_conversation(customer: As, customer2: As) -> None:
    cid = open_conversation(customer)["id"]
    assert customer2.get(f"/api/v1/conversations/{cid}").status_code == 404
    assert customer2.get(f"/api/v1/conversations/{cid}/events").status_code == 404
    r = customer2.post(f"/api/v1/conversations/{cid}/messages", json={"body": "hi"})
    assert r.status_code == 404


def test_customer_cannot_do_staff_things(customer: As, world: World) -> None:
    cid = open_conversation(customer)["id"]
    r = customer.post(f"/api/v1/conversations/{cid}/notes", json={"body": "x"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = customer.post(
        f"/api/v1/conversations/{cid}/assign", json={"agent_id": world.agents["alice"]}
    )
    assert r.status_code == 403
    r = customer.post(f"/api/v1/conversations/{cid}/status", json={"status": "closed"})
    assert r.status_code == 403
    r = customer.post(f"/api/v1/conversations/{cid}/transfer", json={"department": "refund"})
    assert r.status_code == 403
    assert customer.get(f"/api/v1/conversations/{cid}").json()["department"] is None


def test_assignment_rules(customer: As, alice: As, bob: As, supervisor: As, world: World) -> None:
    convs = [open_conversation(customer)["id"] for _ in range(3)]
    alice_id, bob_id = world.agents["alice"], world.agents["bob"]
    # an agent may claim for themselves, not hand out to others
    r = alice.post(f"/api/v1/conversations/{convs[0]}/assign", json={"agent_id": bob_id})
    assert r.status_code == 403
    assert (
        alice.post(
            f"/api/v1/conversations/{convs[0]}/assign", json={"agent_id": alice_id}
        ).status_code
        == 200
    )
    # nobody else can claim it away
    r = bob.post(f"/api/v1/conversations/{convs[0]}/assign", json={"agent_id": bob_id})
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_assigned"
    # capacity 2
    assert (
        alice.post(
            f"/api/v1/conversations/{convs[1]}/assign", json={"agent_id": alice_id}
        ).status_code
        == 200
    )
    r = alice.post(f"/api/v1/conversations/{convs[2]}/assign", json={"agent_id": alice_id})
    assert r.status_code == 409 and r.json()["error"]["code"] == "agent_at_capacity"
    # a supervisor can reassign
    r = supervisor.post(f"/api/v1/conversations/{convs[0]}/assign", json={"agent_id": bob_id})
    assert r.status_code == 200 and r.json()["assignee"]["id"] == bob_id


def test_transfer_keeps_history_and_hides_note(customer: As, alice: As, world: World) -> None:
    cid = open_conversation(customer, body="我要退款 订单 KM123")["id"]
    alice.post(f"/api/v1/conversations/{cid}/assign", json={"agent_id": world.agents["alice"]})
    r = alice.post(
        f"/api/v1/conversations/{cid}/transfer",
        json={"department": "refund", "note": "客户要求退款，已核实渠道"},
    )
    assert r.status_code == 200, r.text
    conv = r.json()
    assert conv["status"] == "queued" and conv["department"]["code"] == "refund"
    assert conv["assignee"] is None
    staff = events_of(alice, cid)
    assert staff[0]["body"].startswith("我要退款")
    assert any(e["type"] == "transfer" for e in staff)
    assert any(e["type"] == "note" and "已核实渠道" in e["body"] for e in staff)
    cust = events_of(customer, cid)
    assert any(e["type"] == "transfer" for e in cust)
    assert not any("已核实渠道" in e["body"] for e in cust)
    r = alice.post(f"/api/v1/conversations/{cid}/transfer", json={"department": "nope"})
    assert r.status_code == 404


def test_transfer_to_agent(customer: As, alice: As, world: World) -> None:
    cid = open_conversation(customer)["id"]
    alice.post(f"/api/v1/conversations/{cid}/assign", json={"agent_id": world.agents["alice"]})
    r = alice.post(f"/api/v1/conversations/{cid}/transfer", json={"agent_id": world.agents["bob"]})
    assert r.status_code == 200
    assert r.json()["assignee"]["id"] == world.agents["bob"]
    assert r.json()["department"]["code"] == "refund"


def test_secrets_are_masked_before_storage(customer: As, alice: As) -> None:
    cid = open_conversation(customer)["id"]
    r = customer.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"body": "我的密码是 abc12345 验证码 665544 订单 KM20261123100012345"},
    )
    assert r.status_code == 201
    assert r.json()["redacted"]
    stored = events_of(alice, cid)[-1]["body"]
    assert "abc12345" not in stored and "665544" not in stored
    assert "KM20261123100012345" in stored


def test_staff_creates_ticket_for_customer(machine: As, world: World, alice: As) -> None:
    r = machine.post(
        "/api/v1/conversations",
        json={
            "channel": "ticket",
            "subject": "话费充值失败",
            "body": "充值 100 元未到账",
            "customer_id": world.customers["m1"],
            "department": "recharge",
            "priority": 2,
            "order_nos": [world.orders[0]],
            "start_with_bot": False,
        },
    )
    assert r.status_code == 201, r.text
    conv = r.json()
    assert conv["status"] == "queued" and conv["priority_label"] == "high"
    assert conv["department"]["code"] == "recharge"
    r = machine.post(
        "/api/v1/conversations", json={"body": "x", "order_nos": ["KM-DOES-NOT-EXIST"]}
    )
    assert r.status_code == 404


def test_message_validation(customer: As) -> None:
    cid = open_conversation(customer, start_with_bot=False)["id"]
    r = customer.post(f"/api/v1/conversations/{cid}/messages", json={"body": "   "})
    assert r.status_code == 422 and r.json()["error"]["code"] == "empty_message"
    r = customer.post(f"/api/v1/conversations/{cid}/messages", json={"body": "长" * 6000})
    assert r.status_code == 422 and r.json()["error"]["code"] == "message_too_long"
    r = customer.post(f"/api/v1/conversations/{cid}/messages", json={"body": 123})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
    # nothing above was stored
    assert len(events_of(customer, cid)) == 1


def test_rating_rules(customer: As, alice: As, world: World) -> None:
    cid = open_conversation(customer)["id"]
    r = customer.post(f"/api/v1/conversations/{cid}/rating", json={"score": 4})
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_resolved"
    alice.post(f"/api/v1/conversations/{cid}/assign", json={"agent_id": world.agents["alice"]})
    alice.post(f"/api/v1/conversations/{cid}/status", json={"status": "resolved"})
    assert (
        customer.post(f"/api/v1/conversations/{cid}/rating", json={"score": 9}).status_code == 422
    )
    assert alice.post(f"/api/v1/conversations/{cid}/rating", json={"score": 3}).status_code == 403


def test_unauthenticated_is_401(client: TestClient) -> None:
    r = client.get("/api/v1/conversations")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized"
    r = client.get("/api/v1/conversations", headers={"Authorization": "Bearer kfm_abc_def"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"


def test_handoff_is_one_step_and_idempotent(customer: As, alice: As) -> None:
    cid = open_conversation(customer)["id"]
    r = customer.post(f"/api/v1/conversations/{cid}/handoff")
    assert r.status_code == 200 and r.json()["status"] == "queued"
    again = customer.post(f"/api/v1/conversations/{cid}/handoff", json={"reason": "button"})
    assert again.status_code == 200 and again.json()["status"] == "queued"
    types = [e["type"] for e in events_of(alice, cid)]
    assert types.count("handoff") == 1 and types[-1] == "status_change"
