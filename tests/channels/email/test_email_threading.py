"""find_thread: only a valid +token reply address or a kefu-signed message id, from the
ticket's contact, threads; ticket numbers and unsigned ids are claims for review."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from kefu.channels.email import MatchedBy, find_thread, parse_email, thread_keys
from kefu.channels.email.reply_proof import (
    auth_failures,
    reply_address,
    signed_message_id,
    signed_public_id,
)
from kefu.domain.signed_tokens import KeyRing

RING = KeyRing.of("a" * 40)
ROTATED = KeyRing.of("b" * 40, ["a" * 40])
CONTACTS = {"pubA": "buyer@example.com", "pubB": "other@example.com"}
NUMBERS = {"KF-20261122-000123": "pubA"}


class FakeLookup:
    """Conversations are their public ids."""

    def __init__(
        self, by_msgid: dict[str, str] | None = None, sent: dict[str, str] | None = None
    ) -> None:
        self.sent = sent or {}
        self.by_msgid = {**(by_msgid or {}), **self.sent}

    async def of_contact(self, sender: str) -> list[tuple[str, str]]:
        return [(pid, pid) for pid, contact in CONTACTS.items() if contact == sender]

    async def by_public_id(self, public_id: str) -> str | None:
        return public_id if public_id in CONTACTS else None

    async def by_ticket_number(self, ticket_number: str) -> str | None:
        return NUMBERS.get(ticket_number)

    async def by_message_id(self, message_id: str) -> str | None:
        return self.by_msgid.get(message_id)

    async def by_sent_message_id(self, message_id: str) -> str | None:
        return self.sent.get(message_id)

    def contact_of(self, conversation: str) -> str | None:
        return CONTACTS.get(conversation)


def _mail(
    subject: str = "hello",
    in_reply_to: str = "",
    references: str = "",
    to: str = "kefu@kamen.example",
    sender: str = "buyer@example.com",
) -> bytes:
    headers = f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <self@x>\r\n"
    if in_reply_to:
        headers += f"In-Reply-To: {in_reply_to}\r\n"
    if references:
        headers += f"References: {references}\r\n"
    return (headers + "\r\nbody\r\n").encode()


def _find(raw: bytes, ring: KeyRing = RING, lookup: FakeLookup | None = None) -> object:
    return asyncio.run(find_thread(parse_email(raw), lookup or FakeLookup(), ring))


def test_signed_message_ids_verify_and_survive_rotation() -> None:
    mid = signed_message_id("pubA", RING, "kamen.example")
    assert signed_public_id(mid, RING) == "pubA"
    assert signed_public_id(mid, ROTATED) == "pubA"  # old mail still answerable
    assert signed_public_id(mid, KeyRing.of("c" * 40)) is None
    assert signed_public_id(mid.replace("pubA", "pubB"), RING) is None
    assert signed_public_id("<kefu.KF-20261122-000123.a0@kamen.example>", RING) is None


def test_reply_address_from_the_contact_threads() -> None:
    address = reply_address("Kefu <kefu@kamen.example>", "pubA", RING)
    assert address.startswith("kefu+") and address.endswith("@kamen.example")
    decision = asyncio.run(find_thread(parse_email(_mail(to=address)), FakeLookup(), RING))
    assert (decision.conversation, decision.matched_by) == ("pubA", MatchedBy.REPLY_ADDRESS)
    other = _mail(to=address, sender="other@example.com")
    decision = asyncio.run(find_thread(parse_email(other), FakeLookup(), RING))
    assert decision.conversation is None


def test_signed_in_reply_to_then_references_newest_first() -> None:
    mid = signed_message_id("pubA", RING, "k")
    mail = parse_email(_mail("x", "<b@k>", f"{mid} <b@k>"))
    assert [(k.matched_by, k.value) for k in thread_keys(mail)] == [
        (MatchedBy.IN_REPLY_TO, "<b@k>"),
        (MatchedBy.REFERENCES, mid),
    ]
    decision = asyncio.run(find_thread(mail, FakeLookup(), RING))
    assert (decision.conversation, decision.matched_by) == ("pubA", MatchedBy.REFERENCES)


def test_signed_id_from_another_sender_is_a_claim() -> None:
    mid = signed_message_id("pubA", RING, "k")
    decision = asyncio.run(
        find_thread(
            parse_email(_mail(in_reply_to=mid, sender="x@evil.example")), FakeLookup(), RING
        )
    )
    assert decision.conversation is None and decision.claimed == "pubA"


def test_ticket_number_and_unsigned_ids_are_claims_never_threads() -> None:
    decision = asyncio.run(
        find_thread(parse_email(_mail("Re: [KF-20261122-000123] x")), FakeLookup(), RING)
    )
    assert (decision.conversation, decision.claimed) == (None, "pubA")
    lookup = FakeLookup(by_msgid={"<b@k>": "pubA"})
    decision = asyncio.run(find_thread(parse_email(_mail(in_reply_to="<b@k>")), lookup, RING))
    assert (decision.conversation, decision.claimed) == (None, "pubA")
    decision = asyncio.run(find_thread(parse_email(_mail()), FakeLookup(), RING))
    assert (decision.conversation, decision.claimed, decision.matched_by) == (
        None,
        None,
        MatchedBy.NEW,
    )


def test_an_id_kefu_really_sent_threads_only_from_the_contact() -> None:
    """Mail sent before reply addresses and signed ids: its recorded Message-ID, named
    in In-Reply-To or References by the ticket's contact, threads; from anyone else it
    is a claim; an id only seen on incoming mail is a claim even from the contact."""
    lookup = FakeLookup(sent={"<legacy.1@kamen.example>": "pubA"})
    mail = _mail(in_reply_to="<legacy.1@kamen.example>")
    decision = asyncio.run(find_thread(parse_email(mail), lookup, RING))
    assert (decision.conversation, decision.matched_by) == ("pubA", MatchedBy.IN_REPLY_TO)
    mail = _mail(references="<legacy.1@kamen.example> <other@x>")
    decision = asyncio.run(find_thread(parse_email(mail), lookup, RING))
    assert (decision.conversation, decision.matched_by) == ("pubA", MatchedBy.REFERENCES)
    forged = _mail(in_reply_to="<legacy.1@kamen.example>", sender="x@evil.example")
    decision = asyncio.run(find_thread(parse_email(forged), lookup, RING))
    assert (decision.conversation, decision.claimed) == (None, "pubA")
    incoming_only = FakeLookup(by_msgid={"<theirs@mail.example>": "pubA"})
    mail = _mail(in_reply_to="<theirs@mail.example>")
    decision = asyncio.run(find_thread(parse_email(mail), incoming_only, RING))
    assert (decision.conversation, decision.claimed) == (None, "pubA")


def test_reply_fixture_with_a_legacy_unsigned_id_is_only_a_claim(
    eml: Callable[[str], bytes],
) -> None:
    mail = parse_email(eml("reply_to_notification.eml"))
    decision = asyncio.run(find_thread(mail, FakeLookup(), RING))
    assert decision.conversation is None and decision.claimed == "pubA"


def test_auth_failures_from_authentication_results() -> None:
    assert auth_failures(["mx; spf=fail smtp.mailfrom=a; dkim=pass", "x; DKIM=fail"]) == [
        "spf",
        "dkim",
    ]
    assert auth_failures(["mx; spf=softfail; dkim=none; dmarc=pass"]) == []
