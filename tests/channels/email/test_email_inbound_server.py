"""The aiosmtpd inbound handler, end to end through smtplib."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from email_smtp_server import free_port

from kefu.channels.email import (
    InboundDelivery,
    InboundMailHandler,
    make_inbound_controller,
    parse_email,
)

RAW = (
    b"From: =?UTF-8?B?5p2O5piO?= <liming@example.com>\r\n"
    b"To: support@kamen.example\r\n"
    b"Subject: =?UTF-8?B?5YWF5YC85pyq5Yiw6LSm?=\r\n"
    b"Message-ID: <in-1@example.com>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n"
    b"5bel5Y2V5Y+3IEtGLTIwMjYxMTIyLTAwMDEyMyDov5jmsqHliLDotKY=\r\n"
)


@dataclass
class Server:
    port: int
    delivered: list[InboundDelivery]
    handler: InboundMailHandler


@pytest.fixture
def inbound() -> Iterator[Server]:
    delivered: list[InboundDelivery] = []

    async def deliver(delivery: InboundDelivery) -> None:
        if b"please-fail" in delivery.raw:
            raise RuntimeError("database down")
        delivered.append(delivery)

    handler = InboundMailHandler(
        ["support@kamen.example", "Kefu@Kamen.example"], deliver, max_message_size=4096
    )
    port = free_port()
    controller = make_inbound_controller(handler, "127.0.0.1", port)
    controller.start()
    try:
        yield Server(port, delivered, handler)
    finally:
        controller.stop()


def test_accepts_mail_end_to_end(inbound: Server) -> None:
    with smtplib.SMTP("127.0.0.1", inbound.port, timeout=10) as client:
        refused = client.sendmail("liming@example.com", ["SUPPORT+x@kamen.example"], RAW)
    assert refused == {}
    [delivery] = inbound.delivered
    assert delivery.mail_from == "liming@example.com"
    assert delivery.rcpt_tos == ("SUPPORT+x@kamen.example",)
    assert delivery.peer == "127.0.0.1"
    mail = parse_email(delivery.raw)
    assert mail.subject == "充值未到账"
    assert mail.from_name == "李明"
    assert mail.ticket_number == "KF-20261122-000123"
    assert mail.text == "工单号 KF-20261122-000123 还没到账"
    assert not mail.is_automated


def test_rejects_unknown_recipient_with_550(inbound: Server) -> None:
    with (
        smtplib.SMTP("127.0.0.1", inbound.port, timeout=10) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused) as info,
    ):
        client.sendmail("liming@example.com", ["stranger@kamen.example"], RAW)
    [(code, _text)] = info.value.recipients.values()
    assert code == 550
    assert inbound.delivered == []


def test_partial_recipients_deliver_only_known(inbound: Server) -> None:
    with smtplib.SMTP("127.0.0.1", inbound.port, timeout=10) as client:
        refused = client.sendmail(
            "a@example.com", ["kefu@kamen.example", "nobody@kamen.example"], RAW
        )
    assert set(refused) == {"nobody@kamen.example"}
    assert inbound.delivered[0].rcpt_tos == ("kefu@kamen.example",)


def test_bounce_keeps_null_return_path(inbound: Server) -> None:
    with smtplib.SMTP("127.0.0.1", inbound.port, timeout=10) as client:
        client.sendmail("", ["support@kamen.example"], RAW)
    mail = parse_email(inbound.delivered[0].raw)
    assert mail.is_bounce and "return-path:null" in mail.automation_reasons


def test_oversized_mail_is_refused(inbound: Server) -> None:
    big = RAW + b"x" * 8000 + b"\r\n"
    with (
        smtplib.SMTP("127.0.0.1", inbound.port, timeout=10) as client,
        pytest.raises(smtplib.SMTPResponseException) as info,
    ):
        client.sendmail("a@example.com", ["support@kamen.example"], big)
    assert info.value.smtp_code == 552
    assert inbound.delivered == []


def test_callback_failure_asks_sender_to_retry(inbound: Server) -> None:
    with (
        smtplib.SMTP("127.0.0.1", inbound.port, timeout=10) as client,
        pytest.raises(smtplib.SMTPDataError) as info,
    ):
        client.sendmail("a@example.com", ["support@kamen.example"], RAW + b"please-fail")
    assert info.value.smtp_code == 451


def test_handler_size_check_without_server() -> None:
    async def deliver(delivery: InboundDelivery) -> None:
        raise AssertionError("must not be called")

    handler = InboundMailHandler(["support@kamen.example"], deliver, max_message_size=10)
    envelope = SimpleNamespace(
        original_content=b"x" * 11,
        content=b"x" * 11,
        rcpt_tos=["support@kamen.example"],
        mail_from="a@example.com",
    )
    session = SimpleNamespace(peer=("127.0.0.1", 1))
    reply = asyncio.run(handler.handle_DATA(None, session, envelope))
    assert reply.startswith("552")
