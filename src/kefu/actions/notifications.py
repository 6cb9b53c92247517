"""Email notifications for tickets: created, answered, resolved.

Decision (docs/helpcenter.md): an outbox. The subscriber writes one ``jobs`` row
(kind ``email.notify``) per notification after the event committed, then — when
``settings.smtp_host`` is set — sends it at once and marks the row ``done``. A
temporary SMTP failure leaves the row ``pending`` with a back-off ``run_at`` for the
job runner (``run_email_job``); a permanent one marks it ``failed``. The row is
written with ``run_at`` a little in the future, so a runner does not pick it up while
the inline attempt is under way. Sending is idempotent per event: an outgoing
``email_messages`` row for the event means "already sent".
"""

from __future__ import annotations

import logging
from datetime import timedelta
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select

from kefu.actions.context import Kefu, TimelineFact, transaction
from kefu.actions.ticket_tracking import tracking_token, tracking_url
from kefu.channels.email import (
    EmailSendError,
    EmailSendTemporaryError,
    NotificationKind,
    SmtpSender,
    SmtpSettings,
    compose_notification,
)
from kefu.domain.conversation_state import AuthorType, EventType, Status, Visibility
from kefu.domain.vocabulary import Channel
from kefu.storage.models import Agent, Conversation, EmailMessage, Event, Job, Tenant

log = logging.getLogger("kefu.notifications")

JOB_KIND = "email.notify"
INLINE_GRACE = timedelta(minutes=2)
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = 8
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


async def on_timeline(kefu: Kefu, facts: list[TimelineFact]) -> None:
    wanted = [(f, k) for f in facts if (k := notification_kind(f)) is not None]
    if not wanted:
        return
    job_ids: list[int] = []
    async with transaction(kefu) as tx:
        for fact, kind in wanted:
            conv = await tx.session.get(Conversation, fact.conversation_id)
            if conv is None or not conv.contact_email or conv.channel not in EMAIL_CHANNELS:
                continue
            job = Job(
                tenant_id=fact.tenant_id,
                kind=JOB_KIND,
                payload={"conversation_id": conv.id, "seq": fact.seq, "kind": kind.value},
                status="pending",
                run_at=tx.now + INLINE_GRACE,
                attempts=0,
                created_at=tx.now,
            )
            tx.session.add(job)
            await tx.session.flush()
            job_ids.append(job.id)
    if kefu.settings.smtp_host:
        for job_id in job_ids:
            await run_job_inline(kefu, job_id)


async def run_job_inline(kefu: Kefu, job_id: int) -> None:
    async with kefu.db.read() as session:
        job = await session.get(Job, job_id)
        payload = dict(job.payload) if job else {}
    status, error, retry_at = "done", None, None
    try:
        await run_email_job(kefu, payload)
    except EmailSendTemporaryError as exc:
        status, error = "pending", str(exc)
        retry_at = kefu.clock.now() + BACKOFF[0]
    except EmailSendError as exc:
        status, error = "failed", str(exc)
    except Exception as exc:  # never lose the job: the runner retries
        log.exception("email notification failed", extra={"job": job_id})
        status, error = "pending", repr(exc)[:500]
        retry_at = kefu.clock.now() + BACKOFF[0]
    async with transaction(kefu) as tx:
        row = await tx.session.get(Job, job_id)
        if row is None:
            return
        row.attempts = (row.attempts or 0) + 1
        row.status = status
        row.last_error = error
        if retry_at is not None:
            row.run_at = retry_at


def smtp_settings(kefu: Kefu) -> SmtpSettings:
    s = kefu.settings
    return SmtpSettings(
        host=s.smtp_host or "localhost",
        port=s.smtp_port,
        username=s.smtp_username,
        password=s.smtp_password,
        timeout=s.smtp_timeout,
    )


async def run_email_job(kefu: Kefu, payload: dict[str, Any]) -> None:
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
        kefu.settings.mail_reply_to or from_addr,
        thread,
        link,
        clock=kefu.clock,
        message_id_domain=parseaddr(from_addr)[1].rpartition("@")[2] or None,
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
