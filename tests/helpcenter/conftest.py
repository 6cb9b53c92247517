"""Help-center fixtures: the API world (SQLite + PostgreSQL), a real aiosmtpd server,
the .eml fixtures of the email channel, and helpers to file and answer tickets."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from kefu.actions.knowledge import seed_default_articles
from kefu.clock import FakeClock
from kefu.settings import Settings
from kefu.web.app import create_app
from tests.api.conftest import admin, alice, kefu_of, other_world, supervisor, world  # noqa: F401
from tests.api.pixels import PDF_BYTES, png_bytes
from tests.world import As, World

EMAIL_DIR = Path(__file__).parents[1] / "channels" / "email"


def _smtp_helpers() -> Any:
    name = "email_smtp_server"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, EMAIL_DIR / "email_smtp_server.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


smtp = _smtp_helpers()


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    handler = smtp.CollectingHandler()
    port = smtp.free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield smtp.SmtpServer("127.0.0.1", port, handler)
    finally:
        controller.stop()


@pytest.fixture
def smtp_port(smtp_server: Any) -> int:
    return int(smtp_server.port)


@pytest.fixture
def client(
    settings: Settings, clock: FakeClock, request: pytest.FixtureRequest
) -> Iterator[TestClient]:
    """The app; with SMTP pointed at the local aiosmtpd when the test asks for it."""
    if "smtp_server" in request.fixturenames:
        server = request.getfixturevalue("smtp_server")
        settings = settings.model_copy(
            update={
                "smtp_host": server.host,
                "smtp_port": server.port,
                "mail_from": "kefu@kamen.example",
            }
        )
    with TestClient(create_app(settings, clock=clock)) as c:
        yield c


@pytest.fixture
def seeded(client: TestClient, world: World) -> World:  # noqa: F811
    assert client.portal is not None
    client.portal.call(seed_default_articles, kefu_of(client), world.tenant_id)
    return world


@pytest.fixture
def eml() -> Callable[[str], bytes]:
    return lambda name: (EMAIL_DIR / "fixtures" / name).read_bytes()


GOOD_FORM = {
    "category": "recharge",
    "occurred_at": "2026-11-23T10:30",
    "order_no": "KM20261123100012345",
    "error_message": "充值失败，请稍后再试",
    "tried": "重新登录游戏",
    "description": "王者荣耀点券充值 600，半小时了还没到账",
    "contact_phone": "138 0000 5678",
    "contact_email": "buyer@example.com",
}


def file_ticket(
    client: TestClient, slug: str, files: list[tuple[str, bytes]] | None = None, **changes: str
) -> dict[str, Any]:
    data = {**GOOD_FORM, **changes}
    multipart = [
        ("attachments", (name, content, "application/octet-stream"))
        for name, content in files or []
    ]
    r = client.post(f"/api/v1/tickets?tenant={slug}", data=data, files=multipart or None)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def track(client: TestClient, token: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/tickets/track/{token}")
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def answer(agent: As, public_id: str, body: str = "已为您补发，请查收。") -> None:
    r = agent.post(f"/api/v1/conversations/{public_id}/messages", json={"body": body})
    assert r.status_code == 201, r.text


def resolve(agent: As, public_id: str) -> None:
    r = agent.post(f"/api/v1/conversations/{public_id}/status", json={"status": "resolved"})
    assert r.status_code == 200, r.text


__all__ = ["PDF_BYTES", "png_bytes"]


def tracking_code_in(server: Any, to: str = "buyer@example.com") -> str:
    """The one-time tracking code in the newest mail the local SMTP server received."""
    import email
    import email.policy
    import re

    for received in reversed(server.handler.received):
        if to not in received.rcpt_tos:
            continue
        message = email.message_from_bytes(received.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        found = re.search(r"验证码：(\d{6})", body.get_content())
        if found:
            return found.group(1)
    raise AssertionError("no tracking code was mailed")
