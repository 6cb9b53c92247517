"""Opening a conversation from outside the chat: a contact customer of its own and a
queued conversation with its first message (ticket form, mail, follow-ups)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.actions.context import Kefu, Tx
from kefu.actions.numbers import next_conversation_number
from kefu.actions.timeline import append_event
from kefu.domain.conversation_state import AuthorType, Channel, EventType, Status
from kefu.domain.numbering import new_public_id
from kefu.domain.priority import initial_priority
from kefu.domain.redaction import redact
from kefu.domain.vocabulary import PhoneNumber
from kefu.errors import NotFound
from kefu.storage.models import (
    Conversation,
    ConversationOrder,
    Customer,
    Department,
    Event,
    Order,
    Tenant,
)


async def new_contact_customer(
    tx: Tx, tenant_id: int, kind: str, email: str | None, phone: str | None
) -> Customer:
    """A customer row of its own for each ticket / mail thread (never merged with members)."""
    number = PhoneNumber.parse(phone) if phone else None
    customer = Customer(
        tenant_id=tenant_id,
        visitor_id=f"{kind}:{secrets.token_urlsafe(12)}",
        display_name="邮件用户" if kind == "email" else "工单用户",
        email=email,
        phone_masked=number.masked if number else None,
        phone_last4=number.last4 if number else None,
        created_at=tx.now,
    )
    tx.session.add(customer)
    await tx.session.flush()
    return customer


@dataclass
class NewTicket:
    tenant_id: int
    channel: Channel
    subject: str
    body: str
    customer_id: int
    category: str | None = None
    department_code: str | None = None
    order_no: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    contact_email: str | None = None
    contact_phone_last4: str | None = None
    event_data: dict[str, Any] = field(default_factory=dict)


async def open_ticket_in_tx(kefu: Kefu, tx: Tx, new: NewTicket) -> tuple[Conversation, Event]:
    """A queued conversation (humans answer tickets and mail) with its first message."""
    department_id = None
    if new.department_code:
        department_id = (
            await tx.session.execute(
                select(Department.id).where(
                    Department.tenant_id == new.tenant_id, Department.code == new.department_code
                )
            )
        ).scalar_one_or_none()
    order = None
    if new.order_no:
        order = (
            await tx.session.execute(
                select(Order).where(
                    Order.tenant_id == new.tenant_id, Order.order_no == new.order_no
                )
            )
        ).scalar_one_or_none()
    conv = Conversation(
        tenant_id=new.tenant_id,
        number=await next_conversation_number(tx, kefu.settings.timezone, new.tenant_id),
        public_id=new_public_id(),
        channel=new.channel.value,
        status=Status.QUEUED.value,
        priority=initial_priority(new.category),
        category=new.category,
        subject=redact(new.subject).text[:300],
        department_id=department_id,
        customer_id=new.customer_id,
        merchant_id=order.merchant_id if order else None,
        queued_at=tx.now,
        last_seq=0,
        bot_state={},
        details=new.details,
        contact_email=new.contact_email,
        contact_phone_last4=new.contact_phone_last4,
        created_at=tx.now,
        updated_at=tx.now,
    )
    tx.session.add(conv)
    await tx.session.flush()
    if order is not None:
        tx.session.add(ConversationOrder(conversation_id=conv.id, order_id=order.id))
    redaction = redact(new.body)
    data = dict(new.event_data)
    if redaction.kinds:
        data["redacted"] = list(redaction.kinds)
    event = await append_event(
        tx,
        conv,
        EventType.MESSAGE,
        author_type=AuthorType.CUSTOMER,
        author_id=new.customer_id,
        body=redaction.text,
        data=data,
    )
    return conv, event


async def tenant_by_slug(session: AsyncSession, slug: str) -> Tenant:
    if "\x00" in slug:  # no slug has one, and PostgreSQL refuses NUL in text
        raise NotFound("tenant", "平台")
    tenant = (await session.execute(select(Tenant).where(Tenant.slug == slug))).scalar_one_or_none()
    if tenant is None:
        raise NotFound("tenant", "平台")
    return tenant
