"""Notification mails (created / answered / resolved) and sending them over SMTP."""

from __future__ import annotations

import asyncio
import html
import re
import secrets
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from enum import StrEnum

from kefu.channels.email.loop_detection import LOOP_HEADER
from kefu.channels.email.ticket_number import is_ticket_number
from kefu.clock import Clock, SystemClock
from kefu.errors import InvalidInput, KefuError

MAX_REFERENCES = 20
_SUBJECT_NOISE_RE = re.compile(
    r"^\s*((re|fw|fwd|回复|答复|转发)\s*[:：]\s*|\[KF-\d{8}-\d{6}\]\s*)+", re.IGNORECASE
)


class NotificationKind(StrEnum):
    CREATED = "created"
    ANSWERED = "answered"
    RESOLVED = "resolved"


_ZH = {
    NotificationKind.CREATED: "我们已收到您的问题，工单号 {n}。"
    "客服会尽快处理，处理进展会通过邮件通知您。",
    NotificationKind.ANSWERED: "客服已回复您的工单 {n}：",
    NotificationKind.RESOLVED: "您的工单 {n} 已处理完毕。"
    "如果问题仍未解决，直接回复本邮件即可重新打开。",
}
_EN = {
    NotificationKind.CREATED: "We have received your request, ticket {n}. "
    "An agent will handle it soon; you will be notified by mail.",
    NotificationKind.ANSWERED: "An agent has answered your ticket {n}:",
    NotificationKind.RESOLVED: "Your ticket {n} has been resolved. "
    "If the problem persists, simply reply to this mail to reopen it.",
}
_SUBJECT = {
    "zh": {
        NotificationKind.CREATED: "已收到",
        NotificationKind.ANSWERED: "客服已回复",
        NotificationKind.RESOLVED: "已解决",
    },
    "en": {
        NotificationKind.CREATED: "Received",
        NotificationKind.ANSWERED: "New reply",
        NotificationKind.RESOLVED: "Resolved",
    },
}
_FOOTER = {
    "zh": (
        "您好，",
        "查看进度：{url}",
        "直接回复本邮件即可补充信息，请保留主题中的工单号。",
        "提醒：客服不会向您索要密码、短信验证码或完整银行卡号，请勿透露给任何人。",
    ),
    "en": (
        "Hello,",
        "Track progress: {url}",
        "Reply to this mail to add information; please keep the ticket number in the subject.",
        "Reminder: our staff never ask for passwords, SMS codes or full bank-card numbers.",
    ),
}


def _clean_context(subject_context: str) -> str:
    context = " ".join(subject_context.split())  # no CR/LF: no header injection
    context = _SUBJECT_NOISE_RE.sub("", context).strip()
    return context if len(context) <= 80 else context[:79] + "…"


def notification_subject(
    kind: NotificationKind | str, ticket_number: str, subject_context: str, lang: str = "zh"
) -> str:
    label = _SUBJECT["en" if lang == "en" else "zh"][NotificationKind(kind)]
    context = _clean_context(subject_context)
    separator = "：" if lang != "en" else ": "
    return (
        f"[{ticket_number}] {label}{separator}{context}"
        if context
        else (f"[{ticket_number}] {label}")
    )


def _block(lang: str, kind: NotificationKind, number: str, body: str, url: str | None) -> list[str]:
    greeting, track, reply, safety = _FOOTER[lang]
    intro = (_EN if lang == "en" else _ZH)[kind].format(n=number)
    lines = [greeting, "", intro]
    if body.strip():
        lines += ["", body.strip()]
    lines.append("")
    if url:
        lines.append(track.format(url=url))
    lines += [reply, safety]
    return lines


def _html_paragraph(text: str) -> str:
    return "<p>" + html.escape(text).replace("\n", "<br>\n") + "</p>"


def _html_block(
    lang: str,
    kind: NotificationKind,
    number: str,
    body_text: str,
    body_html: str | None,
    url: str | None,
) -> str:
    greeting, track, reply, safety = _FOOTER[lang]
    intro = (_EN if lang == "en" else _ZH)[kind].format(n=number)
    parts = [
        f'<div lang="{"en" if lang == "en" else "zh-CN"}">',
        _html_paragraph(greeting),
        _html_paragraph(intro),
    ]
    if body_html is not None:
        parts.append(f'<div class="kefu-body">{body_html}</div>')
    elif body_text.strip():
        parts.append(_html_paragraph(body_text.strip()))
    if url:
        label = html.escape(track.split("{url}")[0].strip())
        parts.append(
            f'<p>{label} <a href="{html.escape(url, quote=True)}">{html.escape(url)}</a></p>'
        )
    parts += [
        _html_paragraph(reply),
        f'<p style="color:#b45309">{html.escape(safety)}</p>',
        "</div>",
    ]
    return "\n".join(parts)


def compose_notification(
    kind: NotificationKind | str,
    ticket_number: str,
    to: str | Sequence[str],
    subject_context: str,
    body_text: str,
    body_html: str | None,
    from_addr: str,
    reply_to: str | None,
    thread_message_ids: Sequence[str],
    tracking_url: str | None,
    lang: str = "zh",
    *,
    message_id_domain: str | None = None,
    message_id: str | None = None,
    loop_token: str | None = None,
    clock: Clock | None = None,
) -> EmailMessage:
    """A notification mail: text + HTML alternative, UTF-8, threaded, loop-marked.

    `body_html` is trusted HTML from the caller (already rendered and sanitised);
    when None, HTML is made from `body_text`. The new Message-ID is in
    ``msg["Message-ID"]``: store it so replies thread back (`find_thread`).
    """
    try:
        kind = NotificationKind(kind)
    except ValueError:
        raise InvalidInput(
            "email_kind", f"未知的通知类型：{kind}", f"unknown notification kind: {kind}"
        ) from None
    if not is_ticket_number(ticket_number):
        raise InvalidInput("ticket_number", "工单号格式不正确", "malformed ticket number")
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients or not all(parseaddr(r)[1] for r in recipients):
        raise InvalidInput("email_to", "收件人地址不正确", "malformed recipient address")
    domain = message_id_domain or parseaddr(from_addr)[1].rpartition("@")[2] or "kefu.invalid"
    primary = "en" if lang == "en" else "zh"
    secondary = "zh" if primary == "en" else "en"
    now = (clock or SystemClock()).now()

    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = notification_subject(kind, ticket_number, subject_context, primary)
    msg["From"] = from_addr
    msg["To"] = ", ".join(recipients)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id or f"<kefu.{ticket_number}.{secrets.token_hex(10)}@{domain}>"
    thread = [m for m in (_as_msgid(x) for x in thread_message_ids) if m][-MAX_REFERENCES:]
    if thread:
        msg["In-Reply-To"] = thread[-1]
        msg["References"] = " ".join(thread)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg[LOOP_HEADER] = loop_token or domain
    msg["X-Kefu-Ticket"] = ticket_number

    text_lines = _block(primary, kind, ticket_number, body_text, tracking_url)
    text_lines += ["", "——", *_block(secondary, kind, ticket_number, body_text, tracking_url)]
    msg.set_content("\n".join(text_lines) + "\n", charset="utf-8", cte="base64")
    html_doc = (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n'
        + _html_block(primary, kind, ticket_number, body_text, body_html, tracking_url)
        + "\n<hr>\n"
        + _html_block(secondary, kind, ticket_number, body_text, body_html, tracking_url)
        + "\n</body></html>\n"
    )
    msg.add_alternative(html_doc, subtype="html", charset="utf-8", cte="base64")
    return msg


def _as_msgid(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    return value if value.startswith("<") and value.endswith(">") else f"<{value.strip('<>')}>"


# -- sending -------------------------------------------------------------------------------


class SmtpSecurity(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    SSL = "ssl"


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    security: SmtpSecurity = SmtpSecurity.NONE
    timeout: float = 30.0
    local_hostname: str | None = None


class EmailSendError(KefuError):
    """Sending failed. `retryable` says whether trying again later can help."""

    status_code = 502
    retryable = False

    def __init__(self, message_en: str, *, smtp_code: int | None = None) -> None:
        super().__init__(
            "email_send_failed",
            "邮件发送失败",
            message_en,
            details={"smtp_code": smtp_code, "retryable": self.retryable},
        )
        self.smtp_code = smtp_code


class EmailSendTemporaryError(EmailSendError):
    """Connection trouble or a 4xx answer: retry later (with backoff)."""

    status_code = 503
    retryable = True


class EmailSendPermanentError(EmailSendError):
    """A 5xx answer, bad credentials or no valid recipient: do not retry as is."""


@dataclass(frozen=True)
class SendResult:
    message_id: str | None
    refused: dict[str, tuple[int, str]]


def _error_for_code(code: int, text: str) -> EmailSendError:
    if 400 <= code < 500:
        return EmailSendTemporaryError(text, smtp_code=code)
    return EmailSendPermanentError(text, smtp_code=code)


def _reply_text(reply: bytes | str) -> str:
    return reply.decode("utf-8", errors="replace") if isinstance(reply, bytes) else reply


class SmtpSender:
    """Sends with stdlib smtplib in a worker thread; one connection per message."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    async def send(self, msg: EmailMessage) -> SendResult:
        """Send one message. Raises EmailSendTemporaryError / EmailSendPermanentError."""
        return await asyncio.to_thread(self.send_sync, msg)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security is SmtpSecurity.SSL:
            return smtplib.SMTP_SSL(
                s.host,
                s.port,
                local_hostname=s.local_hostname,
                timeout=s.timeout,
                context=ssl.create_default_context(),
            )
        client = smtplib.SMTP(s.host, s.port, local_hostname=s.local_hostname, timeout=s.timeout)
        if s.security is SmtpSecurity.STARTTLS:
            client.ehlo()
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        return client

    def send_sync(self, msg: EmailMessage) -> SendResult:
        if not (msg.get_all("To") or msg.get_all("Cc") or msg.get_all("Bcc")):
            raise EmailSendPermanentError("message has no recipients")
        try:
            client = self._connect()
        except smtplib.SMTPResponseException as exc:
            raise _error_for_code(exc.smtp_code, _reply_text(exc.smtp_error)) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise EmailSendTemporaryError(f"cannot connect: {exc}") from exc
        try:
            if self.settings.username:
                client.login(self.settings.username, self.settings.password or "")
            refused = client.send_message(msg)
        except smtplib.SMTPAuthenticationError as exc:
            raise EmailSendPermanentError(
                f"authentication failed: {_reply_text(exc.smtp_error)}", smtp_code=exc.smtp_code
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(400 <= code < 500 for code in codes):
                raise EmailSendTemporaryError("recipients refused", smtp_code=codes[0]) from exc
            raise EmailSendPermanentError(
                "recipients refused", smtp_code=codes[0] if codes else None
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise _error_for_code(exc.smtp_code, _reply_text(exc.smtp_error)) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise EmailSendTemporaryError(f"sending failed: {exc}") from exc
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()
        return SendResult(
            message_id=msg.get("Message-ID"),
            refused={addr: (code, _reply_text(text)) for addr, (code, text) in refused.items()},
        )
