"""Finding (High): ticket lookup accepted the owner's e-mail address alone as the secret
and had no per-client limit (40 numbers in ~2 s): a ticket and its files opened for
anyone who knew an address; last-4 guesses could be spread across numbers."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient

from kefu.clock import FakeClock
from tests.helpcenter.conftest import GOOD_FORM
from tests.security.conftest import AppFactory, world_in

PROXY = {"trusted_proxies": "testclient"}


def _file(client: TestClient, slug: str, **changes: str) -> dict[str, str]:
    r = client.post(
        f"/api/v1/tickets?tenant={slug}",
        data={**GOOD_FORM, **changes},
        headers={"X-Forwarded-For": "198.51.100.200"},
    )
    assert r.status_code == 201, r.text
    out: dict[str, str] = r.json()
    return out


def _lookup(client: TestClient, slug: str, number: str, secret: str, ip: str) -> dict[str, object]:
    r = client.post(
        "/api/v1/tickets/lookup",
        json={"tenant": slug, "number": number, "secret": secret},
        headers={"X-Forwarded-For": ip},
    )
    return {"status": r.status_code, **(r.json() if r.content else {})}


def test_the_email_address_alone_opens_nothing(make_client: AppFactory) -> None:
    client = make_client(**PROXY)
    world = world_in(client)
    t = _file(client, world.slug)
    by_email = _lookup(client, world.slug, t["number"], "buyer@example.com", "192.0.2.1")
    assert by_email["status"] == 404 and "token" not in by_email


def test_number_and_last4_alone_give_no_token_only_a_code_to_the_contact(
    make_client: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(**PROXY)
    world = world_in(client)
    t = _file(client, world.slug, contact_email="")  # phone only: the SMS adapter
    with caplog.at_level(logging.WARNING, logger="kefu.sms"):
        sent = _lookup(client, world.slug, t["number"], "5678", "192.0.2.2")
    assert sent["status"] == 202 and "token" not in sent and "tracking_url" not in sent
    assert sent["channel"] == "sms" and sent["sent_to"] == "138****5678"
    [record] = [r for r in caplog.records if r.name == "kefu.sms"]
    assert record.to == "13800005678"  # type: ignore[attr-defined]
    code = re.search(r"验证码：(\d{6})", record.text).group(1)  # type: ignore[attr-defined,union-attr]
    r = client.post(
        "/api/v1/tickets/lookup/code",
        json={"tenant": world.slug, "challenge": sent["challenge"], "code": code},
    )
    assert r.status_code == 200 and r.json()["number"] == t["number"]
    files = client.get(f"/api/v1/tickets/track/{r.json()['token']}")
    assert files.status_code == 200


def test_guesses_spread_over_many_numbers_are_budgeted_per_client(
    make_client: AppFactory,
) -> None:
    client = make_client(**PROXY)
    world = world_in(client)
    tickets = [_file(client, world.slug) for _ in range(3)]
    codes = [
        _lookup(client, world.slug, f"KF-20261201-{n:06d}", "0000", "203.0.113.9")["status"]
        for n in range(12)
    ]
    assert codes[:10] == [404] * 10 and set(codes[10:]) == {429}
    # the right digits from that client are refused too; another client is served
    assert _lookup(client, world.slug, tickets[0]["number"], "5678", "203.0.113.9")["status"] == 429
    assert (
        _lookup(client, world.slug, tickets[0]["number"], "5678", "203.0.113.10")["status"] == 202
    )


def test_code_guesses_are_budgeted_per_challenge(make_client: AppFactory) -> None:
    client = make_client(**PROXY)
    world = world_in(client)
    t = _file(client, world.slug, contact_email="")
    sent = _lookup(client, world.slug, t["number"], "5678", "192.0.2.3")
    statuses = [
        client.post(
            "/api/v1/tickets/lookup/code",
            json={"tenant": world.slug, "challenge": sent["challenge"], "code": f"{n:06d}"},
            headers={"X-Forwarded-For": f"192.0.2.{100 + n}"},
        ).status_code
        for n in range(7)
    ]
    assert statuses.count(429) >= 2 and 200 not in statuses[5:]


def test_codes_sent_for_one_ticket_are_budgeted(make_client: AppFactory) -> None:
    """Someone who knows the last 4 digits cannot ask for codes without end (each code
    allows 5 guesses; the owner's phone is not flooded)."""
    client = make_client(**PROXY)
    world = world_in(client)
    t = _file(client, world.slug, contact_email="")
    statuses = [
        _lookup(client, world.slug, t["number"], "5678", f"192.0.2.{n}")["status"] for n in range(7)
    ]
    assert statuses[:5] == [202] * 5 and set(statuses[5:]) == {429}


def test_wrong_guesses_at_a_number_do_not_lock_the_owner_out_of_their_ticket(
    make_client: AppFactory, clock: FakeClock
) -> None:
    """Finding (Low): tracking look-ups, like passwords, could lock the real owner out.
    A stranger spending the number's budget only delays look-ups by number for a while:
    the owner's signed tracking link (mailed / shown when filing) keeps working, and the
    look-up itself comes back after the window, not never."""
    client = make_client(**PROXY)
    world = world_in(client)
    t = _file(client, world.slug)
    for n in range(8):
        _lookup(client, world.slug, t["number"], f"{n:04d}", f"203.0.113.{40 + n}")
    spent = _lookup(client, world.slug, t["number"], "5678", "198.51.100.50")
    assert spent["status"] == 429  # the number's budget is spent, even for the right digits
    page = client.get(f"/api/v1/tickets/track/{t['token']}")
    assert page.status_code == 200 and page.json()["number"] == t["number"]
    clock.advance(minutes=16)
    assert _lookup(client, world.slug, t["number"], "5678", "198.51.100.50")["status"] == 202
