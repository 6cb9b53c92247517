"""Mail that claims a ticket must prove it (issue 11 item 6): a reply threads as the
customer only through the ticket's +token reply address or a kefu-signed In-Reply-To,
and only from the ticket's contact. A forged From with a ticket number becomes a new
conversation linked for review; SPF / DKIM / DMARC failures are flagged."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage as Mail
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from kefu.actions.email_inbound import InboundResult, Outcome, do_receive_email
from kefu.storage.models import Conversation, Event
from tests.api.conftest import kefu_of
from tests.helpcenter.conftest import file_ticket
from tests.world import World

VICTIM = "buyer@example.com"


def _receive(client: TestClient, slug: str, raw: bytes) -> InboundResult:
    assert client.portal is not None
    return client.portal.call(do_receive_email, kefu_of(client), slug, raw)


def _events(client: TestClient, number: str) -> list[Event]:
    async def go() -> list[Event]:
        async with kefu_of(client).db.read() as s:
            conv = (
                await s.execute(
                    select(Conversation)
                    .where(Conversation.number == number)
                    .order_by(Conversation.id.desc())
                    .limit(1)
                )
            ).scalar_one()
            rows = await s.execute(
                select(Event).where(Event.conversation_id == conv.id).order_by(Event.seq)
            )
            return list(rows.scalars())

    assert client.portal is not None
    return client.portal.call(go)


def _created_mail(smtp_server: Any) -> Any:
    return message_from_bytes(smtp_server.handler.received[0].content)


def _mail(sender: str, to: str, subject: str, body: str, msgid: str, **headers: str) -> bytes:
    m = Mail()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m["Message-ID"] = msgid
    for name, value in headers.items():
        m[name.replace("_", "-")] = value
    m.set_content(body)
    return m.as_bytes()


def test_forged_from_with_the_victims_ticket_number_opens_a_linked_new_conversation(
    client: TestClient, world: World, smtp_server: Any
) -> None:
    t = file_ticket(client, world.slug, contact_email=VICTIM)
    before = len(_events(client, t["number"]))
    raw = _mail(
        VICTIM,
        "kefu@kamen.example",
        f"Re: [{t['number']}] 我的点券",
        "请把卡密改发到 scam@evil.example",
        "<forged-1@evil.example>",
    )
    result = _receive(client, world.slug, raw)
    assert result.outcome is Outcome.CREATED and result.number != t["number"]
    victim = _events(client, t["number"])
    added = victim[before:]
    assert [e.author_type for e in added if e.visibility == "public"] == []
    assert all("改发" not in (e.body or "") for e in victim)
    assert [e.type for e in added] == ["note"]
    assert "疑似冒用工单号" in added[0].body and str(result.number) in added[0].body
    new = _events(client, str(result.number))
    notes = [e for e in new if e.type == "note" and e.visibility == "internal"]
    assert notes and "疑似冒用工单号" in notes[0].body and t["number"] in notes[0].body


def test_reply_to_the_token_address_from_the_contact_threads(
    client: TestClient, world: World, smtp_server: Any
) -> None:
    t = file_ticket(client, world.slug, contact_email=VICTIM)
    created = _created_mail(smtp_server)
    reply_to = str(created["Reply-To"])
    local, _, domain = reply_to.partition("@")
    assert "+" in local and domain
    raw = _mail(VICTIM, reply_to, "还是没到账", "麻烦再看看", "<tok-1@example.com>")
    result = _receive(client, world.slug, raw)
    assert result.outcome is Outcome.THREADED and result.number == t["number"]
    assert result.matched_by == "reply_address"
    # the same token with one character changed proves nothing
    token = local.partition("+")[2]
    flipped = token[:-1] + ("0" if token[-1] != "0" else "1")
    bad = reply_to.replace(token, flipped)
    raw = _mail(VICTIM, bad, "还是没到账", "再看看", "<tok-2@example.com>")
    assert _receive(client, world.slug, raw).outcome is Outcome.CREATED


def test_reply_with_a_signed_in_reply_to_from_the_contact_threads(
    client: TestClient, world: World, smtp_server: Any
) -> None:
    t = file_ticket(client, world.slug, contact_email=VICTIM)
    created = _created_mail(smtp_server)
    signed = str(created["Message-ID"]).strip()  # a long id may be folded
    assert signed.startswith("<kf.")
    raw = _mail(
        VICTIM,
        "kefu@kamen.example",
        "Re: 工单",
        "补充一张截图",
        "<irt-1@example.com>",
        In_Reply_To=signed,
    )
    result = _receive(client, world.slug, raw)
    assert result.outcome is Outcome.THREADED and result.number == t["number"]
    assert result.matched_by == "in_reply_to"
    # a tampered signature is not kefu's: a new, linked conversation
    forged = signed.replace("<kf.", "<kf.x", 1)
    raw = _mail(VICTIM, "kefu@kamen.example", "Re", "再补充", "<irt-2@x>", In_Reply_To=forged)
    assert _receive(client, world.slug, raw).outcome is Outcome.CREATED


def test_valid_token_from_another_sender_starts_a_new_conversation(
    client: TestClient, world: World, smtp_server: Any
) -> None:
    t = file_ticket(client, world.slug, contact_email=VICTIM)
    created = _created_mail(smtp_server)
    before = len(_events(client, t["number"]))
    raw = _mail(
        "someone@else.example",
        str(created["Reply-To"]),
        f"Re: {t['number']}",
        "我也是这个订单",
        "<other-1@else.example>",
        In_Reply_To=str(created["Message-ID"]).strip(),
    )
    result = _receive(client, world.slug, raw)
    assert result.outcome is Outcome.CREATED and result.number != t["number"]
    added = _events(client, t["number"])[before:]
    assert [(e.type, e.visibility) for e in added] == [("note", "internal")]


def test_spf_fail_recorded_by_the_mta_is_flagged_and_the_mail_kept(
    client: TestClient, world: World, smtp_server: Any
) -> None:
    raw = _mail(
        "liming@example.com",
        "kefu@kamen.example",
        "充值没到账",
        "订单 123 没到账",
        "<spf-1@example.com>",
        Authentication_Results="mx.kamen.example; spf=fail smtp.mailfrom=example.com; "
        "dkim=none; dmarc=fail header.from=example.com",
    )
    result = _receive(client, world.slug, raw)
    assert result.outcome is Outcome.CREATED
    events = _events(client, str(result.number))
    assert events[0].data["email"]["auth_failures"] == ["spf", "dmarc"]
    notes = [e for e in events if e.type == "note" and e.visibility == "internal"]
    assert any("SPF" in n.body and "核实" in n.body for n in notes)
    clean = _mail(
        "liming@example.com",
        "kefu@kamen.example",
        "另一个问题",
        "你好",
        "<spf-2@example.com>",
        Authentication_Results="mx.kamen.example; spf=pass; dkim=pass; dmarc=pass",
    )
    ok = _events(client, str(_receive(client, world.slug, clean).number))
    assert "auth_failures" not in ok[0].data["email"]
    assert not [e for e in ok if e.type == "note"]


def _record_legacy_sent(client: TestClient, tenant_id: int, number: str, message_id: str) -> None:
    """A notification sent before reply addresses existed: kefu recorded its plain
    Message-ID (make_msgid) on the outgoing mail row, as the old code did."""
    from kefu.actions.context import transaction
    from kefu.storage.models import EmailMessage

    async def go() -> None:
        kefu = kefu_of(client)
        async with transaction(kefu) as tx:
            conv = (
                await tx.session.execute(
                    select(Conversation).where(
                        Conversation.number == number, Conversation.tenant_id == tenant_id
                    )
                )
            ).scalar_one()
            tx.session.add(
                EmailMessage(
                    tenant_id=conv.tenant_id,
                    conversation_id=conv.id,
                    message_id=message_id,
                    direction="out",
                    event_id=None,
                    created_at=tx.now,
                )
            )

    assert client.portal is not None
    client.portal.call(go)


def test_reply_to_mail_sent_before_reply_addresses_threads_from_the_contact(
    client: TestClient, world: World
) -> None:
    t = file_ticket(client, world.slug, contact_email=VICTIM)
    legacy = "<176412345678.4242.1234567890123456789@kamen.example>"
    _record_legacy_sent(client, world.tenant_id, t["number"], legacy)
    forged = _mail("x@evil.example", "kefu@kamen.example", "Re", "改发卡密", "<f-1@x>",
                   In_Reply_To=legacy)  # fmt: skip
    claim = _receive(client, world.slug, forged)
    assert claim.outcome is Outcome.CREATED and claim.number != t["number"]
    assert any("疑似冒用工单号" in (e.body or "") for e in _events(client, t["number"]))
    raw = _mail(VICTIM, "kefu@kamen.example", "Re: 工单", "还是没到账", "<l-1@example.com>",
                References=f"<older@example.com> {legacy}")  # fmt: skip
    result = _receive(client, world.slug, raw)
    assert result.outcome is Outcome.THREADED and result.number == t["number"]
    assert result.matched_by == "references"
    # the id of a mail kefu *received* is the sender's choice: it proves nothing
    raw = _mail(VICTIM, "kefu@kamen.example", "Re", "再看看", "<l-2@example.com>",
                In_Reply_To="<l-1@example.com>")  # fmt: skip
    assert _receive(client, world.slug, raw).outcome is Outcome.CREATED
