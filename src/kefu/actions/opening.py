"""Opening a conversation: the one way every channel starts one (widget chat, widget
留言, help-center form, e-mail, a follow-up ticket, WeChat), with the contact details
stored as fields and the first message, its attachments and its follow-ups in the
caller's transaction."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from kefu.actions.attachments import UploadedFile, attach_in_tx, link_attachments
from kefu.actions.context import Actor, ActorKind, Kefu, Tx
from kefu.actions.numbers import next_conversation_number
from kefu.actions.timeline import append_event
from kefu.domain.conversation_state import AuthorType, Channel, EventType, Status
from kefu.domain.numbering import new_public_id
from kefu.domain.priority import initial_priority
from kefu.domain.redaction import redact
from kefu.domain.vocabulary import PhoneNumber
from kefu.storage.models import (
    Conversation,
    ConversationOrder,
    Customer,
    Department,
    Event,
    Order,
)


@dataclass(frozen=True)
class Contact:
    """How to reach the customer outside the chat; stored on the conversation
    (``contact_name``, ``contact_phone`` + ``contact_phone_last4``, ``contact_email``),
    so replies can be mailed and the ticket tracked by its number + the phone's last 4."""

    name: str | None = None
    phone: PhoneNumber | None = None
    email: str | None = None  # lower-cased by the caller's check


#: The name a contact customer gets when the channel gives none.
CONTACT_NAMES = {Channel.EMAIL: "邮件用户", Channel.WECHAT: "微信用户"}


@dataclass
class Opening:
    """What a new conversation starts with.

    ``customer_id`` None: a customer row of its own is made from ``contact`` (never
    merged with members; ``visitor_key`` names it, e.g. ``wechat:<openid>``, else a
    random one). ``start_with_bot``: status ``bot`` (the bot answers the first message)
    instead of ``queued``. ``priority`` None: from the category (账号安全 is urgent on every
    channel). ``files`` are checked bytes (form, mail); ``attachment_ids`` the author's
    own earlier uploads (chat). Unknown department codes and order numbers are ignored
    here: callers that must refuse them check first (``access_*``)."""

    channel: Channel
    body: str = ""
    subject: str = ""
    customer_id: int | None = None
    visitor_key: str | None = None
    contact: Contact = field(default_factory=Contact)
    category: str | None = None
    department_code: str | None = None
    department_id: int | None = None
    order_nos: list[str] = field(default_factory=list)
    priority: int | None = None
    start_with_bot: bool = False
    client_msg_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    event_data: dict[str, Any] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)
    attachment_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Opened:
    conversation: Conversation
    first_message: Event | None  # None: opened without a message (an empty chat)


async def open_conversation(
    kefu: Kefu, tx: Tx, tenant_id: int, opening: Opening, *, author: Actor | None = None
) -> Opened:
    """Open one conversation of `tenant_id` in the caller's transaction (``async with
    transaction(kefu) as tx``) and append its first message, written by `author` (None:
    the conversation's customer). Returns it with that message (None if there is no
    body and no attachment). The subscribers plan the follow-ups (bot turn, routing, SLA,
    the "ticket received" mail) when the transaction commits; nothing is sent here."""
    customer_id = opening.customer_id
    if customer_id is None:
        customer_id = (
            await contact_customer(
                tx, tenant_id, opening.channel, opening.contact, opening.visitor_key
            )
        ).id
    department_id = opening.department_id
    if department_id is None and opening.department_code:
        department_id = (
            await tx.session.execute(
                select(Department.id).where(
                    Department.tenant_id == tenant_id, Department.code == opening.department_code
                )
            )
        ).scalar_one_or_none()
    orders: list[Order] = []
    if opening.order_nos:
        found = await tx.session.execute(
            select(Order).where(Order.tenant_id == tenant_id, Order.order_no.in_(opening.order_nos))
        )
        by_no = {o.order_no: o for o in found.scalars()}
        orders = [by_no[no] for no in dict.fromkeys(opening.order_nos) if no in by_no]
    status = Status.BOT if opening.start_with_bot else Status.QUEUED
    contact = opening.contact
    conv = Conversation(
        tenant_id=tenant_id,
        number=await next_conversation_number(tx, kefu.settings.timezone, tenant_id),
        public_id=new_public_id(),
        channel=opening.channel.value,
        status=status.value,
        priority=(
            opening.priority if opening.priority is not None else initial_priority(opening.category)
        ),
        category=opening.category,
        subject=redact(opening.subject).text[:300],
        department_id=department_id,
        customer_id=customer_id,
        merchant_id=orders[0].merchant_id if orders else None,
        queued_at=tx.now if status is Status.QUEUED else None,
        last_seq=0,
        bot_state={},
        details=dict(opening.details),
        contact_name=contact.name[:50] if contact.name else None,
        contact_phone=contact.phone.value if contact.phone else None,
        contact_phone_last4=contact.phone.last4 if contact.phone else None,
        contact_email=contact.email,
        created_at=tx.now,
        updated_at=tx.now,
    )
    tx.session.add(conv)
    await tx.session.flush()
    for order in orders:
        tx.session.add(ConversationOrder(conversation_id=conv.id, order_id=order.id))
    if not (opening.body or opening.files or opening.attachment_ids):
        return Opened(conv, None)
    redaction = redact(opening.body)
    data = dict(opening.event_data)
    if redaction.kinds:
        data["redacted"] = list(redaction.kinds)
    if author is not None and author.is_staff:
        author_type, author_id = AuthorType.AGENT, author.agent_id
    elif author is not None and author.kind is ActorKind.MACHINE:
        author_type, author_id = AuthorType.SYSTEM, None
    else:
        author_type, author_id = AuthorType.CUSTOMER, customer_id
    event = await append_event(
        tx,
        conv,
        EventType.MESSAGE,
        author_type=author_type,
        author_id=author_id,
        body=redaction.text,
        data=data,
        client_msg_id=opening.client_msg_id,
    )
    if opening.attachment_ids and author is not None:
        linked = await link_attachments(tx, author, conv, event, opening.attachment_ids)
        event.data = {**event.data, "attachments": linked}
    if opening.files:
        await attach_in_tx(kefu, tx, conv, event, opening.files)
    return Opened(conv, event)


async def opened_before(
    tx: Tx, tenant_id: int, customer_id: int, client_msg_id: str
) -> Conversation | None:
    """The conversation this customer already opened with `client_msg_id` as its first
    message: a resent create returns it instead of opening a second one."""
    stmt = (
        select(Conversation)
        .join(Event, Event.conversation_id == Conversation.id)
        .where(
            Conversation.tenant_id == tenant_id,
            Conversation.customer_id == customer_id,
            Event.client_msg_id == client_msg_id,
            Event.seq == 1,
        )
    )
    return (await tx.session.execute(stmt)).scalar_one_or_none()


def set_customer_contact(customer: Customer, phone: PhoneNumber | None, email: str | None) -> None:
    """The customer's reachable contact: the phone only masked + its last 4 digits."""
    if phone is not None:
        customer.phone_masked, customer.phone_last4 = phone.masked, phone.last4
    customer.email = email


async def contact_customer(
    tx: Tx, tenant_id: int, channel: Channel, contact: Contact, visitor_key: str | None = None
) -> Customer:
    """A customer row of its own for a ticket / mail thread / WeChat user (found again
    by `visitor_key` when one is given)."""
    if visitor_key:
        existing = (
            await tx.session.execute(
                select(Customer).where(
                    Customer.tenant_id == tenant_id, Customer.visitor_id == visitor_key
                )
            )
        ).scalar_one_or_none()
        if existing is not None:
            return existing
    customer = Customer(
        tenant_id=tenant_id,
        visitor_id=visitor_key or f"{channel.value}:{secrets.token_urlsafe(12)}",
        display_name=(contact.name or CONTACT_NAMES.get(channel, "工单用户"))[:100],
        created_at=tx.now,
    )
    set_customer_contact(customer, contact.phone, contact.email)
    tx.session.add(customer)
    await tx.session.flush()
    return customer
