"""Email notifications for tickets: created, answered, resolved.

Through the outbox (docs/outbox.md): one ``email.notify`` job per notification, written
in the transaction of the event; when ``settings.smtp_host`` is set the fast path sends
it right after the commit. A temporary SMTP failure is retried with backoff by the job
runner; a permanent one (or the last attempt) marks it ``failed`` and leaves an internal
note on the conversation. Sending is idempotent per event: an outgoing
``email_messages`` row for the event means "already sent".
"""

from __future__ import annotations

import logging
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select

from kefu.actions.context import Kefu, TimelineFact, Tx, transaction
from kefu.actions.outbox import GiveUp, add_failure_note, enqueue
from kefu.actions.ticket_tracking import tracking_token, tracking_url
from kefu.channels.email import (
    EmailSendError,
    EmailSendTemporaryError,
    NotificationKind,
    SmtpSender,
    SmtpSettings,
    compose_notification,
)
from kefu.channels.email.reply_proof import reply_address, signed_message_id
from kefu.domain.conversation_state import AuthorType, EventType, Status, Visibility
from kefu.domain.vocabulary import Channel
from kefu.storage.models import Agent, Conversation, EmailMessage, Event, Job, Tenant

log = logging.getLogger("kefu.notifications")

JOB_KIND = "email.notify"
KIND_ZH = {"created": "工单受理", "answered": "客服回复", "resolved": "工单已解决"}
EMAIL_CHANNELS = tuple(c.value for c in Channel if c.replies_by_email)


def notification_kind(fact: TimelineFact) -> NotificationKind | None:
    """Which mail (if any) a committed event calls for."""
    if fact.visibility != Visibility.PUBLIC:
        return None
    if fact.type == EventType.MESSAGE:
        if fact.author_type == AuthorType.AGENT:
            return NotificationKind.ANSWERED
        if fact.author_type == AuthorType.CUSTOMER and fact.seq == 1:
            return NotificationKind.CREATED
        return None
    if fact.type == EventType.STATUS_CHANGE and fact.data.get("to") == Status.RESOLVED:
        return NotificationKind.RESOLVED
    return None


async def on_timeline(kefu: Kefu, tx: Tx, facts: list[TimelineFact]) -> None:
    """One ``email.notify`` job per mail an event calls for (key: conversation, seq and
    kind); sent at once after the commit when SMTP is configured."""
    for fact in facts:
        kind = notification_kind(fact)
        if kind is None:
            continue
        conv = await tx.session.get(Conversation, fact.conversation_id)
        if conv is None or not conv.contact_email or conv.channel not in EMAIL_CHANNELS:
            continue
        await enqueue(
            tx,
            JOB_KIND,
            f"{conv.id}:{fact.seq}:{kind.value}",
            {"conversation_id": conv.id, "seq": fact.seq, "kind": kind.value},
            tenant_id=fact.tenant_id,
            conversation_id=conv.id,
            fast_path=bool(kefu.settings.smtp_host),
        )


async def run_email_job(kefu: Kefu, job: Job) -> None:
    """A temporary SMTP failure is retried with backoff; a permanent one gives up."""
    try:
        await send_notification(kefu, dict(job.payload))
    except EmailSendTemporaryError:
        raise
    except EmailSendError as exc:
        raise GiveUp(str(exc)) from exc


async def email_gave_up(kefu: Kefu, job: Job) -> None:
    """Staff see that the customer was not told: an internal note on the timeline."""
    kind = str(job.payload.get("kind", ""))
    label = KIND_ZH.get(kind, "邮件")
    async with transaction(kefu) as tx:
        await add_failure_note(
            tx,
            job,
            f"{label}邮件发送失败（已尝试 {job.attempts} 次），客户没有收到，"
            "请通过其他方式联系客户。",
        )


def smtp_settings(kefu: Kefu) -> SmtpSettings:
    s = kefu.settings
    return SmtpSettings(
        host=s.smtp_host or "localhost",
        port=s.smtp_port,
        username=s.smtp_username,
        password=s.smtp_password,
        timeout=s.smtp_timeout,
    )


async def send_notification(kefu: Kefu, payload: dict[str, Any]) -> None:
    """Send one notification. Raises EmailSendTemporaryError (retry) or
    EmailSendPermanentError (give up); returns quietly when nothing is to be sent."""
    if not kefu.settings.smtp_host:
        raise EmailSendTemporaryError("smtp_host is not configured")
    conv_id, seq = payload.get("conversation_id"), payload.get("seq")
    kind = NotificationKind(str(payload.get("kind")))
    async with kefu.db.read() as session:
        conv = await session.get(Conversation, conv_id)
        if conv is None or not conv.contact_email:
            return
        event = (
            await session.execute(
                select(Event).where(Event.conversation_id == conv.id, Event.seq == seq)
            )
        ).scalar_one_or_none()
        if event is None:
            return
        sent = (
            await session.execute(
                select(EmailMessage.id).where(
                    EmailMessage.event_id == event.id, EmailMessage.direction == "out"
                )
            )
        ).first()
        if sent is not None:
            return
        tenant = await session.get(Tenant, conv.tenant_id)
        assert tenant is not None
        thread = list(
            (
                await session.execute(
                    select(EmailMessage.message_id)
                    .where(EmailMessage.conversation_id == conv.id)
                    .order_by(EmailMessage.id)
                )
            ).scalars()
        )
        body = ""
        if kind is NotificationKind.ANSWERED:
            agent = await session.get(Agent, event.author_id) if event.author_id else None
            who = f"（客服 {agent.display_name} 工号 {agent.agent_no}）" if agent else ""
            body = f"{event.body}\n\n{who}".strip()
        elif kind is NotificationKind.RESOLVED:
            body = "如对处理结果满意，欢迎在进度页面为本次服务评分（1–5 星）。"
        number, subject, to, slug = conv.number, conv.subject, conv.contact_email, tenant.slug
        event_id, tenant_id, public_id = event.id, tenant.id, conv.public_id
        from_addr = str((tenant.settings or {}).get("mail_from") or kefu.settings.mail_from)
        support = [*(tenant.settings or {}).get("support_emails", []), from_addr][0]
    ring = kefu.settings.signing_keys  # replies prove themselves (docs/email.md)
    domain = parseaddr(from_addr)[1].rpartition("@")[2] or "kefu.invalid"
    link = tracking_url(kefu, slug, tracking_token(kefu, tenant_id, public_id))
    if kind is NotificationKind.RESOLVED:
        link += "#rate"
    msg = compose_notification(
        kind,
        number,
        to,
        subject,
        body,
        None,
        from_addr,
        reply_address(kefu.settings.mail_reply_to or support, public_id, ring),
        thread,
        link,
        clock=kefu.clock,
        message_id=signed_message_id(public_id, ring, domain),
    )
    await SmtpSender(smtp_settings(kefu)).send(msg)
    async with transaction(kefu) as tx:
        tx.session.add(
            EmailMessage(
                tenant_id=tenant_id,
                conversation_id=conv_id,
                message_id=str(msg["Message-ID"]),
                direction="out",
                event_id=event_id,
                created_at=tx.now,
            )
        )
