"""find_thread: ticket number -> In-Reply-To -> References (newest first) -> new."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from kefu.channels.email import MatchedBy, find_thread, parse_email, thread_keys


class FakeLookup:
    def __init__(
        self,
        by_number: dict[str, int] | None = None,
        by_msgid: dict[str, int] | None = None,
        owners: dict[int, str] | None = None,
    ) -> None:
        self.by_number = by_number or {}
        self.by_msgid = by_msgid or {}
        self.owners = owners or {}
        self.calls: list[tuple[str, str]] = []

    async def by_ticket_number(self, ticket_number: str, sender: str) -> int | None:
        self.calls.append(("number", ticket_number))
        found = self.by_number.get(ticket_number)
        if found is not None and self.owners.get(found, sender) != sender:
            return None
        return found

    async def by_message_id(self, message_id: str) -> int | None:
        self.calls.append(("msgid", message_id))
        return self.by_msgid.get(message_id)


def _mail(subject: str = "hello", in_reply_to: str = "", references: str = "") -> bytes:
    headers = f"From: buyer@example.com\r\nSubject: {subject}\r\nMessage-ID: <self@x>\r\n"
    if in_reply_to:
        headers += f"In-Reply-To: {in_reply_to}\r\n"
    if references:
        headers += f"References: {references}\r\n"
    return (headers + "\r\nbody\r\n").encode()


def test_ticket_number_wins_over_message_ids() -> None:
    mail = parse_email(_mail("Re: [KF-20261122-000123] x", "<b@k>", "<a@k> <b@k>"))
    lookup = FakeLookup(by_number={"KF-20261122-000123": 1}, by_msgid={"<b@k>": 2})
    decision = asyncio.run(find_thread(mail, lookup))
    assert (decision.conversation, decision.matched_by) == (1, MatchedBy.TICKET_NUMBER)
    assert decision.key == "KF-20261122-000123"
    assert lookup.calls == [("number", "KF-20261122-000123")]


def test_in_reply_to_then_references_newest_first() -> None:
    mail = parse_email(_mail("Re: x", "<c@k>", "<a@k> <b@k> <c@k>"))
    assert [(k.matched_by, k.value) for k in thread_keys(mail)] == [
        (MatchedBy.IN_REPLY_TO, "<c@k>"),
        (MatchedBy.REFERENCES, "<b@k>"),
        (MatchedBy.REFERENCES, "<a@k>"),
    ]
    lookup = FakeLookup(by_msgid={"<c@k>": 7, "<a@k>": 9})
    decision = asyncio.run(find_thread(mail, lookup))
    assert (decision.conversation, decision.matched_by) == (7, MatchedBy.IN_REPLY_TO)

    lookup = FakeLookup(by_msgid={"<a@k>": 9})
    decision = asyncio.run(find_thread(mail, lookup))
    assert (decision.conversation, decision.matched_by, decision.key) == (
        9,
        MatchedBy.REFERENCES,
        "<a@k>",
    )
    assert lookup.calls == [("msgid", "<c@k>"), ("msgid", "<b@k>"), ("msgid", "<a@k>")]


def test_unknown_ticket_number_falls_through_to_message_ids() -> None:
    mail = parse_email(_mail("[KF-20261122-000999] x", "<b@k>"))
    decision = asyncio.run(find_thread(mail, FakeLookup(by_msgid={"<b@k>": 3})))
    assert (decision.conversation, decision.matched_by) == (3, MatchedBy.IN_REPLY_TO)


def test_ticket_number_of_someone_else_is_not_followed() -> None:
    mail = parse_email(_mail("[KF-20261122-000123] x"))
    lookup = FakeLookup(by_number={"KF-20261122-000123": 1}, owners={1: "victim@example.com"})
    decision = asyncio.run(find_thread(mail, lookup))
    assert decision.is_new and decision.matched_by is MatchedBy.NEW


def test_nothing_matches_is_new() -> None:
    decision = asyncio.run(find_thread(parse_email(_mail()), FakeLookup()))
    assert decision.is_new
    assert decision.conversation is None and decision.key is None


def test_reply_fixture_threads_by_ticket_then_by_notification_id(
    eml: Callable[[str], bytes],
) -> None:
    mail = parse_email(eml("reply_to_notification.eml"))
    keys = thread_keys(mail)
    assert [k.matched_by for k in keys] == [
        MatchedBy.TICKET_NUMBER,
        MatchedBy.IN_REPLY_TO,
        MatchedBy.REFERENCES,
    ]
    lookup = FakeLookup(by_msgid={"<kefu.KF-20261122-000123.a0@kamen.example>": 5})
    decision = asyncio.run(find_thread(mail, lookup))
    assert (decision.conversation, decision.matched_by) == (5, MatchedBy.REFERENCES)
