"""compose_notification and SmtpSender against a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from email_smtp_server import SmtpServer, free_port

from kefu.channels.email import (
    EmailSendPermanentError,
    EmailSendTemporaryError,
    NotificationKind,
    SmtpSender,
    SmtpSettings,
    compose_notification,
    parse_email,
)
from kefu.clock import FakeClock
from kefu.errors import InvalidInput

NUMBER = "KF-20261122-000123"


def _compose(kind: str = "answered", **overrides: object) -> EmailMessage:
    args: dict[str, object] = dict(
        kind=kind,
        ticket_number=NUMBER,
        to="李明 <liming@example.com>",
        subject_context="回复：[KF-20261122-000123] 话费充值未到账",
        body_text="您好，已为您补发话费，请查收。",
        body_html=None,
        from_addr="某卡盟客服 <kefu@kamen.example>",
        reply_to="kefu@kamen.example",
        thread_message_ids=["<a0@kamen.example>", "b1@kamen.example"],
        tracking_url="https://kamen.example/kefu/t/abc?x=1&y=2",
        message_id_domain="mail.kamen.example",
        clock=FakeClock(datetime(2026, 11, 22, 3, 0, tzinfo=UTC)),
    )
    args.update(overrides)
    return compose_notification(**args)  # type: ignore[arg-type]


def test_compose_headers_and_parts() -> None:
    msg = _compose()
    assert msg["Subject"] == f"[{NUMBER}] 客服已回复：话费充值未到账"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["X-Kefu-Loop"] == "mail.kamen.example"
    assert msg["In-Reply-To"] == "<b1@kamen.example>"
    assert msg["References"] == "<a0@kamen.example> <b1@kamen.example>"
    assert msg["Message-ID"].startswith(f"<kefu.{NUMBER}.")
    assert msg["Message-ID"].endswith("@mail.kamen.example>")
    assert msg["Date"] == "Sun, 22 Nov 2026 03:00:00 +0000"
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content_charset() == html.get_content_charset() == "utf-8"
    text = plain.get_content()
    assert text.index("客服已回复您的工单") < text.index("An agent has answered")
    assert "已为您补发话费" in text and "https://kamen.example/kefu/t/abc?x=1&y=2" in text
    assert "验证码" in text
    assert 'href="https://kamen.example/kefu/t/abc?x=1&amp;y=2"' in html.get_content()
    raw = msg.as_bytes()
    assert all(byte < 128 for byte in raw)  # 7-bit clean on the wire, UTF-8 inside


def test_compose_fresh_message_ids_and_kinds() -> None:
    assert _compose()["Message-ID"] != _compose()["Message-ID"]
    assert _compose("created")["Subject"] == f"[{NUMBER}] 已收到：话费充值未到账"
    assert _compose("resolved", lang="en")["Subject"] == f"[{NUMBER}] Resolved: 话费充值未到账"
    msg = _compose(NotificationKind.CREATED, subject_context="", thread_message_ids=[])
    assert msg["Subject"] == f"[{NUMBER}] 已收到"
    assert msg["In-Reply-To"] is None and msg["References"] is None


def test_compose_html_body_is_used_as_given_and_text_is_escaped() -> None:
    msg = _compose(body_html="<p><b>已补发</b></p>", body_text="<script>x</script>")
    html = msg.get_body(("html",)).get_content()
    assert "<p><b>已补发</b></p>" in html and "<script>" not in html
    msg = _compose(body_text="a < b")
    assert "a &lt; b" in msg.get_body(("html",)).get_content()


def test_compose_rejects_bad_input() -> None:
    with pytest.raises(InvalidInput):
        _compose("closed")
    with pytest.raises(InvalidInput):
        _compose(ticket_number="KF-1")
    with pytest.raises(InvalidInput):
        _compose(to=[])
    # a newline in the subject context cannot inject headers
    msg = _compose(subject_context="a\r\nBcc: evil@example.com")
    assert msg["Bcc"] is None and "\n" not in msg["Subject"]


def test_send_round_trip_through_real_smtp(smtp_server: SmtpServer) -> None:
    msg = _compose()
    sender = SmtpSender(SmtpSettings(host=smtp_server.host, port=smtp_server.port, timeout=10))
    result = asyncio.run(sender.send(msg))
    assert result.refused == {}
    assert result.message_id == msg["Message-ID"]

    [received] = smtp_server.handler.received
    assert received.mail_from == "kefu@kamen.example"
    assert received.rcpt_tos == ["liming@example.com"]
    mail = parse_email(received.content)
    assert mail.subject == f"[{NUMBER}] 客服已回复：话费充值未到账"
    assert mail.ticket_number == NUMBER
    assert mail.message_id == msg["Message-ID"]
    assert mail.in_reply_to == "<b1@kamen.example>"
    assert mail.references == ("<a0@kamen.example>", "<b1@kamen.example>")
    assert mail.from_name == "某卡盟客服" and mail.from_address == "kefu@kamen.example"
    assert "您好，已为您补发话费，请查收。" in mail.text
    assert mail.html is not None and "已为您补发话费" in mail.html
    # our own notification coming back is recognised as a loop
    assert mail.is_loop and mail.auto_submitted


def test_send_recipient_refused_permanently(smtp_server: SmtpServer) -> None:
    smtp_server.handler.rcpt_reply = "550 5.1.1 no such user"
    sender = SmtpSender(SmtpSettings(host=smtp_server.host, port=smtp_server.port, timeout=10))
    with pytest.raises(EmailSendPermanentError) as info:
        asyncio.run(sender.send(_compose()))
    assert info.value.smtp_code == 550 and not info.value.retryable


def test_send_recipient_deferred_is_retryable(smtp_server: SmtpServer) -> None:
    smtp_server.handler.rcpt_reply = "451 4.7.1 greylisted, try later"
    sender = SmtpSender(SmtpSettings(host=smtp_server.host, port=smtp_server.port, timeout=10))
    with pytest.raises(EmailSendTemporaryError) as info:
        asyncio.run(sender.send(_compose()))
    assert info.value.retryable and info.value.smtp_code == 451


def test_send_without_server_is_retryable() -> None:
    sender = SmtpSender(SmtpSettings(host="127.0.0.1", port=free_port(), timeout=5))
    with pytest.raises(EmailSendTemporaryError) as info:
        asyncio.run(sender.send(_compose()))
    assert info.value.retryable
    assert info.value.to_dict()["code"] == "email_send_failed"


def test_settings_repr_hides_password() -> None:
    assert "s3cret" not in repr(SmtpSettings(username="u", password="s3cret"))


def _authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"kefu",
        b"s3cret",
    )
    return AuthResult(success=ok, handled=False)  # handled=False: server answers 535


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize(("password", "accepted"), [("s3cret", True), ("wrong", False)])
def test_send_with_login(password: str, accepted: bool) -> None:
    from aiosmtpd.controller import Controller
    from email_smtp_server import CollectingHandler

    handler = CollectingHandler()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        sender = SmtpSender(
            SmtpSettings(
                host="127.0.0.1", port=port, username="kefu", password=password, timeout=10
            )
        )
        if accepted:
            asyncio.run(sender.send(_compose()))
            assert len(handler.received) == 1
        else:
            with pytest.raises(EmailSendPermanentError) as info:
                asyncio.run(sender.send(_compose()))
            assert info.value.smtp_code == 535
            assert handler.received == []
    finally:
        controller.stop()


def test_send_without_recipients_is_permanent() -> None:
    msg = _compose()
    del msg["To"]
    sender = SmtpSender(SmtpSettings(host="127.0.0.1", port=free_port()))
    with pytest.raises(EmailSendPermanentError):
        asyncio.run(sender.send(msg))
