"""The bot's answer reaches the customer over the live socket (docs/protocol.md), on a
real server with a real WebSocket client."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.realtime.conftest import WAIT, Live, customer_peer


def test_bot_turn_arrives_over_the_socket(live: Live) -> None:
    async def scenario() -> None:
        # a conversation that starts with the bot, as the widget opens it
        async with live.http() as http:
            r = await http.post("/api/v1/conversations", json={}, headers=live.customer_headers())
            assert r.status_code == 201 and r.json()["status"] == "bot", r.text
            conv = r.json()["id"]
        customer = await customer_peer(live)
        await customer.send({"type": "subscribe", "conversation_id": conv, "after_seq": 0})
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
        assert bot["author_type"] == "bot"
        assert bot["data"]["intent"] == "card_invalid"
        assert bot["seq"] == ack["seq"] + 1
        await customer.close()

    asyncio.run(asyncio.wait_for(scenario(), WAIT))
