"""Which conversation an inbound mail belongs to. Pure: the database is behind `lookup`.

A mail continues a ticket as the customer only with proof (docs/email.md) AND when its
From is the ticket's contact address:

1. it was sent to the ticket's ``local+<token>@domain`` reply address (`reply_proof`);
2. its In-Reply-To, then its References (newest first), hold a kefu-signed Message-ID;
3. (mail sent before 1 and 2 existed) they hold the Message-ID of a mail kefu really
   sent for the ticket, as recorded when it was sent: an unguessable id known only to
   the recipient.

Anything else that names a ticket (its number in subject/body, an unsigned or forged
message id, a signed one from another sender) is a *claim*: the mail starts a new
conversation and `ThreadDecision.claimed` names the ticket so both can be linked.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from kefu.channels.email.inbound import InboundEmail
from kefu.channels.email.reply_proof import reply_token_valid, reply_tokens, signed_public_id
from kefu.domain.signed_tokens import KeyRing

ConversationT = TypeVar("ConversationT")


class MatchedBy(StrEnum):
    REPLY_ADDRESS = "reply_address"
    IN_REPLY_TO = "in_reply_to"
    REFERENCES = "references"
    NEW = "new"


class ThreadLookup(Protocol[ConversationT]):
    """Implemented by the caller over the database (tenant-scoped)."""

    def of_contact(self, sender: str) -> Awaitable[list[tuple[str, ConversationT]]]:
        """(public id, conversation) of the conversations whose contact is `sender`."""
        ...

    def by_public_id(self, public_id: str) -> Awaitable[ConversationT | None]: ...

    def by_ticket_number(self, ticket_number: str) -> Awaitable[ConversationT | None]: ...

    def by_message_id(self, message_id: str) -> Awaitable[ConversationT | None]:
        """The conversation one of whose mails (in or out) had this Message-ID."""
        ...

    def by_sent_message_id(self, message_id: str) -> Awaitable[ConversationT | None]:
        """The conversation a mail kefu sent had this Message-ID (outgoing only: an
        incoming mail's id is chosen by its sender and proves nothing)."""
        ...

    def contact_of(self, conversation: ConversationT) -> str | None: ...


@dataclass(frozen=True)
class ThreadKey:
    matched_by: MatchedBy
    value: str


@dataclass(frozen=True)
class ThreadDecision(Generic[ConversationT]):
    conversation: ConversationT | None
    matched_by: MatchedBy
    key: str | None = None
    claimed: ConversationT | None = None  # named but not proven: link it for review

    @property
    def is_new(self) -> bool:
        return self.conversation is None


def thread_keys(email: InboundEmail) -> list[ThreadKey]:
    """The message ids to try, In-Reply-To first, then References newest first."""
    keys: list[ThreadKey] = []
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
    email: InboundEmail, lookup: ThreadLookup[ConversationT], ring: KeyRing
) -> ThreadDecision[ConversationT]:
    """The existing conversation this mail provably continues, or a new one."""
    sender = email.from_address.lower()
    tokens = reply_tokens(email.recipients)
    if tokens and sender:
        for public_id, conv in await lookup.of_contact(sender):
            if any(reply_token_valid(public_id, token, ring) for token in tokens):
                return ThreadDecision(conv, MatchedBy.REPLY_ADDRESS, public_id)
    claimed: ConversationT | None = None
    keys = thread_keys(email)
    for key in keys:
        signed_for = signed_public_id(key.value, ring)
        found = await lookup.by_public_id(signed_for) if signed_for else None
        if found is None:
            continue
        if sender and lookup.contact_of(found) == sender:
            return ThreadDecision(found, key.matched_by, key.value)
        claimed = claimed or found
    for key in keys:  # mail sent before reply addresses and signed ids existed
        sent_in = await lookup.by_sent_message_id(key.value)
        if sent_in is None:
            continue
        if sender and lookup.contact_of(sent_in) == sender:
            return ThreadDecision(sent_in, key.matched_by, key.value)
        claimed = claimed or sent_in
    if claimed is None and email.ticket_number:
        claimed = await lookup.by_ticket_number(email.ticket_number)
    for key in keys:
        if claimed is not None:
            break
        claimed = await lookup.by_message_id(key.value)
    return ThreadDecision(None, MatchedBy.NEW, claimed=claimed)
