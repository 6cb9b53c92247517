"""The bot's answer reaches the customer over the live socket (docs/protocol.md)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.world import As, World


def test_bot_turn_arrives_over_the_socket(
    client: TestClient, bot_world: World, customer: As
) -> None:
    r = customer.post("/api/v1/conversations", json={})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "hello", "token": customer.token})
        assert ws.receive_json()["type"] == "welcome"
        ws.send_json({"type": "subscribe", "conversation_id": cid, "after_seq": 0})
        ws.send_json(
            {
                "type": "send",
                "conversation_id": cid,
                "client_msg_id": "c-1",
                "body": "卡密无效怎么办",
            }
        )
        frames: list[dict[str, Any]] = []
        for _ in range(20):
            frame = ws.receive_json()
            frames.append(frame)
            if frame.get("type") == "event" and frame["event"]["type"] == "bot_turn":
                break
        bot = [f for f in frames if f.get("type") == "event" and f["event"]["type"] == "bot_turn"]
        assert bot, frames
        assert bot[0]["event"]["author_type"] == "bot"
        assert bot[0]["event"]["data"]["intent"] == "card_invalid"
        assert bot[0]["seq"] == 2
