"""Finding (Low): five wrong passwords locked the owner out, and the owner was told
nothing (a log line only). Now: delay, never lock (a known device always gets in); the
owner gets one e-mail through the outbox however long the guessing goes on, and a
notice at the next sign-in with the count, the addresses and the times in the tenant's
zone, with the date."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kefu.clock import FakeClock
from tests.security.conftest import AppFactory, world_in
from tests.security.mailbox import mails_to, running_smtp, smtp_overrides, text_of
from tests.world import PASSWORD

PROXY = {"trusted_proxies": "testclient"}


@pytest.fixture
def mailbox() -> Iterator[Any]:
    with running_smtp() as server:
        yield server


def _login(client: TestClient, email: str, password: str, ip: str) -> Any:
    return client.post(
        "/api/v1/auth/login",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": ip},
    )


def test_the_owner_is_mailed_once_and_told_at_the_next_sign_in(
    make_client: AppFactory, mailbox: Any, clock: FakeClock
) -> None:
    client = make_client(**PROXY, **smtp_overrides(mailbox))
    world = world_in(client)
    email = world.emails["alice"]
    clock.set(clock.now().replace(year=2027, month=1, day=5, hour=16, minute=0, second=0))
    assert _login(client, email, PASSWORD, "198.51.100.1").status_code == 200
    owner_cookies = dict(client.cookies)
    client.cookies.clear()
    clock.advance(minutes=5)
    for n in range(4):
        assert _login(client, email, f"guess-{n}", "203.0.113.7").status_code == 401
    assert mails_to(mailbox, email) == []  # below the limit: no mail yet
    assert _login(client, email, "guess-4", "203.0.113.8").status_code == 401
    [alert] = mails_to(mailbox, email)
    body = text_of(alert)
    assert "5 次错误密码尝试" in body and "203.0.113.7" in body and "203.0.113.8" in body
    assert "2027年1月6日 00:05" in body  # 16:05 UTC is the next day in Asia/Shanghai
    for _ in range(30):  # a flood of guesses: delayed (429) or wrong (401), no more mail
        clock.advance(seconds=61)
        assert _login(client, email, "flood", "203.0.113.9").status_code in (401, 429)
    assert len(mails_to(mailbox, email)) == 1

    for name, value in owner_cookies.items():  # the owner, from the known device
        client.cookies.set(name, value)
    clock.advance(minutes=1)
    r = _login(client, email, PASSWORD, "198.51.100.1")
    assert r.status_code == 200, r.text
    notice = r.json()["sign_in_notice"]
    assert notice["count"] >= 6
    assert "203.0.113.7" in notice["clients"]
    assert notice["message"].startswith("最近有 ") and "2027年1月6日" in notice["message"]
    assert "Asia/Shanghai" in notice["message"] and notice["message_en"]
    page = client.get("/console")
    assert page.status_code == 200
    assert 'data-testid="console-sign-in-notice"' in page.text
    assert "错误密码尝试" in page.text and "2027年1月6日" in page.text

    client.cookies.clear()
    clock.advance(hours=7)  # after the interval, new guessing mails again
    for n in range(5):
        _login(client, email, f"later-{n}", "203.0.113.10")
    assert len(mails_to(mailbox, email)) == 2
    for name, value in owner_cookies.items():
        client.cookies.set(name, value)
    clock.advance(minutes=1)
    again = _login(client, email, PASSWORD, "198.51.100.1").json()["sign_in_notice"]
    assert again["count"] == 5 and again["clients"] == ["203.0.113.10"]  # since last sign-in
    clock.advance(minutes=1)
    clean = _login(client, email, PASSWORD, "198.51.100.1").json()
    assert clean["sign_in_notice"] is None


def test_the_owner_is_never_locked_out(make_client: AppFactory, clock: FakeClock) -> None:
    """A known device gets in at once during a flood; anyone else only waits."""
    client = make_client(**PROXY)
    world = world_in(client)
    email = world.emails["bob"]
    assert _login(client, email, PASSWORD, "198.51.100.2").status_code == 200
    owner_cookies = dict(client.cookies)
    client.cookies.clear()
    for n in range(40):
        _login(client, email, f"guess-{n}", f"203.0.113.{n % 5 + 20}")
    stranger = _login(client, email, PASSWORD, "198.51.100.3")
    assert stranger.status_code == 429
    assert stranger.json()["error"]["details"]["retry_after"] <= 300
    for name, value in owner_cookies.items():
        client.cookies.set(name, value)
    assert _login(client, email, PASSWORD, "198.51.100.2").status_code == 200
