"""Which conversation an inbound mail belongs to. Pure: the database is behind `lookup`.

Order (first match wins):

1. a ticket number (KF-YYYYMMDD-NNNNNN) in the subject, then in the body;
2. the In-Reply-To message id;
3. the References message ids, newest (last) first;
4. otherwise a new conversation.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from kefu.channels.email.inbound import InboundEmail

ConversationT = TypeVar("ConversationT")
ConversationT_co = TypeVar("ConversationT_co", covariant=True)


class MatchedBy(StrEnum):
    TICKET_NUMBER = "ticket_number"
    IN_REPLY_TO = "in_reply_to"
    REFERENCES = "references"
    NEW = "new"


class ThreadLookup(Protocol[ConversationT_co]):
    """Implemented by the caller over the database (tenant-scoped)."""

    def by_ticket_number(
        self, ticket_number: str, sender: str
    ) -> Awaitable[ConversationT_co | None]:
        """The conversation with this number, if `sender` may post to it.

        Ticket numbers are guessable: return None when the sender is not the
        conversation's contact (or otherwise allowed), and the mail starts anew.
        """
        ...

    def by_message_id(self, message_id: str) -> Awaitable[ConversationT_co | None]:
        """The conversation one of whose mails (in or out) had this Message-ID."""
        ...


@dataclass(frozen=True)
class ThreadKey:
    matched_by: MatchedBy
    value: str


@dataclass(frozen=True)
class ThreadDecision(Generic[ConversationT]):
    conversation: ConversationT | None
    matched_by: MatchedBy
    key: str | None = None

    @property
    def is_new(self) -> bool:
        return self.conversation is None


def thread_keys(email: InboundEmail) -> list[ThreadKey]:
    """The keys to try, in order. Pure and cheap; `find_thread` walks them."""
    keys: list[ThreadKey] = []
    if email.ticket_number:
        keys.append(ThreadKey(MatchedBy.TICKET_NUMBER, email.ticket_number))
    seen: set[str] = set()
    if email.in_reply_to:
        keys.append(ThreadKey(MatchedBy.IN_REPLY_TO, email.in_reply_to))
        seen.add(email.in_reply_to)
    for message_id in reversed(email.references):
        if message_id not in seen and message_id != email.message_id:
            keys.append(ThreadKey(MatchedBy.REFERENCES, message_id))
            seen.add(message_id)
    return keys


async def find_thread(
    email: InboundEmail, lookup: ThreadLookup[ConversationT]
) -> ThreadDecision[ConversationT]:
    """The existing conversation this mail continues, or a decision to start one."""
    for key in thread_keys(email):
        if key.matched_by is MatchedBy.TICKET_NUMBER:
            found = await lookup.by_ticket_number(key.value, email.from_address)
        else:
            found = await lookup.by_message_id(key.value)
        if found is not None:
            return ThreadDecision(found, key.matched_by, key.value)
    return ThreadDecision(None, MatchedBy.NEW)
