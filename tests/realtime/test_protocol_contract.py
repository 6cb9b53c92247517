"""What docs/protocol.md promises an outside client author: a refused send names its
client_msg_id in `ref`; `subscribed` comes after the catch-up and says where it
ended; a customer's seqs skip internal events; re-subscribing resumes from a cursor."""

from __future__ import annotations

import asyncio

from tests.realtime.conftest import Live, customer_peer, new_conversation


def test_refused_send_carries_its_client_msg_id_in_ref(live: Live) -> None:
    async def scenario() -> None:
        conv = await new_conversation(live)
        customer = await customer_peer(live)
        # malformed (body over the frame limit): refused before it reaches any action
        await customer.send(
            {
                "type": "send",
                "conversation_id": conv,
                "client_msg_id": "too-long-1",
                "body": "长" * 20001,
            }
        )
        err = await customer.recv_type("error")
        assert (err["code"], err["ref"]) == ("bad_frame", "too-long-1")
        # well-formed but refused by the action (over the tenant's message limit)
        err = await customer.post(conv, "长" * 6000, "too-long-2")
        assert err["type"] == "error" and err["ref"] == "too-long-2"
        assert err["code"] == "message_too_long"
        # refused for a conversation the customer may not see
        err = await customer.post("nope-nope", "你好", "other-1")
        assert err["type"] == "error" and err["ref"] == "other-1"
        await customer.close()

    asyncio.run(scenario())


def test_subscribed_marks_the_end_of_the_catch_up(live: Live) -> None:
    async def scenario() -> None:
        conv = await new_conversation(live)
        customer = await customer_peer(live)
        await customer.post(conv, "消息 0", "m-0")  # seq 2
        async with live.http() as http:  # seq 3: internal, never sent to the customer
            r = await http.post(
                f"/api/v1/conversations/{conv}/notes",
                json={"body": "内部备注：先查订单"},
                headers=live.staff_headers(),
            )
            assert r.status_code == 201, r.text
            assert r.json()["seq"] == 3
        for i in (1, 2):  # seqs 4, 5
            await customer.post(conv, f"消息 {i}", f"m-{i}")
        await customer.send({"type": "subscribe", "conversation_id": conv, "after_seq": 0})
        frames = []
        while True:
            frame = await customer.recv_type("event", "subscribed")
            frames.append(frame)
            if frame["type"] == "subscribed":
                break
        events = [f for f in frames if f["type"] == "event"]
        assert frames[-1] == {"type": "subscribed", "conversation_id": conv, "last_seq": 5}
        assert [e["seq"] for e in events] == [1, 2, 4, 5]  # the customer's seqs skip 3
        # re-subscribe from a cursor: only what came after it, then the marker again
        await customer.send({"type": "subscribe", "conversation_id": conv, "after_seq": 4})
        again = await customer.recv_type("event", "subscribed")
        assert again["type"] == "event" and again["seq"] == 5
        marker = await customer.recv_type("subscribed")
        assert marker["last_seq"] == 5
        await customer.close()

    asyncio.run(scenario())
