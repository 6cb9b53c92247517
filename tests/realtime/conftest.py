"""A real uvicorn server per test, a world built through the actions layer, and
websocket clients that speak the live protocol as each party."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from kefu.actions.auth import do_sign_in
from kefu.actions.context import Kefu
from kefu.clock import FakeClock
from kefu.realtime.broker import Broker, InProcessBroker
from kefu.storage.database import Database
from kefu.web.app import create_app
from kefu.web.live.config import RealtimeSettings
from tests.conftest import make_settings
from tests.livesrv import live_server
from tests.world import PASSWORD, World, build_world

WAIT = 15.0  # a safety net against hangs, not a timing assertion


@dataclass
class Staff:
    cookie: str
    csrf: str


@dataclass
class Live:
    base: str
    world: World
    staff: dict[str, Staff]

    @property
    def ws_url(self) -> str:
        return self.base.replace("http://", "ws://") + "/ws"

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base, timeout=WAIT)

    def customer_headers(self, ext: str = "m1") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.world.customer_tokens[ext]}"}

    def staff_headers(self, name: str = "alice") -> dict[str, str]:
        s = self.staff[name]
        return {"Cookie": f"kefu_session={s.cookie}", "X-CSRF-Token": s.csrf}


async def _prepare(kefu: Kefu) -> tuple[World, dict[str, Staff]]:
    world = await build_world(kefu)
    staff = {}
    for name in ("alice", "supervisor"):
        signed = await do_sign_in(kefu, world.emails[name], PASSWORD, "127.0.0.1")
        staff[name] = Staff(signed.cookie_value, signed.csrf_token)
    return world, staff


def prepare_world(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> tuple[World, dict[str, Staff]]:
    async def run() -> tuple[World, dict[str, Staff]]:
        settings = make_settings(database_url, tmp_path / "var")
        db = Database(database_url)
        try:
            return await _prepare(Kefu(settings, db, InProcessBroker(), clock))
        finally:
            await db.dispose()

    return asyncio.run(run())


StartLive = Callable[..., AbstractContextManager[str]]


@pytest.fixture
def start_server(database_url: str, tmp_path: Path, clock: FakeClock) -> StartLive:
    @contextmanager
    def start(broker: Broker | None = None, **realtime: Any) -> Iterator[str]:
        settings = make_settings(database_url, tmp_path / "var")
        app = create_app(settings, clock=clock, broker=broker)
        app.state.realtime = RealtimeSettings(**realtime)
        with live_server(app) as base:
            yield base

    return start


@pytest.fixture
def live_factory(
    database_url: str, tmp_path: Path, clock: FakeClock, start_server: StartLive
) -> Callable[..., AbstractContextManager[Live]]:
    @contextmanager
    def make(**realtime: Any) -> Iterator[Live]:
        world, staff = prepare_world(database_url, tmp_path, clock)
        with start_server(**realtime) as base:
            yield Live(base, world, staff)

    return make


@pytest.fixture
def live(live_factory: Callable[..., AbstractContextManager[Live]]) -> Iterator[Live]:
    with live_factory() as lv:
        yield lv


class Peer:
    """One websocket client speaking the protocol."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.held: list[dict[str, Any]] = []  # frames skipped by recv_type, in order

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        small_buffers: bool = False,
    ) -> Peer:
        sock = None
        compression: str | None = "deflate"
        if small_buffers:  # a client that stops reading fills up quickly
            # without permessage-deflate: repetitive test bodies would shrink to a few
            # bytes on the wire and never fill the socket buffers
            compression = None
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            host, port = urlsplit(url).netloc.split(":")
            sock.connect((host, int(port)))
            sock.setblocking(False)
        ws = await websockets.connect(
            url,
            additional_headers=headers or {},
            open_timeout=WAIT,
            sock=sock,
            max_queue=4,
            compression=compression,
        )
        peer = cls(ws)
        hello: dict[str, Any] = {"type": "hello"}
        if token:
            hello["token"] = token
        await peer.send(hello)
        welcome = await peer.recv()
        assert welcome["type"] == "welcome", welcome
        return peer

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def recv(self) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), WAIT))
        return frame

    async def recv_type(self, *types: str) -> dict[str, Any]:
        for i, frame in enumerate(self.held):
            if frame["type"] in types:
                return self.held.pop(i)
        while True:
            frame = await self.recv()
            if frame["type"] in types:
                return frame
            self.held.append(frame)

    async def events_until(self, conversation_id: str, seq: int) -> list[dict[str, Any]]:
        """Event frames of one conversation until one with seq >= `seq` arrives."""
        got: list[dict[str, Any]] = []
        while True:
            frame = await self.recv_type("event")
            if frame["conversation_id"] == conversation_id:
                got.append(frame)
                if frame["seq"] >= seq:
                    return got

    async def post(self, conversation_id: str, body: str, client_msg_id: str) -> dict[str, Any]:
        await self.send(
            {
                "type": "send",
                "conversation_id": conversation_id,
                "body": body,
                "client_msg_id": client_msg_id,
            }
        )
        while True:
            frame = await self.recv_type("ack", "error")
            if frame.get("client_msg_id") == client_msg_id or frame.get("ref") == client_msg_id:
                return frame

    async def close(self) -> None:
        await self.ws.close()


async def customer_peer(live: Live, ext: str = "m1", small_buffers: bool = False) -> Peer:
    token = live.world.customer_tokens[ext]
    return await Peer.open(live.ws_url, token=token, small_buffers=small_buffers)


async def staff_peer(live: Live, name: str = "alice") -> Peer:
    headers = {"Cookie": f"kefu_session={live.staff[name].cookie}", "Origin": live.base}
    return await Peer.open(live.ws_url, headers=headers)


async def new_conversation(live: Live, ext: str = "m1", body: str = "充值没到账") -> str:
    async with live.http() as http:
        r = await http.post(
            "/api/v1/conversations",
            json={"body": body, "start_with_bot": False, "client_msg_id": "first"},
            headers=live.customer_headers(ext),
        )
        assert r.status_code == 201, r.text
        conv_id: str = r.json()["id"]
        return conv_id


async def timeline(
    live: Live, conversation_id: str, after_seq: int, headers: dict[str, str]
) -> list[dict[str, Any]]:
    async with live.http() as http:
        r = await http.get(
            f"/api/v1/conversations/{conversation_id}/events",
            params={"after_seq": after_seq, "limit": 500},
            headers=headers,
        )
        assert r.status_code == 200, r.text
        events: list[dict[str, Any]] = r.json()["events"]
        return events
