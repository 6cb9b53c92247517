"""Local fan-out first: while Redis is stalled (SIGSTOP) or gone (killed), a customer
and an agent on the same server keep chatting; Redis only serves other processes.

The test runs its own redis-server on a free port (never the shared one), so it can
stop and kill it."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
import redis

from kefu.clock import FakeClock
from kefu.realtime.redis_broker import RedisBroker
from tests.realtime.conftest import Live, customer_peer, new_conversation, prepare_world, staff_peer

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    assert REDIS_SERVER is not None
    port = _free_port()
    args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)]
    proc = subprocess.Popen(
        [REDIS_SERVER, *args, "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)
    try:
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
            proc.kill()
        proc.wait(10)


@pytest.mark.parametrize("outage", ["stalled", "killed"])
def test_same_process_delivery_does_not_wait_for_redis(
    database_url: str,
    tmp_path: Path,
    clock: FakeClock,
    start_server: Callable[..., AbstractContextManager[str]],
    own_redis: tuple[str, subprocess.Popen[bytes]],
    outage: str,
) -> None:
    url, proc = own_redis
    world, staff = prepare_world(database_url, tmp_path, clock)
    broker = RedisBroker(url)
    with start_server(broker=broker) as base:
        live = Live(base, world, staff)

        async def scenario() -> None:
            conv = await new_conversation(live)
            customer = await customer_peer(live)
            agent = await staff_peer(live)
            for peer in (customer, agent):
                await peer.send({"type": "subscribe", "conversation_id": conv, "after_seq": 0})
                await peer.recv_type("subscribed")
            ack = await customer.post(conv, "在吗", "r-0")
            await agent.events_until(conv, ack["seq"])
            if outage == "stalled":
                os.kill(proc.pid, signal.SIGSTOP)  # Redis accepts nothing, answers nothing
            else:
                proc.kill()
                proc.wait(10)
            for i in range(5):
                ack = await customer.post(conv, f"Redis 不在时的消息 {i}", f"r-c{i}")
                assert ack["type"] == "ack", ack
                got = await agent.events_until(conv, ack["seq"])
                assert got[-1]["event"]["body"] == f"Redis 不在时的消息 {i}"
                reply = await agent.post(conv, f"收到 {i}", f"r-a{i}")
                assert reply["type"] == "ack", reply
                got = await customer.events_until(conv, reply["seq"])
                assert got[-1]["event"]["body"] == f"收到 {i}"
            # Redis stays out until the fixture ends: nothing above went through it
            await customer.close()
            await agent.close()

        asyncio.run(scenario())
