"""The widget's 留言 is a real ticket: contact stored as fields, held to the message
target the widget promises, trackable on the help center by its number + the phone's
last 4 digits (through the one-time code), and an agent's reply reaches the customer
(by e-mail when given, on the tracking page always). Through HTTP, SQLite and PG."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kefu.clock import ensure_aware
from kefu.storage.models import Conversation
from tests.api.conftest import kefu_of
from tests.helpcenter.conftest import answer, track
from tests.world import As, World


def visitor(client: TestClient, world: World) -> As:
    r = client.post("/api/v1/widget/session", json={"tenant": world.slug})
    assert r.status_code == 200, r.text
    return As(client, token=r.json()["token"])


def leave(who: As, **body: Any) -> Any:
    payload = {"contact": "139 1234 8888", "name": "小王", "body": "充值 100 元没到账，订单 KM1"}
    return who.post("/api/v1/widget/messages", json={**payload, **body})


def stored(client: TestClient, world: World, number: str) -> Conversation:
    async def run() -> Conversation:
        async with kefu_of(client).db.read() as session:
            stmt = select(Conversation).where(
                Conversation.tenant_id == world.tenant_id, Conversation.number == number
            )
            return (await session.execute(stmt)).scalar_one()

    assert client.portal is not None
    return client.portal.call(run)


def count(client: TestClient) -> int:
    async def run() -> int:
        async with kefu_of(client).db.read() as session:
            return int((await session.execute(select(func.count(Conversation.id)))).scalar_one())

    assert client.portal is not None
    return client.portal.call(run)


def test_leave_message_is_a_ticket_trackable_by_number_and_last4(
    client: TestClient, world: World, alice: As, caplog: pytest.LogCaptureFixture
) -> None:
    me = visitor(client, world)
    r = leave(me)
    assert r.status_code == 201, r.text
    left = r.json()
    promised = client.get("/api/v1/widget/config", params={"tenant": world.slug}).json()[
        "promised_reply_minutes"
    ]
    assert left["promised_reply_minutes"] == promised == 30
    conv = stored(client, world, left["number"])
    assert (conv.channel, conv.status) == ("ticket", "queued")
    assert (conv.contact_name, conv.contact_phone, conv.contact_phone_last4) == (
        "小王",
        "13912348888",
        "8888",
    )
    assert conv.contact_email is None
    # held to the promise the widget made, not the 10-minute chat clock
    assert conv.first_response_due_at is not None
    due = ensure_aware(conv.first_response_due_at) - ensure_aware(conv.created_at)
    assert due == timedelta(minutes=promised)
    # the message body carries no contact any more; the contact lives in fields
    events = me.get(f"/api/v1/conversations/{left['conversation']['id']}/events").json()
    assert "13912348888" not in events["events"][0]["body"]
    # the help center: number + last 4 -> a one-time code to the phone -> the ticket
    with caplog.at_level(logging.WARNING, logger="kefu.sms"):
        sent = client.post(
            "/api/v1/tickets/lookup",
            json={"tenant": world.slug, "number": left["number"], "secret": "8888"},
        )
    assert sent.status_code == 202, sent.text
    assert sent.json()["channel"] == "sms" and sent.json()["sent_to"] == "139****8888"
    [record] = [rec for rec in caplog.records if rec.name == "kefu.sms"]
    code = re.search(r"验证码：(\d{6})", record.text)  # type: ignore[attr-defined]
    assert code is not None
    opened = client.post(
        "/api/v1/tickets/lookup/code",
        json={"tenant": world.slug, "challenge": sent.json()["challenge"], "code": code.group(1)},
    )
    assert opened.status_code == 200 and opened.json()["number"] == left["number"]
    # an agent's reply reaches the customer without an e-mail: on the tracking page
    answer(alice, left["conversation"]["id"], "已为您补发 100 元，请查收。")
    view = track(client, opened.json()["token"])
    assert any("已为您补发 100 元" in item["body"] for item in view["items"])
    # the agent sees how to reach the customer (phone masked), not a line in the text
    pane = alice.get(f"/console/partials/conversation/{left['conversation']['id']}")
    assert pane.status_code == 200
    assert "联系方式：小王 手机 139****8888" in pane.text and "13912348888" not in pane.text
    assert "（在线留言）" in pane.text
    # the signed link the widget shows opens the same page
    token = left["tracking_url"].rsplit("/t/", 1)[1]
    assert track(client, token)["number"] == left["number"]


def test_leave_message_with_an_email_mails_the_reply(
    client: TestClient, world: World, alice: As, smtp_server: Any
) -> None:
    me = visitor(client, world)
    r = leave(me, contact="Buyer@Example.com")
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    assert stored(client, world, number).contact_email == "buyer@example.com"
    answer(alice, r.json()["conversation"]["id"], "您的点券已到账。")
    bodies = []
    for received in smtp_server.handler.received:
        if "buyer@example.com" in received.rcpt_tos:
            bodies.append(received.content.decode("utf-8", "replace"))
    assert len(bodies) == 2, bodies  # "ticket received" and the answer
    assert number in bodies[0]


def test_bad_contact_is_refused_and_nothing_is_stored(
    client: TestClient, world: World, alice: As
) -> None:
    me = visitor(client, world)
    before = count(client)
    for bad in ("12345", "not an address@", "微信 wx123"):
        r = leave(me, contact=bad)
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["code"] == "invalid_contact"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]) and error["message_en"]
    assert leave(me, body="   ").status_code == 422
    assert leave(alice).status_code == 403  # staff do not leave widget messages
    assert count(client) == before


def test_a_resent_message_opens_one_ticket(client: TestClient, world: World) -> None:
    me = visitor(client, world)
    first = leave(me, client_msg_id="leave-1")
    again = leave(me, client_msg_id="leave-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["number"] == again.json()["number"]


def test_handoff_after_a_message_keeps_the_ticket_in_the_queue(
    client: TestClient, world: World
) -> None:
    """转人工 after a 留言: the same ticket waits for a person (the widget then says so)."""
    me = visitor(client, world)
    left = leave(me).json()
    cid = left["conversation"]["id"]
    r = me.post(f"/api/v1/conversations/{cid}/handoff", json={"reason": "button"})
    assert r.status_code == 200 and r.json()["status"] == "queued"
    assert r.json()["number"] == left["number"]
    queue = me.get(f"/api/v1/conversations/{cid}/queue")
    assert queue.status_code == 200, queue.text
