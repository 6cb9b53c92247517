"""An agent's reply on an e-mail ticket does not wait on SMTP: the reply's HTTP response
returns at commit, the mail (an ``email.notify`` outbox job) goes out after the response
was sent, and it arrives. A real uvicorn server, a real aiosmtpd that stalls 2 s in DATA,
SQLite and PostgreSQL. Asserted on the order of events, not on wall-clock thresholds."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from kefu.actions.context import Kefu
from kefu.clock import SystemClock
from kefu.realtime.broker import InProcessBroker
from kefu.settings import Settings
from kefu.storage.database import Database
from kefu.web.app import create_app
from tests.helpcenter.conftest import GOOD_FORM, smtp
from tests.livesrv import live_server
from tests.world import As, World, build_world

STALL = 2.0  # seconds the SMTP server sits in DATA before it answers


@dataclass
class StallingHandler:
    """Accepts every mail, but only after sitting in DATA for STALL seconds; records the
    order in which things happened (shared with the test thread)."""

    log: list[str]
    port: int = 0
    received: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(STALL)
        with self.lock:
            self.received.append(envelope.original_content)
            self.log.append(f"mail {len(self.received)} delivered")
        return "250 OK"


@pytest.fixture
def stalling_smtp() -> Iterator[StallingHandler]:
    handler = StallingHandler(log=[], port=smtp.free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


def seed(settings: Settings) -> World:
    out: list[World] = []

    async def run() -> None:
        kefu = Kefu(settings, Database(settings.database_url), InProcessBroker(), SystemClock())
        try:
            out.append(await build_world(kefu))
        finally:
            await kefu.db.dispose()

    thread = threading.Thread(target=lambda: asyncio.run(run()))
    thread.start()
    thread.join()
    return out[0]


def wait_for(handler: StallingHandler, count: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds  # an upper bound, never a timing assertion
    while time.monotonic() < deadline:
        with handler.lock:
            if len(handler.received) >= count:
                return
        time.sleep(0.05)
    raise AssertionError(f"{count} mails expected, got {len(handler.received)}")


def test_agent_reply_returns_before_the_stalled_mail_and_the_mail_arrives(
    settings: Settings, stalling_smtp: StallingHandler
) -> None:
    settings = settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": stalling_smtp.port,
            "mail_from": "kefu@kamen.example",
        }
    )
    world = seed(settings)
    log = stalling_smtp.log
    with live_server(create_app(settings)) as base, httpx.Client(base_url=base) as client:
        r = client.post(f"/api/v1/tickets?tenant={world.slug}", data=GOOD_FORM)
        assert r.status_code == 201, r.text
        with stalling_smtp.lock:
            log.append("ticket response")
        wait_for(stalling_smtp, 1)  # "ticket received", sent after the response
        alice = As.staff(client, world.emails["alice"])  # type: ignore[arg-type]
        listed = alice.get("/api/v1/conversations", params={"number": r.json()["number"]})
        public_id = listed.json()["items"][0]["id"]
        reply = alice.post(
            f"/api/v1/conversations/{public_id}/messages", json={"body": "已为您补发，请查收。"}
        )
        assert reply.status_code == 201, reply.text
        with stalling_smtp.lock:
            log.append("reply response")
        wait_for(stalling_smtp, 2)  # and the answer does arrive
    assert log == ["ticket response", "mail 1 delivered", "reply response", "mail 2 delivered"]
    answer = email.message_from_bytes(stalling_smtp.received[1], policy=email.policy.default)
    body = answer.get_body(preferencelist=("plain",))
    assert body is not None and "已为您补发" in body.get_content()
