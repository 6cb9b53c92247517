"""Card codes re-sent to the order's own contact, never to an address from the request.

The customer (for their own order, from their conversation) or an agent asks; one
transaction writes a public ``card_codes`` event (「订单 … 的卡密已重新发送至 b***@…」)
and an ``order.codes_mail`` outbox job. The job reads the codes at send time (sealed on
the order, or from the marketplace) and mails them to ``orders.contact_email`` as stored
then. Limited to 3 per order per day. Temporary SMTP failures retry with backoff; the
last failure leaves an internal note (outbox fallback).
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy import select

from kefu.actions.access import access_conversation_by_public_id, access_order_by_no
from kefu.actions.context import Actor, Kefu, transaction
from kefu.actions.notifications import smtp_settings
from kefu.actions.order_source import codes_purpose, open_order_adapter, secret_box
from kefu.actions.outbox import GiveUp, enqueue
from kefu.actions.throttles import Budget, budget_key, guard, record_attempts
from kefu.actions.timeline import append_event
from kefu.channels.email import EmailSendError, EmailSendTemporaryError, SmtpSender
from kefu.domain.conversation_state import AuthorType, EventType
from kefu.domain.tenant_settings import parse_tenant_settings
from kefu.errors import KefuError, NotFound
from kefu.storage.models import ConversationOrder, Job, Order, Tenant

JOB_KIND = "order.codes_mail"
RESEND_BUDGET = Budget(
    "card-code-resend",
    3,
    timedelta(days=1),
    failures_only=False,
    message_zh="卡密今天已重发 3 次，请明天再试或联系客服",
    message_en="card codes were re-sent 3 times today; try tomorrow or ask an agent",
)


class NoContact(KefuError):
    status_code = 409

    def __init__(self) -> None:
        super().__init__(
            "order_has_no_contact",
            "该订单没有下单邮箱，无法重发卡密，请联系客服",
            "the order has no contact address to re-send the codes to",
        )


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


async def do_resend_card_codes(
    kefu: Kefu, actor: Actor, conversation_id: str, order_no: str
) -> str:
    """Queue the mail; returns the masked address it goes to."""
    async with kefu.db.read() as session:
        conv = await access_conversation_by_public_id(session, actor, conversation_id)
        order = await access_order_by_no(session, actor, order_no)  # customers: their own
        linked = (
            await session.execute(
                select(ConversationOrder).where(
                    ConversationOrder.conversation_id == conv.id,
                    ConversationOrder.order_id == order.id,
                )
            )
        ).scalar_one_or_none()
        if linked is None and (order.customer_id is None or order.customer_id != conv.customer_id):
            raise NotFound("order", "订单")
    if not order.contact_email:
        raise NoContact()
    key = budget_key(RESEND_BUDGET, order.tenant_id, order.id)
    await guard(kefu, [(RESEND_BUDGET, key)])
    masked = mask_email(order.contact_email)
    async with transaction(kefu) as tx:
        conv = await access_conversation_by_public_id(tx.session, actor, conversation_id)
        record_attempts(tx.session, [key], True, tx.now)
        event = await append_event(
            tx,
            conv,
            EventType.CARD_CODES,
            author_type=AuthorType.AGENT if actor.is_staff else AuthorType.CUSTOMER,
            author_id=actor.agent_id if actor.is_staff else None,
            data={"order_no": order.order_no, "action": "resent", "count": 0, "sent_to": masked},
        )
        await enqueue(
            tx,
            JOB_KIND,
            f"{order.id}:{conv.id}:{event.seq}",
            {"order_id": order.id},
            tenant_id=order.tenant_id,
            conversation_id=conv.id,
            fast_path=bool(kefu.settings.smtp_host),
        )
    return masked


async def run_codes_mail_job(kefu: Kefu, job: Job) -> None:
    if not kefu.settings.smtp_host:
        raise EmailSendTemporaryError("smtp_host is not configured")
    async with kefu.db.read() as session:
        order = await session.get(Order, job.payload.get("order_id"))
        if order is None or not order.contact_email:
            raise GiveUp("the order or its contact address is gone")
        tenant = await session.get(Tenant, order.tenant_id)
        assert tenant is not None
    if order.card_codes_sealed:
        plain = secret_box(kefu).open(
            order.card_codes_sealed, codes_purpose(tenant.id, order.order_no)
        )
        codes = tuple(plain.splitlines())
    else:
        async with open_order_adapter(kefu, tenant.id, parse_tenant_settings(tenant.settings)) as a:
            snap = await a.lookup(order.order_no)
        codes = snap.card_codes if snap is not None else ()
    if not codes:
        raise GiveUp("no card codes to send")
    from_addr = str((tenant.settings or {}).get("mail_from") or kefu.settings.mail_from)
    msg = EmailMessage()
    msg["From"] = formataddr((f"{tenant.name} 客服", from_addr))
    msg["To"] = order.contact_email
    msg["Subject"] = f"订单 {order.order_no} 的卡密 / Your card codes"
    msg["Message-ID"] = make_msgid(domain=from_addr.rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"
    lines = "\n".join(codes)
    msg.set_content(
        f"您好，应您的要求重新发送订单 {order.order_no}（{order.product}）的卡密：\n\n{lines}\n\n"
        "客服不会向您索要卡密、验证码或密码，请勿转发给任何人。\n\n"
        f"As you asked, the card codes of order {order.order_no} again (see above). "
        "Staff never ask you for codes or passwords.\n"
    )
    try:
        await SmtpSender(smtp_settings(kefu)).send(msg)
    except EmailSendTemporaryError:
        raise
    except EmailSendError as exc:
        raise GiveUp(str(exc)) from exc
