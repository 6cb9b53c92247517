"""Email: notifications out to a real aiosmtpd with threading headers, mail in from the
real .eml fixtures (new, threaded, GBK, HTML only, attachments, auto-reply, bounce)."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes
from email.message import EmailMessage as Mail
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from kefu.actions.email_inbound import InboundResult, Outcome, do_receive_email
from kefu.actions.notifications import send_notification
from kefu.channels.email import parse_email
from kefu.storage.models import Attachment, Conversation, EmailMessage, Event, Job
from tests.api.conftest import kefu_of
from tests.helpcenter.conftest import answer, file_ticket, resolve
from tests.world import As, World


def _receive(client: TestClient, slug: str, raw: bytes) -> InboundResult:
    assert client.portal is not None
    return client.portal.call(do_receive_email, kefu_of(client), slug, raw)


def _all(client: TestClient, model: type, *where: Any) -> list[Any]:
    async def go() -> list[Any]:
        async with kefu_of(client).db.read() as s:
            return list((await s.execute(select(model).where(*where).order_by(model.id))).scalars())  # type: ignore[attr-defined]

    assert client.portal is not None
    return client.portal.call(go)


def _conv(client: TestClient, number: str) -> Conversation:
    # numbers are per tenant: the newest conversation with it is this test's
    return _all(client, Conversation, Conversation.number == number)[-1]  # type: ignore[no-any-return]


def _mails(smtp_server: Any) -> list[Any]:
    return [message_from_bytes(r.content) for r in smtp_server.handler.received]


def test_created_answered_resolved_mails_thread_and_a_reply_comes_back(
    client: TestClient, world: World, alice: As, smtp_server: Any
) -> None:
    t = file_ticket(client, world.slug)
    conv = _conv(client, t["number"])
    answer(alice, conv.public_id, "您好，点券已补发，请查收。")
    resolve(alice, conv.public_id)
    mails = _mails(smtp_server)
    assert [m["X-Kefu-Ticket"] for m in mails] == [t["number"]] * 3
    created, answered, resolved = mails
    assert smtp_server.handler.received[0].rcpt_tos == ["buyer@example.com"]
    assert "已收到" in parse_email(created.as_bytes()).subject
    assert created["In-Reply-To"] is None
    assert answered["In-Reply-To"] == created["Message-ID"]
    assert resolved["References"].split() == [created["Message-ID"], answered["Message-ID"]]
    assert "点券已补发" in parse_email(answered.as_bytes()).text
    assert "工号 KF80" in parse_email(answered.as_bytes()).text
    assert f"/help/{world.slug}/t/" in parse_email(resolved.as_bytes()).text
    stored = _all(client, EmailMessage, EmailMessage.conversation_id == conv.id)
    assert [m.message_id for m in stored] == [m["Message-ID"] for m in mails]
    jobs = _all(client, Job, Job.kind == "email.notify", Job.tenant_id == world.tenant_id)
    assert [j.status for j in jobs] == ["done"] * 3

    reply = Mail()
    reply["From"] = "buyer@example.com"
    reply["To"] = str(answered["Reply-To"])
    reply["Subject"] = "Re: " + str(parse_email(answered.as_bytes()).subject)
    reply["Message-ID"] = "<customer-reply-1@example.com>"
    reply["In-Reply-To"] = answered["Message-ID"]
    reply.set_content("还是没有到账，麻烦再看看")
    result = _receive(client, world.slug, reply.as_bytes())
    assert result.outcome is Outcome.THREADED and result.number == t["number"]
    assert result.matched_by == "reply_address"
    assert _conv(client, t["number"]).status == "assigned"  # reopened
    assert _receive(client, world.slug, reply.as_bytes()).outcome is Outcome.DUPLICATE


def test_signed_in_reply_to_from_another_address_is_kept_apart(
    client: TestClient, world: World, alice: As, smtp_server: Any
) -> None:
    t = file_ticket(client, world.slug, contact_email="someone@example.com")
    created = _mails(smtp_server)[0]
    reply = Mail()
    reply["From"] = "forwarded@example.org"  # not the contact: proof is not enough
    reply["Subject"] = "关于我的问题"
    reply["Message-ID"] = "<r2@example.org>"
    reply["In-Reply-To"] = created["Message-ID"]
    reply.set_content("补充一张截图")
    result = _receive(client, world.slug, reply.as_bytes())
    assert result.outcome is Outcome.CREATED and result.number != t["number"]


def test_ticket_number_from_a_stranger_starts_a_new_conversation(
    client: TestClient, world: World, eml: Callable[[str], bytes]
) -> None:
    t = file_ticket(client, world.slug)
    raw = eml("plain_utf8.eml").replace(
        b"Message-ID: <plain-utf8-1@example.com>", b"Message-ID: <s1@x>"
    )
    raw = raw.replace(b"Subject:", b"Subject: [" + t["number"].encode() + b"]", 1)
    result = _receive(client, world.slug, raw)
    assert result.outcome is Outcome.CREATED and result.number != t["number"]


def test_each_fixture_kind_becomes_a_readable_conversation(
    client: TestClient, world: World, eml: Callable[[str], bytes]
) -> None:
    expected = {
        "plain_utf8.eml": "liming@example.com",
        "qp_utf8.eml": "wangfang@example.net",
        "foxmail_gbk.eml": "zhangzhe@qq.com",
        "gb18030.eml": "chenyan@example.cn",
        "qq_html_only.eml": "zhaoliu@qq.com",
    }
    for name, sender in expected.items():
        parsed = parse_email(eml(name))
        result = _receive(client, world.slug, eml(name))
        assert result.outcome is Outcome.CREATED, name
        conv = _conv(client, result.number or "")
        assert conv.channel == "email" and conv.contact_email == sender
        assert conv.subject == parsed.subject and "\ufffd" not in conv.subject
        first = _all(client, Event, Event.conversation_id == conv.id)[0]
        assert first.body.strip() and "\ufffd" not in first.body, name
        assert "<" not in first.body or name != "qq_html_only.eml"
    gbk = _conv(client, _receive_number(client, world, eml, "foxmail_gbk.eml"))
    assert gbk.subject == parse_email(eml("foxmail_gbk.eml")).subject


def _receive_number(
    client: TestClient, world: World, eml: Callable[[str], bytes], name: str
) -> str:
    async def go() -> str:
        async with kefu_of(client).db.read() as s:
            row = (
                await s.execute(
                    select(EmailMessage).where(
                        EmailMessage.message_id == parse_email(eml(name)).message_id
                    )
                )
            ).scalar_one()
            conv = await s.get(Conversation, row.conversation_id)
            assert conv is not None
            return conv.number

    assert client.portal is not None
    return client.portal.call(go)


def test_attachments_are_kept(
    client: TestClient, world: World, eml: Callable[[str], bytes]
) -> None:
    result = _receive(client, world.slug, eml("attachments.eml"))
    assert result.outcome is Outcome.CREATED
    conv = _conv(client, result.number or "")
    atts = _all(client, Attachment, Attachment.conversation_id == conv.id)
    assert sorted((a.filename, a.content_type) for a in atts) == [
        ("截图.png", "image/png"),
        ("订单凭证.pdf", "application/pdf"),
    ]
    first = _all(client, Event, Event.conversation_id == conv.id)[0]
    assert len(first.data["attachments"]) == 2


def test_auto_reply_and_bounce_are_not_answered(
    client: TestClient, world: World, eml: Callable[[str], bytes], smtp_server: Any
) -> None:
    assert _receive(client, world.slug, eml("bounce.eml")).outcome is Outcome.IGNORED
    assert _receive(client, world.slug, eml("auto_reply.eml")).outcome is Outcome.IGNORED
    assert _receive(client, world.slug, eml("mailing_list.eml")).outcome is Outcome.IGNORED
    assert _all(client, Conversation, Conversation.tenant_id == world.tenant_id) == []
    # an out-of-office on a real thread: kept as an internal note, still not answered
    t = file_ticket(client, world.slug, contact_email="liming@example.com")
    created_id = _mails(smtp_server)[0]["Message-ID"].encode()
    raw = eml("auto_reply.eml").replace(b"<kefu.KF-20261122-000123.b1@kamen.example>", created_id)
    assert parse_email(raw).is_automated
    sent_before = len(smtp_server.handler.received)
    result = _receive(client, world.slug, raw)
    assert result.outcome is Outcome.NOTED and result.number == t["number"]
    notes = _all(client, Event, Event.conversation_id == _conv(client, t["number"]).id)
    assert notes[-1].type == "note" and notes[-1].visibility == "internal"
    assert "自动回复" in notes[-1].body
    assert len(smtp_server.handler.received) == sent_before
    assert _conv(client, t["number"]).status == "queued"


def test_without_smtp_the_job_waits_for_the_runner(client: TestClient, world: World) -> None:
    file_ticket(client, world.slug)
    jobs = _all(client, Job, Job.kind == "email.notify", Job.tenant_id == world.tenant_id)
    assert len(jobs) == 1 and jobs[0].status == "pending"
    assert jobs[0].payload["kind"] == "created"


def test_run_email_job_is_idempotent(client: TestClient, world: World, smtp_server: Any) -> None:
    file_ticket(client, world.slug)
    job = _all(client, Job, Job.kind == "email.notify", Job.tenant_id == world.tenant_id)[0]
    assert len(smtp_server.handler.received) == 1
    assert client.portal is not None
    client.portal.call(send_notification, kefu_of(client), job.payload)
    assert len(smtp_server.handler.received) == 1
