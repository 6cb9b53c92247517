"""Presence that tells the truth (docs/presence.md), on a real server with real sockets:
an agent is online only while one of their console sockets heartbeats. 退出, closing the
socket, a client that stops answering heartbeats and a server process that dies all
make the agent unavailable, their waiting customer goes back to the queue, and no new
customer is assigned to them."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from kefu.actions.console_presence import sweep_dead_consoles
from kefu.actions.context import Kefu
from kefu.actions.presence_leases import lease_length
from kefu.actions.queueing import on_timeline
from kefu.clock import FakeClock
from kefu.realtime.broker import InProcessBroker
from kefu.storage.database import Database
from tests.conftest import make_settings
from tests.livesrv import free_port
from tests.realtime.conftest import WAIT, Live, prepare_world, staff_peer

LONG_HEARTBEAT = 60.0  # longer than any wait below: going offline cannot be the heartbeat


async def presence_of(live: Live, name: str) -> str:
    async with live.http() as http:
        r = await http.get("/api/v1/agents", headers=live.staff_headers("supervisor"))
        assert r.status_code == 200, r.text
        (row,) = [a for a in r.json() if a["id"] == live.world.agents[name]]
        presence: str = row["presence"]
        return presence


async def set_online(live: Live, name: str = "alice") -> None:
    async with live.http() as http:
        r = await http.put(
            "/api/v1/agents/me/presence",
            json={"presence": "online"},
            headers=live.staff_headers(name),
        )
        assert r.status_code == 200 and r.json()["presence"] == "online", r.text


async def handoff(live: Live, ext: str) -> str:
    async with live.http() as http:
        r = await http.post(
            "/api/v1/conversations",
            json={"body": "充值没到账", "start_with_bot": False, "client_msg_id": "first"},
            headers=live.customer_headers(ext),
        )
        assert r.status_code == 201, r.text
        conv_id: str = r.json()["id"]
        r = await http.post(
            f"/api/v1/conversations/{conv_id}/handoff", headers=live.customer_headers(ext)
        )
        assert r.status_code == 200, r.text
        return conv_id


async def conversation(live: Live, conv_id: str) -> dict[str, Any]:
    async with live.http() as http:
        r = await http.get(
            f"/api/v1/conversations/{conv_id}", headers=live.staff_headers("supervisor")
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


async def until(check: Callable[[], Any], what: str) -> None:
    """Poll until `check()` is truthy; the deadline is a safety net, not an assertion
    about speed."""
    deadline = asyncio.get_running_loop().time() + WAIT
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.05)


async def assigned_to_alice(live: Live) -> str:
    conv_id = await handoff(live, "m1")
    conv = await conversation(live, conv_id)
    assert conv["status"] == "assigned"
    assert conv["assignee"]["id"] == live.world.agents["alice"]
    return conv_id


async def requeued_and_nobody_assigned(live: Live, waiting: str, reason: str) -> None:
    """Alice is offline, her waiting customer is queued again, a new one stays queued."""
    assert await presence_of(live, "alice") == "offline"
    conv = await conversation(live, waiting)
    assert conv["status"] == "queued" and conv["assignee"] is None
    async with live.http() as http:
        r = await http.get(
            f"/api/v1/conversations/{waiting}/events", headers=live.staff_headers("supervisor")
        )
    changes = [e["data"] for e in r.json()["events"] if e["type"] == "status_change"]
    assert {"from": "assigned", "to": "queued", "reason": reason} in changes
    fresh = await conversation(live, await handoff(live, "m2"))
    assert fresh["status"] == "queued" and fresh["assignee"] is None


def test_logout_makes_the_agent_unavailable_and_nobody_is_assigned(
    live_factory: Callable[..., AbstractContextManager[Live]],
) -> None:
    with live_factory(heartbeat_seconds=LONG_HEARTBEAT) as live:

        async def scenario() -> None:
            console = await staff_peer(live)
            await set_online(live)
            waiting = await assigned_to_alice(live)
            async with live.http() as http:
                r = await http.post("/api/v1/auth/logout", headers=live.staff_headers("alice"))
                assert r.status_code == 204
            await requeued_and_nobody_assigned(live, waiting, "signed_out")
            await console.close()

        asyncio.run(scenario())


def test_closing_the_console_socket_makes_the_agent_unavailable(
    live_factory: Callable[..., AbstractContextManager[Live]],
) -> None:
    with live_factory(heartbeat_seconds=LONG_HEARTBEAT) as live:

        async def scenario() -> None:
            second = await staff_peer(live)  # a second tab keeps her online
            console = await staff_peer(live)
            await set_online(live)
            waiting = await assigned_to_alice(live)
            await second.close()
            await asyncio.sleep(0.3)  # let the server see the close (no assertion on time)
            assert await presence_of(live, "alice") == "online"
            assert (await conversation(live, waiting))["status"] == "assigned"
            await console.close()  # the last tab: offline at once, long before a heartbeat

            async def offline() -> bool:
                return await presence_of(live, "alice") == "offline"

            await until(offline, "alice offline after closing her console")
            await requeued_and_nobody_assigned(live, waiting, "connection_lost")

        asyncio.run(scenario())


CLIENT = """
import asyncio, json, sys
import websockets

async def main(url, cookie, origin):
    headers = {"Cookie": cookie, "Origin": origin}
    async with websockets.connect(url, additional_headers=headers) as ws:
        await ws.send(json.dumps({"type": "hello"}))
        async for raw in ws:
            frame = json.loads(raw)
            if frame["type"] == "welcome":
                print("ready", flush=True)
            elif frame["type"] == "ping":
                await ws.send(json.dumps({"type": "pong"}))
                print("pong", flush=True)

asyncio.run(main(*sys.argv[1:4]))
"""


@contextmanager
def console_process(live: Live, name: str = "alice") -> Iterator[subprocess.Popen[str]]:
    """A console client in its own process: it answers every heartbeat until stopped."""
    cookie = f"kefu_session={live.staff[name].cookie}"
    proc = subprocess.Popen(
        [sys.executable, "-c", CLIENT, live.ws_url, cookie, live.base],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=WAIT)


def test_a_console_that_stops_answering_heartbeats_goes_offline(
    live_factory: Callable[..., AbstractContextManager[Live]],
) -> None:
    with live_factory(heartbeat_seconds=0.3) as live, console_process(live) as client:
        assert client.stdout is not None

        async def online_while_it_answers() -> str:
            await set_online(live)
            waiting = await assigned_to_alice(live)
            for _ in range(3):  # three heartbeats answered: still online
                assert await asyncio.to_thread(client.stdout.readline) == "pong\n"  # type: ignore[union-attr]
            assert await presence_of(live, "alice") == "online"
            return waiting

        waiting = asyncio.run(online_while_it_answers())
        os.kill(client.pid, signal.SIGSTOP)  # frozen: the socket stays open, no pongs

        async def after_the_missed_heartbeat() -> None:
            async def offline() -> bool:
                return await presence_of(live, "alice") == "offline"

            await until(offline, "alice offline after a missed heartbeat")
            await requeued_and_nobody_assigned(live, waiting, "connection_lost")

        asyncio.run(after_the_missed_heartbeat())


UVICORN = [sys.executable, "-m", "uvicorn", "kefu.web.app:create_app", "--factory"]


@contextmanager
def server_process(database_url: str, data_dir: Path) -> Iterator[str]:
    """`kefu serve`'s app in its own process (system clock), to be killed with -9."""
    port = free_port()
    env = {
        **os.environ,
        "KEFU_ENV": "test",
        "KEFU_DATABASE_URL": database_url,
        "KEFU_DATA_DIR": str(data_dir),
        "KEFU_SECRET_KEY": "test-secret-key-which-is-long-enough-0123456789",
        "KEFU_RUN_SCHEDULER": "false",
        "KEFU_LOG_JSON": "false",
        "KEFU_WS_HEARTBEAT_SECONDS": "1",
    }
    proc = subprocess.Popen(
        [*UVICORN, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=120)  # safety net on a busy machine
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if datetime.now(UTC) > deadline or proc.poll() is not None:
                raise RuntimeError("server process did not start")
        yield base
    finally:
        proc.kill()
        proc.wait(timeout=WAIT)


def test_a_server_process_that_dies_leaves_no_ghost_after_the_lease(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    """The process holding alice's socket is killed (-9): nothing closes her lease. Until
    it runs out she stays listed, but once it has, the sweep of any other process sets
    her offline and gives her waiting customer back to the queue."""
    world, staff = prepare_world(database_url, tmp_path, clock)
    with server_process(database_url, tmp_path / "var") as base:
        live = Live(base, world, staff)

        async def while_alive() -> str:
            console = await staff_peer(live)
            await set_online(live)
            waiting = await assigned_to_alice(live)
            del console  # never closed: its process dies with it
            return waiting

        waiting = asyncio.run(while_alive())
    killed_at = datetime.now(UTC)

    async def another_process() -> list[str]:
        settings = make_settings(database_url, tmp_path / "var")
        db = Database(database_url)
        later = FakeClock(killed_at + timedelta(seconds=1))
        kefu = Kefu(settings, db, InProcessBroker(), later, subscribers=[on_timeline])
        try:
            assert await sweep_dead_consoles(kefu) == []  # the lease is still running
            later.set(killed_at + lease_length(1.0) + timedelta(seconds=1))
            return await sweep_dead_consoles(kefu)
        finally:
            await db.dispose()

    assert asyncio.run(another_process()) == [waiting]

    with server_process(database_url, tmp_path / "var") as base:
        live = Live(base, world, staff)

        async def after() -> None:
            await requeued_and_nobody_assigned(live, waiting, "connection_lost")

        asyncio.run(after())
