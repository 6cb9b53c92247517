from fastapi.testclient import TestClient

from tests.world import As, World


def test_healthz(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok"}


def test_customer_chat_to_agent(client: TestClient, world: World, customer: As, alice: As) -> None:
    r = customer.post("/api/v1/conversations", json={"body": "充值了没到账", "client_msg_id": "c1"})
    assert r.status_code == 201, r.text
    conv = r.json()
    assert conv["number"].startswith("KF-")
    assert conv["status"] == "bot"
    r = alice.post(f"/api/v1/conversations/{conv['id']}/messages", json={"body": "您好，我是小林"})
    assert r.status_code == 201, r.text
    r = customer.get(f"/api/v1/conversations/{conv['id']}/events")
    body = r.json()
    assert [e["type"] for e in body["events"]] == ["message", "bot_turn", "assignment", "message"]
    assert [e["seq"] for e in body["events"]] == [1, 2, 3, 4]
