"""The live socket against a real server: auth, resume without loss or duplicates,
idempotent sends, who may see what, typing and read receipts, the staff stream."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from sqlalchemy import create_engine, select

from kefu.storage.database import sync_url
from kefu.storage.models import Conversation
from tests.realtime.conftest import (
    WAIT,
    Live,
    Peer,
    customer_peer,
    new_conversation,
    staff_peer,
    timeline,
)


async def refused(live: Live, first: dict[str, object] | None, headers: dict[str, str]) -> dict:
    ws = await websockets.connect(live.ws_url, additional_headers=headers)
    if first is not None:
        await ws.send(json.dumps(first))
    frame = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), WAIT)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    assert frame["type"] == "error"
    result: dict = frame
    return result


def test_auth_refused_with_4401(live: Live) -> None:
    async def scenario() -> None:
        forged = live.world.customer_tokens["m1"][:-4] + "AAAA"
        assert (await refused(live, {"type": "hello", "token": forged}, {}))["code"] in (
            "unauthorized",
            "invalid_token",
        )
        await refused(live, {"type": "hello", "token": "kfm_nope_nope"}, {})
        await refused(live, {"type": "hello"}, {})  # no cookie, no token
        await refused(live, {"type": "subscribe", "conversation_id": "x"}, {})
        cookie = {"Cookie": f"kefu_session={live.staff['alice'].cookie}"}
        err = await refused(live, {"type": "hello"}, {**cookie, "Origin": "https://evil.example"})
        assert err["code"] == "bad_origin"
        err = await refused(live, {"type": "hello"}, cookie)  # no Origin at all
        assert err["code"] == "bad_origin"
        # the same cookie from our own origin, and a machine token, are welcome
        await (await staff_peer(live)).close()
        await (await Peer.open(live.ws_url, token=live.world.machine_token)).close()

    asyncio.run(scenario())


def test_drop_and_resume_gets_exactly_the_missed_events(live: Live) -> None:
    async def scenario() -> None:
        conv = await new_conversation(live)
        customer = await customer_peer(live)
        await customer.send({"type": "subscribe", "conversation_id": conv, "after_seq": 0})
        first = await customer.events_until(conv, 1)
        last = first[-1]["seq"]
        await customer.close()

        agent = await staff_peer(live)
        seqs = [(await agent.post(conv, f"您好，正在查 {i}", f"a{i}"))["seq"] for i in range(3)]
        customer = await customer_peer(live)
        await customer.send({"type": "subscribe", "conversation_id": conv, "after_seq": last})
        expected = await timeline(live, conv, last, live.customer_headers())
        got = await customer.events_until(conv, expected[-1]["seq"])
        assert [f["seq"] for f in got] == [e["seq"] for e in expected]
        assert [f["event"] for f in got] == [
            {**e, "created_at": f["event"]["created_at"]}
            for e, f in zip(expected, got, strict=True)
        ]
        assert set(seqs) <= {f["seq"] for f in got}
        # live from here: the next message arrives once, nothing before it again
        ack = await agent.post(conv, "已经到账了", "a-live")
        again = await customer.events_until(conv, ack["seq"])
        assert [f["seq"] for f in again] == [
            e["seq"] for e in await timeline(live, conv, got[-1]["seq"], live.customer_headers())
        ]
        await customer.close()
        await agent.close()

    asyncio.run(scenario())


def test_resent_client_msg_id_is_stored_once(live: Live) -> None:
    async def scenario() -> None:
        conv = await new_conversation(live)
        customer = await customer_peer(live)
        one = await customer.post(conv, "订单号 KM123 没到账", "c-dup-1")
        two = await customer.post(conv, "订单号 KM123 没到账", "c-dup-1")
        assert one["type"] == two["type"] == "ack"
        assert (one["duplicate"], two["duplicate"]) == (False, True)
        assert one["seq"] == two["seq"]
        events = await timeline(live, conv, 0, live.customer_headers())
        assert [e["client_msg_id"] for e in events].count("c-dup-1") == 1
        await customer.close()

    asyncio.run(scenario())


def test_burst_of_100_while_disconnected_arrives_in_order(live_factory) -> None:  # type: ignore[no-untyped-def]
    with live_factory(catch_up_page=30, rate_burst=500) as live:

        async def scenario() -> None:
            conv = await new_conversation(live)
            agent = await staff_peer(live)
            acks = [await agent.post(conv, f"第 {i} 条", f"burst-{i}") for i in range(100)]
            assert all(a["type"] == "ack" for a in acks)
            customer = await customer_peer(live)
            await customer.send({"type": "subscribe", "conversation_id": conv, "after_seq": 1})
            got = await customer.events_until(conv, acks[-1]["seq"])
            bodies = [f["event"]["body"] for f in got if f["event"]["type"] == "message"]
            assert bodies == [f"第 {i} 条" for i in range(100)]
            seqs = [f["seq"] for f in got]
            assert seqs == sorted(set(seqs))
            await customer.close()
            await agent.close()

        asyncio.run(scenario())


def test_another_customers_conversation_is_refused(live: Live) -> None:
    async def scenario() -> None:
        conv = await new_conversation(live, "m1")
        intruder = await customer_peer(live, "m2")
        await intruder.send({"type": "subscribe", "conversation_id": conv, "after_seq": 0})
        assert (await intruder.recv())["code"] == "not_found"
        err = await intruder.post(conv, "我也想看", "intrude-1")
        assert err["type"] == "error" and err["code"] == "not_found"
        await intruder.send({"type": "typing", "conversation_id": conv, "on": True})
        assert (await intruder.recv())["code"] == "not_found"
        await intruder.send({"type": "subscribe_tenant"})
        assert (await intruder.recv())["code"] == "forbidden"
        await intruder.close()

    asyncio.run(scenario())


def test_internal_notes_never_reach_the_customer(live: Live) -> None:
    async def scenario() -> None:
        conv = await new_conversation(live)
        customer = await customer_peer(live)
        agent = await staff_peer(live)
        for peer in (customer, agent):
            await peer.send({"type": "subscribe", "conversation_id": conv, "after_seq": 0})
        async with live.http() as http:
            r = await http.post(
                f"/api/v1/conversations/{conv}/notes",
                json={"body": "内部备注：此客户疑似羊毛党"},
                headers=live.staff_headers(),
            )
            assert r.status_code == 201, r.text
            note_seq = r.json()["seq"]
        await agent.send({"type": "typing", "conversation_id": conv, "on": True, "internal": True})
        ack = await agent.post(conv, "您好，这边帮您查", "pub-1")
        seen_by_agent = await agent.events_until(conv, ack["seq"])
        assert note_seq in {f["seq"] for f in seen_by_agent}
        frames = []
        while True:
            frame = await customer.recv()
            frames.append(frame)
            if frame["type"] == "event" and frame["seq"] >= ack["seq"]:
                break
        assert all(f.get("event", {}).get("visibility") != "internal" for f in frames)
        assert note_seq not in {f.get("seq") for f in frames if f["type"] == "event"}
        assert not [f for f in frames if f["type"] == "typing"]
        assert "羊毛党" not in json.dumps(frames, ensure_ascii=False)
        await customer.close()
        await agent.close()

    asyncio.run(scenario())


def test_typing_and_read_are_relayed_and_read_is_stored(live: Live, database_url: str) -> None:
    async def scenario() -> int:
        conv = await new_conversation(live)
        customer = await customer_peer(live)
        agent = await staff_peer(live)
        for peer in (customer, agent):
            await peer.send({"type": "subscribe", "conversation_id": conv, "after_seq": 0})
        await customer.events_until(conv, 1)
        await agent.events_until(conv, 1)
        await customer.send({"type": "typing", "conversation_id": conv, "on": True})
        typing = await agent.recv_type("typing")
        assert (typing["who"], typing["on"], typing["conversation_id"]) == ("customer", True, conv)
        ack = await agent.post(conv, "收到，马上处理", "r-1")
        await customer.events_until(conv, ack["seq"])
        await customer.send({"type": "read", "conversation_id": conv, "seq": ack["seq"]})
        read = await agent.recv_type("read")
        assert (read["who"], read["seq"]) == ("customer", ack["seq"])
        await agent.send({"type": "typing", "conversation_id": conv, "on": False})
        typing = await customer.recv_type("typing")
        assert (typing["who"], typing["on"], typing["name"]) == ("agent", False, "alice")
        await customer.close()
        await agent.close()
        return int(ack["seq"])

    read_seq = asyncio.run(scenario())
    engine = create_engine(sync_url(database_url))
    with engine.connect() as db:
        marks = db.execute(
            select(Conversation.customer_read_seq).order_by(Conversation.id.desc()).limit(1)
        ).scalar_one()
    engine.dispose()
    assert marks == read_seq


def test_staff_tenant_stream_gets_updates(live: Live) -> None:
    async def scenario() -> None:
        console = await staff_peer(live, "supervisor")
        await console.send({"type": "subscribe_tenant"})
        await console.send({"type": "ping"})
        assert (await console.recv_type("pong"))["type"] == "pong"  # subscribed by now
        conv = await new_conversation(live)
        customer = await customer_peer(live)
        ack = await customer.post(conv, "还在吗", "t-1")
        while True:
            frame = await console.recv_type("conversation")
            if frame["conversation_id"] == conv and frame["seq"] >= ack["seq"]:
                break
        await console.close()
        await customer.close()

    asyncio.run(scenario())
