"""Findings (High / Low): order-number verification was throttled per visitor, and
visitors are free; anonymous sessions, tickets and votes were unlimited; five wrong
passwords locked the owner out; behind a proxy every client shared one budget."""

from __future__ import annotations

from fastapi.testclient import TestClient

from kefu.clock import FakeClock
from tests.helpcenter.conftest import GOOD_FORM
from tests.security.conftest import AppFactory, world_in
from tests.world import PASSWORD, World

PROXY = {"trusted_proxies": "testclient"}


def _visitor(client: TestClient, world: World, ip: str) -> str:
    r = client.post(
        "/api/v1/widget/session", json={"tenant": world.slug}, headers={"X-Forwarded-For": ip}
    )
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def _verify(client: TestClient, token: str, order: str, digits: str, ip: str) -> int:
    r = client.post(
        "/api/v1/widget/verify",
        json={"order_no": order, "phone_last4": digits},
        headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": ip},
    )
    return r.status_code


def test_fresh_visitors_do_not_get_fresh_guesses_at_one_order(make_client: AppFactory) -> None:
    client = make_client(**PROXY)
    world = world_in(client)
    order = world.orders[0]
    guesses = iter(f"{n:04d}" for n in range(100))
    for visitor in range(3):  # three identities, three addresses: 15 wrong guesses
        ip = f"198.51.100.{visitor + 1}"
        token = _visitor(client, world, ip)
        for _ in range(5):
            status = _verify(client, token, order, next(guesses), ip)
            assert status in (403, 429)
    fourth = _visitor(client, world, "198.51.100.99")
    assert _verify(client, fourth, order, "1234", "198.51.100.99") == 429  # even the right one
    other = _visitor(client, world, "198.51.100.98")
    assert _verify(client, other, world.orders[2], "1234", "198.51.100.98") == 200


def test_one_client_cannot_spread_guesses_over_many_orders(make_client: AppFactory) -> None:
    client = make_client(**PROXY)
    world = world_in(client)
    ip = "203.0.113.5"
    for n in range(10):
        token = _visitor(client, world, ip)
        assert _verify(client, token, f"NO-SUCH-{n}", "0000", ip) == 403
    token = _visitor(client, world, ip)
    assert _verify(client, token, world.orders[0], "1234", ip) == 429
    elsewhere = _visitor(client, world, "203.0.113.6")
    assert _verify(client, elsewhere, world.orders[0], "1234", "203.0.113.6") == 200


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    make_client: AppFactory,
) -> None:
    client = make_client(anon_sessions_per_10min=3)
    world = world_in(client)
    codes = [
        client.post(
            "/api/v1/widget/session",
            json={"tenant": world.slug},
            headers={"X-Forwarded-For": f"192.0.2.{n}"},  # spoofed: each a "new" client
        ).status_code
        for n in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]


def test_anonymous_sessions_are_budgeted_per_client_with_growing_waits(
    make_client: AppFactory, clock: FakeClock
) -> None:
    client = make_client(anon_sessions_per_10min=3, **PROXY)
    world = world_in(client)
    for _ in range(3):
        _visitor(client, world, "198.51.100.7")
    waits = []
    for _ in range(3):
        r = client.post(
            "/api/v1/widget/session",
            json={"tenant": world.slug},
            headers={"X-Forwarded-For": "198.51.100.7"},
        )
        assert r.status_code == 429
        waits.append(r.json()["error"]["details"]["retry_after"])
    assert waits[0] < waits[1] < waits[2]
    assert _visitor(client, world, "198.51.100.8")  # someone else is not affected
    clock.advance(minutes=11)
    assert _visitor(client, world, "198.51.100.7")


def test_anonymous_tickets_and_votes_are_budgeted_per_client(make_client: AppFactory) -> None:
    client = make_client(anon_tickets_per_10min=2, anon_votes_per_10min=2, **PROXY)
    world = world_in(client)
    form = {**GOOD_FORM}
    codes = [
        client.post(
            f"/api/v1/tickets?tenant={world.slug}",
            data=form,
            headers={"X-Forwarded-For": "198.51.100.20"},
        ).status_code
        for _ in range(3)
    ]
    assert codes[:2] == [201, 201] and codes[2] == 429
    page = client.post(
        f"/help/{world.slug}/ticket", data=form, headers={"X-Forwarded-For": "198.51.100.20"}
    )
    assert page.status_code == 429
    assert (
        client.post(
            f"/api/v1/tickets?tenant={world.slug}",
            data=form,
            headers={"X-Forwarded-For": "198.51.100.21"},
        ).status_code
        == 201
    )
    votes = [
        client.post(
            f"/api/v1/kb/articles/no-such/vote?tenant={world.slug}",
            json={"helpful": True},
            headers={"X-Forwarded-For": "198.51.100.30"},
        ).status_code
        for _ in range(3)
    ]
    assert votes[2] == 429


def _login(client: TestClient, email: str, password: str) -> int:
    return client.post(
        "/api/v1/auth/login", json={"email": email, "password": password}
    ).status_code


def test_wrong_passwords_delay_strangers_but_never_lock_the_owner_out(
    make_client: AppFactory, clock: FakeClock
) -> None:
    client = make_client()
    world = world_in(client)
    email = world.emails["alice"]
    assert _login(client, email, PASSWORD) == 200  # the owner's browser: a known device
    owner_cookies = dict(client.cookies)
    client.cookies.clear()
    for _ in range(5):
        assert _login(client, email, "wrong-password") == 401
    r = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 429
    wait = r.json()["error"]["details"]["retry_after"]
    assert wait <= 5 * 60  # a delay, not a 15-minute lock
    for name, value in owner_cookies.items():
        client.cookies.set(name, value)
    assert _login(client, email, PASSWORD) == 200  # the owner, from the known device
    client.cookies.clear()
    clock.advance(seconds=wait)
    assert _login(client, email, PASSWORD) == 200  # and anyone with the password, soon
