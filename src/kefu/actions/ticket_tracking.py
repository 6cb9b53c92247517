"""Ticket tracking: number + phone last 4 / email or a signed link; customer replies
that reopen (within N days) or start a follow-up ticket; rating."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from kefu.actions.attachments import UploadedFile, do_upload_attachment
from kefu.actions.context import Actor, ActorKind, Kefu, transaction
from kefu.actions.conversation_status import reopen
from kefu.actions.conversations import do_post_message, do_rate_conversation
from kefu.actions.opening import Contact, Opening, open_conversation
from kefu.actions.tracking_codes import do_redeem_tracking_code
from kefu.clock import ensure_aware
from kefu.domain import signed_tokens
from kefu.domain.conversation_state import Channel, Status
from kefu.domain.tenant_settings import parse_tenant_settings
from kefu.domain.vocabulary import PhoneNumber
from kefu.errors import InvalidInput, NotFound
from kefu.storage.models import Conversation, Event, Tenant

LOOKUP_MAX_FAILURES = 5
LOOKUP_WINDOW = timedelta(minutes=15)
LINK_DAYS = 30


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def tracking_token(kefu: Kefu, tenant_id: int, public_id: str, days: int = LINK_DAYS) -> str:
    exp = int((kefu.clock.now() + timedelta(days=days)).timestamp())
    return signed_tokens.sign(
        {"k": "trk", "t": tenant_id, "c": public_id, "exp": exp}, kefu.settings.signing_keys
    )


@dataclass(frozen=True)
class TrackingAccess:
    tenant_id: int
    public_id: str
    actor: Actor


async def access_by_tracking_token(kefu: Kefu, token: str) -> TrackingAccess:
    payload = signed_tokens.verify(token, kefu.settings.signing_keys, kefu.clock.now())
    tenant_id, public_id = payload.get("t"), payload.get("c")
    if (
        payload.get("k") != "trk"
        or not isinstance(tenant_id, int)
        or not isinstance(public_id, str)
    ):
        raise NotFound("ticket", "工单")
    async with kefu.db.read() as session:
        conv = (
            await session.execute(
                select(Conversation).where(
                    Conversation.tenant_id == tenant_id, Conversation.public_id == public_id
                )
            )
        ).scalar_one_or_none()
    if conv is None or conv.customer_id is None:
        raise NotFound("ticket", "工单")
    actor = Actor(kind=ActorKind.CUSTOMER, tenant_id=tenant_id, customer_id=conv.customer_id)
    return TrackingAccess(tenant_id, public_id, actor)


async def do_lookup_ticket(
    kefu: Kefu, tenant_slug: str, challenge: str, code: str, client: str = "unknown"
) -> str:
    """The code sent to the ticket's contact (tracking_codes) -> a one-day tracking
    token. Number + digits alone, or the e-mail address, open nothing."""
    tenant_id, public_id = await do_redeem_tracking_code(kefu, tenant_slug, challenge, code, client)
    return tracking_token(kefu, tenant_id, public_id, days=1)


# -- the customer adds information, rates --------------------------------------------------


def reopen_days(kefu: Kefu, tenant: Tenant | None = None) -> int:
    days = parse_tenant_settings(tenant.settings).reopen_days if tenant is not None else None
    return days if days is not None else kefu.settings.ticket_reopen_days


@dataclass(frozen=True)
class CustomerReply:
    public_id: str
    number: str
    event_seq: int
    follow_up: bool  # True: a new ticket was opened, referencing the old one


async def do_customer_reply(
    kefu: Kefu,
    access: TrackingAccess,
    body: str,
    files: list[UploadedFile] | None = None,
    *,
    source: str = "tracking",
) -> CustomerReply:
    """Within N days of resolution a reply reopens; later it opens a follow-up ticket."""
    files = [f for f in (files or []) if f.content]
    text = body.strip()
    if not text and not files:
        raise InvalidInput("empty_message", "消息不能为空", "message is empty")
    if len(text) > kefu.settings.message_max_chars:
        raise InvalidInput("message_too_long", "消息太长", "message too long")
    async with transaction(kefu) as tx:  # one transaction: the reopen and the message
        conv = (
            await tx.session.execute(
                select(Conversation)
                .where(
                    Conversation.public_id == access.public_id,
                    Conversation.tenant_id == access.tenant_id,
                )
                .with_for_update()
            )
        ).scalar_one()
        tenant = await tx.session.get(Tenant, conv.tenant_id)
        done_at = conv.resolved_at or conv.closed_at
        stale = conv.status in (Status.RESOLVED, Status.CLOSED) and (
            done_at is None
            or ensure_aware(done_at) + timedelta(days=reopen_days(kefu, tenant)) < tx.now
        )
        if stale:
            opened = await open_conversation(
                kefu,
                tx,
                conv.tenant_id,
                Opening(
                    channel=Channel(conv.channel),
                    subject=conv.subject,
                    body=text or "（附件）",
                    customer_id=conv.customer_id,
                    contact=contact_of(conv),
                    category=conv.category,
                    department_id=conv.department_id,
                    details={**(conv.details or {}), "previous_number": conv.number},
                    event_data={"previous_number": conv.number, "source": source},
                    files=files,
                ),
            )
            new_conv, event = opened.conversation, opened.first_message
            assert event is not None
            return CustomerReply(new_conv.public_id, new_conv.number, event.seq, True)
        if conv.status == Status.CLOSED:
            await reopen(tx, conv, reason="customer_reopened")
        ids = [
            (await do_upload_attachment(kefu, access.actor, f.filename, f.content)).public_id
            for f in files
        ]
        posted = await do_post_message(
            kefu, access.actor, access.public_id, text, attachment_ids=ids
        )
    return CustomerReply(access.public_id, posted.conversation.number, posted.event.seq, False)


def contact_of(conv: Conversation) -> Contact:
    """The contact stored on a conversation, for the next one it opens."""
    phone = PhoneNumber.parse(conv.contact_phone) if conv.contact_phone else None
    return Contact(name=conv.contact_name, phone=phone, email=conv.contact_email)


async def do_rate_ticket(
    kefu: Kefu, access: TrackingAccess, score: int, tags: list[str], comment: str
) -> Event:
    return await do_rate_conversation(kefu, access.actor, access.public_id, score, tags, comment)


def tracking_url(kefu: Kefu, tenant_slug: str, token: str) -> str:
    return f"{kefu.settings.public_base_url.rstrip('/')}/help/{tenant_slug}/t/{token}"


def due_times(conv: Conversation) -> dict[str, datetime | None]:
    return {
        "first_response_due_at": conv.first_response_due_at
        if conv.first_responded_at is None
        else None,
        "resolution_due_at": conv.resolution_due_at if conv.resolved_at is None else None,
    }
