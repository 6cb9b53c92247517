"""A connection cannot hold the server hostage: silent clients time out (4408), floods
are cut (4429), and a client that stops reading is closed (4413) instead of making the
server buffer without limit; it then resumes from its last seq and loses nothing."""

from __future__ import annotations

import asyncio
import gc
import socket
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
import websockets
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from kefu.web.live.connection import CLOSE_SLOW_CONSUMER, LiveConnection
from tests.realtime.conftest import (
    WAIT,
    Live,
    Peer,
    customer_peer,
    new_conversation,
    staff_peer,
)

LiveFactory = Callable[..., AbstractContextManager[Live]]


def close_code(exc: websockets.ConnectionClosed) -> int | None:
    return exc.rcvd.code if exc.rcvd is not None else None


def test_missed_heartbeat_closes_4408(live_factory: LiveFactory) -> None:
    with live_factory(heartbeat_seconds=0.2) as live:

        async def scenario() -> None:
            customer = await customer_peer(live)
            for _ in range(3):  # a client that answers stays connected
                await customer.recv_type("ping")
                await customer.send({"type": "pong"})
            with pytest.raises(websockets.ConnectionClosed) as closed:
                while True:  # now it goes silent
                    await customer.recv()
            assert close_code(closed.value) == 4408

        asyncio.run(scenario())


def test_flood_is_cut_with_4429(live_factory: LiveFactory) -> None:
    with live_factory(rate_per_second=1, rate_burst=5) as live:

        async def scenario() -> None:
            customer = await customer_peer(live)
            for _ in range(20):
                await customer.send({"type": "ping"})
            frames = []
            with pytest.raises(websockets.ConnectionClosed) as closed:
                while True:
                    frames.append(await customer.recv())
            assert close_code(closed.value) == 4429
            assert [f["type"] for f in frames].count("pong") == 5
            assert frames[-1]["type"] == "error" and frames[-1]["code"] == "rate_limited"

        asyncio.run(scenario())


def server_side(peer: Peer) -> WebSocketsSansIOProtocol:
    """The server's end of `peer`'s socket: the live server runs in a thread of this
    process, so the test can look at what the server really holds for one client."""
    port = peer.ws.local_address[1]
    found = [
        obj
        for obj in gc.get_objects()
        if type(obj) is WebSocketsSansIOProtocol  # (not isinstance: gc holds weak proxies)
        and obj.client is not None
        and obj.client[1] == port
        and not obj.disconnected
    ]
    assert len(found) == 1, found
    return found[0]


def live_connection(peer: Peer) -> LiveConnection:
    """The server's LiveConnection for `peer` (found the same way)."""
    port = peer.ws.local_address[1]
    found = [
        obj
        for obj in gc.get_objects()
        if type(obj) is LiveConnection and obj.ws.client is not None and obj.ws.client.port == port
    ]
    assert len(found) == 1, found
    return found[0]


BODY = "长" * 4900
FRAME_BYTES = len(BODY.encode()) + 1024  # one event frame: the body and the JSON around it


async def stall_and_flood(live: Live, conv: str) -> tuple[Peer, WebSocketsSansIOProtocol, int]:
    """A customer reads one event and stops reading; the agent posts 100 big events
    (~1.5 MB). Returns the customer, the server's end of its socket and the last seq."""
    customer = await customer_peer(live, small_buffers=True)
    server = server_side(customer)
    # small kernel buffers on the server's end too, so the socket fills after a few
    # frames whatever the machine's tcp_wmem (the client's end has SO_RCVBUF 4 KiB)
    server.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    _, high_water = server.transport.get_write_buffer_limits()
    await customer.send({"type": "subscribe", "conversation_id": conv, "after_seq": 0})
    await customer.events_until(conv, 1)
    connection = live_connection(customer)
    agent = await staff_peer(live)
    acks = []
    buffered: list[int] = []  # what the server holds for the customer, after each post
    for i in range(100):
        acks.append(await agent.post(conv, f"{i}{BODY}", f"big-{i}"))
        buffered.append(server.transport.get_write_buffer_size())
    await agent.close()
    assert all(a["type"] == "ack" for a in acks)
    # back-pressure: the server stops writing at the transport's high-water mark (plus
    # the frame that crossed it) instead of buffering what the client does not read
    assert max(buffered) <= high_water + FRAME_BYTES, (max(buffered), high_water)
    # the client reads again only once the server has given up on it
    while connection.close_code is None:
        await asyncio.sleep(0.02)
    assert connection.close_code == CLOSE_SLOW_CONSUMER
    last: int = acks[-1]["seq"]
    return customer, server, last


async def read_until_closed(customer: Peer, last: int) -> tuple[int | None, int]:
    """Everything the stalled client still gets; returns the close code and last seq."""
    seen: list[int] = []
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            frame = await customer.recv()
            if frame["type"] == "event":
                seen.append(frame["seq"])
    # in order, without gaps, and only a small part: the rest was dropped, not kept
    assert seen and seen == list(range(seen[0], seen[-1] + 1))
    assert seen[-1] < last and len(seen) < 50, len(seen)
    return close_code(closed.value), seen[-1]


async def resume(live: Live, conv: str, after_seq: int, last: int) -> None:
    """Reconnect from the last seq seen: the rest, in order, once."""
    again = await customer_peer(live)
    await again.send({"type": "subscribe", "conversation_id": conv, "after_seq": after_seq})
    rest = [f["seq"] for f in await again.events_until(conv, last)]
    assert rest == list(range(after_seq + 1, last + 1))
    await again.close()


def test_slow_consumer_is_closed_4413_and_resumes_losslessly(live_factory: LiveFactory) -> None:
    # the close handshake waits for the client to read again (a generous safety net)
    with live_factory(
        send_queue_size=4, slow_consumer_seconds=0.2, rate_burst=1000, close_timeout_seconds=120
    ) as live:

        async def scenario() -> None:
            conv = await new_conversation(live)
            customer, _, last = await stall_and_flood(live, conv)
            code, seen = await read_until_closed(customer, last)
            assert code == 4413
            await resume(live, conv, seen, last)

        asyncio.run(asyncio.wait_for(scenario(), 6 * WAIT))


def test_client_stalled_past_close_timeout_is_dropped_and_resumes(
    live_factory: LiveFactory,
) -> None:
    """A client that does not even read the close frame is not waited for: the server
    ends the connection after close_timeout_seconds and holds nothing more for it."""
    with live_factory(
        send_queue_size=4, slow_consumer_seconds=0.2, rate_burst=1000, close_timeout_seconds=0.2
    ) as live:

        async def scenario() -> None:
            conv = await new_conversation(live)
            customer, server, last = await stall_and_flood(live, conv)
            while not server.transport.is_closing():  # the server gives up on its own
                await asyncio.sleep(0.05)
            code, seen = await read_until_closed(customer, last)
            assert code in (4413, None)  # None: no close frame (1006)
            await resume(live, conv, seen, last)

        asyncio.run(asyncio.wait_for(scenario(), 6 * WAIT))
