"""Mail in -> conversation: a new ticket, or a reply threaded by ticket number,
In-Reply-To or References (email_messages). Machines are never answered: loops and
bounces are dropped, auto-replies and list mail on an existing thread are kept as an
internal note, and never start a conversation."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.actions.access import tenant_by_slug
from kefu.actions.attachments import UploadedFile, sniff_content_type
from kefu.actions.context import Actor, ActorKind, Kefu, transaction
from kefu.actions.email_review import flag_auth_failures, link_claimed_ticket
from kefu.actions.opening import Contact, Opening, open_conversation
from kefu.actions.ticket_tracking import TrackingAccess, do_customer_reply
from kefu.actions.timeline import append_event
from kefu.channels.email import InboundDelivery, InboundEmail, find_thread, parse_email
from kefu.channels.email.reply_proof import auth_failures
from kefu.domain.conversation_state import AuthorType, Channel, EventType, Visibility
from kefu.domain.tenant_settings import parse_tenant_settings
from kefu.errors import KefuError
from kefu.storage.models import Conversation, EmailMessage, Event, Tenant

log = logging.getLogger("kefu.email")


class Outcome(StrEnum):
    CREATED = "created"
    THREADED = "threaded"
    FOLLOW_UP = "follow_up"
    NOTED = "noted"  # an auto-reply on a known thread, stored as an internal note
    DUPLICATE = "duplicate"
    IGNORED = "ignored"


@dataclass(frozen=True)
class InboundResult:
    outcome: Outcome
    conversation_public_id: str | None = None
    number: str | None = None
    matched_by: str | None = None
    reason: str = ""
    skipped_attachments: tuple[str, ...] = ()


class _Lookup:
    """ThreadLookup over the database, scoped to one tenant."""

    def __init__(self, session: AsyncSession, tenant_id: int) -> None:
        self.session = session
        self.tenant_id = tenant_id

    async def of_contact(self, sender: str) -> list[tuple[str, Conversation]]:
        rows = await self.session.execute(
            select(Conversation)
            .where(Conversation.tenant_id == self.tenant_id, Conversation.contact_email == sender)
            .order_by(Conversation.id.desc())
            .limit(500)
        )
        return [(conv.public_id, conv) for conv in rows.scalars()]

    async def by_public_id(self, public_id: str) -> Conversation | None:
        return await self._one(Conversation.public_id == public_id)

    async def by_ticket_number(self, ticket_number: str) -> Conversation | None:
        return await self._one(Conversation.number == ticket_number)

    async def _one(self, *where: ColumnElement[bool]) -> Conversation | None:
        row = await self.session.execute(
            select(Conversation).where(Conversation.tenant_id == self.tenant_id, *where).limit(1)
        )
        return row.scalar_one_or_none()

    def contact_of(self, conversation: Conversation) -> str | None:
        return (conversation.contact_email or "").lower() or None

    async def by_message_id(self, message_id: str) -> Conversation | None:
        return await self._by_mail(message_id)

    async def by_sent_message_id(self, message_id: str) -> Conversation | None:
        return await self._by_mail(message_id, EmailMessage.direction == "out")

    async def _by_mail(self, message_id: str, *where: ColumnElement[bool]) -> Conversation | None:
        row = (
            await self.session.execute(
                select(Conversation)
                .join(EmailMessage, EmailMessage.conversation_id == Conversation.id)
                .where(
                    EmailMessage.tenant_id == self.tenant_id,
                    func.lower(EmailMessage.message_id) == message_id.lower(),
                    *where,
                )
                .limit(1)
            )
        ).scalar_one_or_none()
        return row


def own_addresses(kefu: Kefu, tenant: Tenant) -> list[str]:
    typed = parse_tenant_settings(tenant.settings)
    found = [kefu.settings.mail_from, *typed.support_emails]
    if typed.mail_from:
        found.append(typed.mail_from)
    return [a.split("<")[-1].strip(" >").lower() for a in found if a]


def _usable(kefu: Kefu, email: InboundEmail) -> tuple[list[UploadedFile], list[str]]:
    """Images and PDFs (checked by content, size-limited) are kept; others are named."""
    kept: list[UploadedFile] = []
    skipped: list[str] = []
    for att in email.attachments:
        ok = 0 < att.size <= kefu.settings.attachment_max_bytes and len(kept) < 10
        if ok:
            try:
                sniff_content_type(att.data)
            except KefuError:
                ok = False
        if ok:
            kept.append(UploadedFile(att.filename, att.data))
        else:
            skipped.append(att.filename)
    return kept, skipped


async def do_receive_email(kefu: Kefu, tenant_slug: str, raw: bytes) -> InboundResult:
    async with kefu.db.read() as session:
        tenant = await tenant_by_slug(session, tenant_slug)
        tenant_id = tenant.id
        email = parse_email(raw, own_addresses=own_addresses(kefu, tenant))
        if email.is_loop or email.is_bounce:
            log.info("inbound mail dropped", extra={"reasons": email.automation_reasons})
            return InboundResult(Outcome.IGNORED, reason=",".join(email.automation_reasons))
        if email.message_id:
            seen = (
                await session.execute(
                    select(EmailMessage.id).where(
                        EmailMessage.tenant_id == tenant_id,
                        EmailMessage.message_id == email.message_id,
                    )
                )
            ).first()
            if seen is not None:
                return InboundResult(Outcome.DUPLICATE)
        decision = await find_thread(email, _Lookup(session, tenant_id), kefu.settings.signing_keys)
        existing = decision.conversation
    if not email.from_address:
        return InboundResult(Outcome.IGNORED, reason="no sender")
    files, skipped = _usable(kefu, email)
    failures = auth_failures(email.auth_results)
    text = (email.new_text or email.text).strip()[: kefu.settings.message_max_chars]
    if skipped:
        text += "\n\n（未保存的附件：" + "、".join(skipped) + "）"
    if email.is_automated:
        if existing is None:
            return InboundResult(Outcome.IGNORED, reason=",".join(email.automation_reasons))
        async with transaction(kefu) as tx:
            conv = await tx.session.get(Conversation, existing.id)
            assert conv is not None
            event = await append_event(
                tx,
                conv,
                EventType.NOTE,
                author_type=AuthorType.SYSTEM,
                body=f"自动回复邮件（未回复）：{email.subject}\n{text[:1000]}",
                visibility=Visibility.INTERNAL,
                data={"email_auto_reply": list(email.automation_reasons)},
            )
            _remember(tx.session, tenant_id, conv.id, email.message_id, event.id, tx.now)
        return InboundResult(
            Outcome.NOTED, existing.public_id, existing.number, decision.matched_by.value
        )
    if existing is None:
        async with transaction(kefu) as tx:
            opened = await open_conversation(
                kefu,
                tx,
                tenant_id,
                Opening(
                    channel=Channel.EMAIL,
                    subject=email.subject or "（无主题）",
                    body=text or "（无正文）",
                    contact=Contact(name=email.from_name or None, email=email.from_address),
                    details={"email_from_name": email.from_name},
                    event_data={"email": _email_data(email, failures)},
                    files=files,
                ),
            )
            conv, first = opened.conversation, opened.first_message
            assert first is not None
            if failures:
                await flag_auth_failures(tx, conv, first, failures)
            if decision.claimed is not None:
                await link_claimed_ticket(tx, conv, decision.claimed.id, email.from_address)
            _remember(tx.session, tenant_id, conv.id, email.message_id, first.id, tx.now)
            result = InboundResult(
                Outcome.CREATED,
                conv.public_id,
                conv.number,
                "new",
                skipped_attachments=tuple(skipped),
            )
        return result
    access = TrackingAccess(
        tenant_id,
        existing.public_id,
        Actor(kind=ActorKind.CUSTOMER, tenant_id=tenant_id, customer_id=existing.customer_id),
    )
    reply = await do_customer_reply(kefu, access, text, files, source="email")
    async with transaction(kefu) as tx:
        conv_id = (
            await tx.session.execute(
                select(Conversation.id).where(Conversation.public_id == reply.public_id)
            )
        ).scalar_one()
        event_id = (
            await tx.session.execute(
                select(Event.id).where(
                    Event.conversation_id == conv_id, Event.seq == reply.event_seq
                )
            )
        ).scalar_one_or_none()
        _remember(tx.session, tenant_id, conv_id, email.message_id, event_id, tx.now)
        if failures and event_id is not None:
            conv = await tx.session.get(Conversation, conv_id)
            replied = await tx.session.get(Event, event_id)
            assert conv is not None and replied is not None
            await flag_auth_failures(tx, conv, replied, failures)
    return InboundResult(
        Outcome.FOLLOW_UP if reply.follow_up else Outcome.THREADED,
        reply.public_id,
        reply.number,
        decision.matched_by.value,
        skipped_attachments=tuple(skipped),
    )


def _email_data(email: InboundEmail, failures: list[str]) -> dict[str, object]:
    data: dict[str, object] = {"message_id": email.message_id, "subject": email.subject}
    if failures:
        data["auth_failures"] = failures
    return data


def _remember(
    session: AsyncSession,
    tenant_id: int,
    conv_id: int,
    message_id: str | None,
    event_id: int | None,
    now: datetime,
) -> None:
    if message_id:
        session.add(
            EmailMessage(
                tenant_id=tenant_id,
                conversation_id=conv_id,
                message_id=message_id[:300],
                direction="in",
                event_id=event_id,
                created_at=now,
            )
        )


def inbound_callback(
    kefu: Kefu, tenant_slug: str, loop: asyncio.AbstractEventLoop | None = None
) -> Callable[[InboundDelivery], Awaitable[None]]:
    """For `InboundMailHandler(addresses, inbound_callback(kefu, slug, app_loop))`.

    aiosmtpd's Controller runs its own loop in a thread: pass the application's loop
    so the database work runs there (an async engine belongs to one loop)."""

    async def deliver(delivery: InboundDelivery) -> None:
        coro = do_receive_email(kefu, tenant_slug, delivery.raw)
        if loop is None:
            await coro
            return
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))

    return deliver
