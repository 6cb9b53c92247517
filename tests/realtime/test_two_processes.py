"""Two app servers, each with its own Database and RedisBroker, on PostgreSQL + Redis:
a customer on A and an agent on B chat; Redis drops every pub/sub connection in the
middle; after the reconnect nothing is lost or duplicated."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
import redis

from kefu.clock import FakeClock
from kefu.realtime.redis_broker import RedisBroker
from tests.realtime.conftest import (
    Live,
    customer_peer,
    new_conversation,
    prepare_world,
    staff_peer,
    timeline,
)


def test_two_processes_survive_a_redis_restart(
    database_url: str,
    redis_url: str,
    tmp_path: Path,
    clock: FakeClock,
    start_server: Callable[..., AbstractContextManager[str]],
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite is single-process")
    world, staff = prepare_world(database_url, tmp_path, clock)
    broker_a, broker_b = RedisBroker(redis_url), RedisBroker(redis_url)
    with start_server(broker=broker_a) as base_a, start_server(broker=broker_b) as base_b:
        a, b = Live(base_a, world, staff), Live(base_b, world, staff)

        async def scenario() -> None:
            conv = await new_conversation(a)
            customer = await customer_peer(a)
            agent = await staff_peer(b)
            await customer.send({"type": "subscribe", "conversation_id": conv, "after_seq": 0})
            await agent.send({"type": "subscribe", "conversation_id": conv, "after_seq": 0})
            await customer.events_until(conv, 1)
            await agent.events_until(conv, 1)
            # normal chat across processes
            ack = await agent.post(conv, "您好，我是客服小林", "x-1")
            got = await customer.events_until(conv, ack["seq"])
            assert got[-1]["event"]["body"] == "您好，我是客服小林"
            ack = await customer.post(conv, "订单 KM001 没到账", "x-2")
            await agent.events_until(conv, ack["seq"])
            # Redis drops every pub/sub connection; messages keep coming meanwhile
            killed = redis.Redis.from_url(redis_url).client_kill_filter(_type="pubsub")
            assert killed >= 2
            acks = [await agent.post(conv, f"处理中 {i}", f"x-r{i}") for i in range(5)]
            acks += [await customer.post(conv, f"好的 {i}", f"x-c{i}") for i in range(5)]
            last = max(x["seq"] for x in acks)
            seen_c = await customer.events_until(conv, last)
            seen_a = await agent.events_until(conv, last)
            for seen, headers in ((seen_c, a.customer_headers()), (seen_a, a.staff_headers())):
                seqs = [f["seq"] for f in seen]
                assert seqs == sorted(set(seqs))  # in order, once
                first = seqs[0]
                expected = await timeline(a, conv, first - 1, headers)
                assert seqs == [e["seq"] for e in expected if e["seq"] <= last]
            # and live again through Redis after the reconnect
            ack = await customer.post(conv, "谢谢", "x-after")
            assert (await agent.events_until(conv, ack["seq"]))[-1]["event"]["body"] == "谢谢"
            await customer.close()
            await agent.close()

        asyncio.run(scenario())
    assert broker_a.reconnects >= 1 and broker_b.reconnects >= 1
