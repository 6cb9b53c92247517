"""The bot's answer reaches the customer over the live socket (docs/protocol.md), on a
real server with a real WebSocket client; the customer sees the answer and its choices,
staff also see the intent, confidence, reason and article."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.realtime.conftest import WAIT, Live, Peer, customer_peer, staff_peer

STAFF_ONLY = {"intent", "confidence", "reason", "article_id", "handoff", "urgent"}


async def _bot_turn(peer: Peer) -> dict[str, Any]:
    while True:
        event = (await peer.recv()).get("event") or {}
        if event.get("type") == "bot_turn":
            return dict(event)


def test_bot_turn_arrives_over_the_socket(live: Live) -> None:
    async def scenario() -> None:
        # a conversation that starts with the bot, as the widget opens it
        async with live.http() as http:
            r = await http.post("/api/v1/conversations", json={}, headers=live.customer_headers())
            assert r.status_code == 201 and r.json()["status"] == "bot", r.text
            conv = r.json()["id"]
        customer = await customer_peer(live)
        staff = await staff_peer(live)
        await customer.send({"type": "subscribe", "conversation_id": conv, "after_seq": 0})
        await staff.send({"type": "subscribe", "conversation_id": conv, "after_seq": 0})
        await customer.send(
            {
                "type": "send",
                "conversation_id": conv,
                "client_msg_id": "c-1",
                "body": "卡密无效怎么办",
            }
        )
        ack: dict[str, Any] | None = None
        bot: dict[str, Any] | None = None
        while ack is None or bot is None:  # the bot may answer before the ack arrives
            frame = await customer.recv()
            if frame.get("type") == "ack":
                ack = frame
            event = frame.get("event") or {}
            if event.get("type") == "bot_turn":
                bot = event
        assert bot["author_type"] == "bot" and bot["body"]
        assert bot["seq"] == ack["seq"] + 1
        # the customer's frame: the answer and its quick replies, nothing for staff
        assert set(bot["data"]) == {"quick_replies"}
        assert not STAFF_ONLY & set(bot["data"])
        seen_by_staff = await _bot_turn(staff)
        assert seen_by_staff["data"]["intent"] == "card_invalid"
        assert set(seen_by_staff["data"]) >= STAFF_ONLY
        # catching up after a reconnect reads the database: same customer view
        again = await customer_peer(live)
        await again.send({"type": "subscribe", "conversation_id": conv, "after_seq": 0})
        replayed = await _bot_turn(again)
        assert replayed["seq"] == bot["seq"] and set(replayed["data"]) == {"quick_replies"}
        # and so does REST
        async with live.http() as http:
            r = await http.get(
                f"/api/v1/conversations/{conv}/events", headers=live.customer_headers()
            )
            turns = [e for e in r.json()["events"] if e["type"] == "bot_turn"]
            assert turns and set(turns[0]["data"]) == {"quick_replies"}
            r = await http.get(f"/api/v1/conversations/{conv}/events", headers=live.staff_headers())
            turns = [e for e in r.json()["events"] if e["type"] == "bot_turn"]
            assert turns[0]["data"]["intent"] == "card_invalid"
        for peer in (customer, staff, again):
            await peer.close()

    asyncio.run(asyncio.wait_for(scenario(), WAIT))
