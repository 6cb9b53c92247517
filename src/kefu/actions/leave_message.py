"""The widget's 留言 (leave a message while nobody is online): a real ticket.

It opens through ``open_conversation`` like the help-center form: channel ``ticket``
(so it is held to the message target, 30 minutes by default, the number the widget
promises), queued for a person, the contact stored as fields. The ticket number it shows
is trackable on the help center by number + the phone's last 4 digits (a one-time code
goes to the contact, actions/tracking_codes.py), the widget also gets a signed tracking
link, and an agent's reply reaches the customer: by e-mail when an address was given
(actions/notifications.py), and always on the tracking page and in the widget."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kefu.actions.access import access_tenant
from kefu.actions.context import Actor, Kefu, transaction
from kefu.actions.conversation_status import check_message_body
from kefu.actions.opening import Contact, Opening, open_conversation, opened_before
from kefu.actions.sla_tracking import tenant_sla
from kefu.actions.ticket_tracking import tracking_token, tracking_url
from kefu.domain.conversation_state import Channel
from kefu.domain.sla import promised_reply_minutes
from kefu.domain.vocabulary import PhoneNumber
from kefu.errors import Forbidden, InvalidInput
from kefu.storage.models import Conversation

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
SOURCE = "widget_message"


@dataclass(frozen=True)
class LeaveMessage:
    contact: str  # a phone number or an e-mail address
    body: str
    name: str = ""
    client_msg_id: str | None = None


@dataclass(frozen=True)
class LeftMessage:
    conversation: Conversation
    tracking_url: str  # a signed link to the progress page (help center)
    promised_reply_minutes: int  # the ticket's first-response target (the SLA policy)
    duplicate: bool = False


def check_contact(text: str) -> Contact:
    """A phone (validated, stored whole, tracked by its last 4) or an e-mail address."""
    value = text.strip()
    if "@" in value:
        if len(value) > 254 or not _EMAIL.match(value):
            raise InvalidInput(
                "invalid_contact", "邮箱格式不正确", "the e-mail address is not valid"
            )
        return Contact(email=value.lower())
    if not PhoneNumber.is_valid(value):
        raise InvalidInput(
            "invalid_contact",
            "请填写正确的手机号或邮箱",
            "give a valid phone number or e-mail address",
        )
    return Contact(phone=PhoneNumber.parse(value))


async def do_leave_message(kefu: Kefu, actor: Actor, message: LeaveMessage) -> LeftMessage:
    """The widget's customer leaves a message; a resend (same client_msg_id) returns the
    ticket the first one opened."""
    if not actor.is_customer or actor.customer_id is None:
        raise Forbidden("只有访客可以留言", "only the widget's customer can leave a message")
    contact = check_contact(message.contact)
    name = " ".join(message.name.split())[:50] or None
    text = check_message_body(kefu, message.body, False)
    async with transaction(kefu) as tx:
        tenant = await access_tenant(tx.session, actor)
        promise = promised_reply_minutes(tenant_sla(tenant.settings).policy)

        def link(conv: Conversation) -> str:
            token = tracking_token(kefu, actor.tenant_id, conv.public_id)
            return tracking_url(kefu, tenant.slug, token)

        if message.client_msg_id:
            earlier = await opened_before(
                tx, actor.tenant_id, actor.customer_id, message.client_msg_id
            )
            if earlier is not None:
                return LeftMessage(earlier, link(earlier), promise, duplicate=True)
        summary = " ".join(text.split())[:40]
        opened = await open_conversation(
            kefu,
            tx,
            actor.tenant_id,
            Opening(
                channel=Channel.TICKET,
                subject=f"留言：{summary}",
                body=text,
                customer_id=actor.customer_id,
                contact=Contact(name=name, phone=contact.phone, email=contact.email),
                client_msg_id=message.client_msg_id,
                details={"source": SOURCE},
                event_data={"source": SOURCE},
            ),
            author=actor,
        )
        return LeftMessage(opened.conversation, link(opened.conversation), promise)
