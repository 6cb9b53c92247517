"""Proof for ticket tracking: number + the phone's last 4 digits opens nothing by
itself; it sends a one-time code to the ticket's contact (e-mail through the SMTP path,
or SMS through an adapter), and number + code gives the tracking link. The e-mail
address is never a secret (anyone may know it), and last-4 guesses are budgeted per
(tenant, number) and per client.

The code is never stored: the challenge handed to the browser is a token signed by
kefu carrying an HMAC of the code, so it cannot be guessed offline; guesses at a code
are budgeted per challenge and per client, and a used challenge is remembered (as a
nonce) until it expires, so each code opens the ticket once."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Literal, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kefu.actions import throttles
from kefu.actions.access import tenant_by_slug
from kefu.actions.context import Kefu, transaction
from kefu.channels.email import EmailSendError, SmtpSender, SmtpSettings
from kefu.domain import signed_tokens
from kefu.errors import KefuError
from kefu.storage.models import Conversation, UsedNonce

log = logging.getLogger("kefu.tracking")
sms_log = logging.getLogger("kefu.sms")

CODE_LIFETIME = timedelta(minutes=10)
CODE_GUESSES = throttles.Budget("track-code", 5, CODE_LIFETIME)
CODE_CLIENT = throttles.Budget("track-code-client", 20, timedelta(minutes=15))
# codes sent for one ticket: bounds the guesses (5 per code) and the messages the owner
# receives, even for someone who knows the last 4 digits
CODES_SENT = throttles.Budget("track-code-sent", 5, timedelta(hours=1), failures_only=False)


class SmsSender(Protocol):
    """An SMS gateway adapter (阿里云 / 腾讯云 短信 …): deliver `text` to `phone`."""

    async def send(self, phone: str, text: str) -> None: ...


class LoggingSmsSender:
    """Development adapter: writes the message to the `kefu.sms` log instead of a
    gateway. Production deployments plug a real gateway in (docs/security.md)."""

    async def send(self, phone: str, text: str) -> None:
        sms_log.warning("SMS (development adapter, not sent)", extra={"to": phone, "text": text})


SMS_SENDERS: dict[str, SmsSender] = {"log": LoggingSmsSender()}


@dataclass(frozen=True)
class CodeSent:
    challenge: str
    channel: Literal["email", "sms"]
    sent_to: str  # masked: b***@example.com / 138****5678


def _lookup_failed() -> KefuError:
    return KefuError(
        "ticket_lookup_failed",
        "工单号与手机号后四位不匹配",
        "ticket number and phone last 4 digits do not match",
        status_code=404,
    )


def _code_failed() -> KefuError:
    return KefuError(
        "tracking_code_invalid",
        "验证码不正确或已过期，请重新获取",
        "the code is wrong or expired; ask for a new one",
        status_code=404,
    )


def normalise_number(number: str) -> str:
    return number.strip().upper().replace("－", "-").replace("\x00", "")[:40]


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str) -> str:
    digits = _digits(phone)
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else "****"


def _code_mac(kefu: Kefu, jti: str, code: str) -> str:
    key = kefu.settings.signing_keys.current.encode()
    return hmac.new(key, f"track-code:{jti}:{code}".encode(), hashlib.sha256).hexdigest()


async def do_request_tracking_code(
    kefu: Kefu, tenant_slug: str, number: str, last4: str, client: str
) -> CodeSent:
    """Number + last 4 digits of the phone -> a code sent to the ticket's contact."""
    number = normalise_number(number)
    async with kefu.db.read() as session:
        tenant = await tenant_by_slug(session, tenant_slug)
    number_key = throttles.budget_key(throttles.TRACK_NUMBER, tenant.id, number)
    client_key = throttles.budget_key(throttles.TRACK_CLIENT, tenant.id, client)
    sent_key = throttles.budget_key(CODES_SENT, tenant.id, number)
    await throttles.guard(
        kefu,
        [
            (throttles.TRACK_NUMBER, number_key),
            (throttles.TRACK_CLIENT, client_key),
            (CODES_SENT, sent_key),
        ],
    )
    digits = _digits(last4)
    async with transaction(kefu) as tx:
        conv = (
            await tx.session.execute(
                select(Conversation).where(
                    Conversation.tenant_id == tenant.id, Conversation.number == number
                )
            )
        ).scalar_one_or_none()
        ok = (
            conv is not None
            and conv.customer_id is not None
            and len(digits) == 4
            and conv.contact_phone_last4 is not None
            and hmac.compare_digest(conv.contact_phone_last4, digits)
        )
        throttles.record_attempts(tx.session, [number_key, client_key], ok, tx.now)
        if ok:
            throttles.record_attempts(tx.session, [sent_key], True, tx.now)
    if not ok or conv is None:
        raise _lookup_failed()
    code = f"{secrets.randbelow(1_000_000):06d}"
    jti = secrets.token_urlsafe(12)
    exp = int((kefu.clock.now() + CODE_LIFETIME).timestamp())
    challenge = signed_tokens.sign(
        {"k": "trc", "t": tenant.id, "c": conv.public_id, "j": jti,
         "h": _code_mac(kefu, jti, code), "exp": exp},
        kefu.settings.signing_keys,
    )  # fmt: skip
    channel, sent_to = await _deliver_code(kefu, tenant.name, conv, code)
    return CodeSent(challenge=challenge, channel=channel, sent_to=sent_to)


async def _deliver_code(
    kefu: Kefu, tenant_name: str, conv: Conversation, code: str
) -> tuple[Literal["email", "sms"], str]:
    text = (
        f"【{tenant_name}】工单 {conv.number} 的查询验证码：{code}，10 分钟内有效。"
        "客服不会向您索要此验证码，请勿告诉任何人。"
    )
    phone = conv.contact_phone or ""
    if conv.contact_email:
        await _send_code_email(kefu, tenant_name, conv, conv.contact_email, text)
        return "email", mask_email(conv.contact_email)
    if phone:
        await SMS_SENDERS[kefu.settings.sms_adapter].send(phone, text)
        return "sms", mask_phone(phone)
    raise KefuError(
        "no_contact_for_code",
        "这个工单没有可接收验证码的联系方式，请联系在线客服",
        "this ticket has no contact to send a code to",
        status_code=409,
    )


async def _send_code_email(
    kefu: Kefu, tenant_name: str, conv: Conversation, to: str, text: str
) -> None:
    msg = EmailMessage()
    msg["From"] = formataddr((f"{tenant_name} 客服", kefu.settings.mail_from))
    msg["To"] = to
    msg["Subject"] = f"工单 {conv.number} 查询验证码"
    msg["Message-ID"] = make_msgid(domain=kefu.settings.mail_from.partition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text + "\n\nTracking code for ticket " + conv.number + ".\n")
    if not kefu.settings.smtp_host:
        log.warning("no SMTP server configured: tracking code not e-mailed")
        return
    s = kefu.settings
    smtp = SmtpSettings(
        host=s.smtp_host or "localhost",
        port=s.smtp_port,
        username=s.smtp_username,
        password=s.smtp_password,
        timeout=s.smtp_timeout,
    )
    try:
        await SmtpSender(smtp).send(msg)
    except EmailSendError as exc:
        raise KefuError(
            "code_not_sent",
            "验证码邮件发送失败，请稍后再试",
            "the code could not be e-mailed; try again later",
            status_code=503,
        ) from exc


async def do_redeem_tracking_code(
    kefu: Kefu, tenant_slug: str, challenge: str, code: str, client: str
) -> tuple[int, str]:
    """Challenge + the code that was sent -> (tenant id, public id), once."""
    async with kefu.db.read() as session:
        tenant = await tenant_by_slug(session, tenant_slug)
    payload = signed_tokens.verify(challenge, kefu.settings.signing_keys, kefu.clock.now())
    jti, public_id, mac = payload.get("j"), payload.get("c"), payload.get("h")
    if (
        payload.get("k") != "trc"
        or payload.get("t") != tenant.id
        or not isinstance(jti, str)
        or not isinstance(public_id, str)
        or not isinstance(mac, str)
    ):
        raise _code_failed()
    code_key = throttles.budget_key(CODE_GUESSES, tenant.id, jti)
    client_key = throttles.budget_key(CODE_CLIENT, tenant.id, client)
    await throttles.guard(kefu, [(CODE_GUESSES, code_key), (CODE_CLIENT, client_key)])
    ok = hmac.compare_digest(mac, _code_mac(kefu, jti, _digits(code)[:6]))
    try:
        async with transaction(kefu) as tx:
            throttles.record_attempts(tx.session, [code_key, client_key], ok, tx.now)
            if ok:
                expires = datetime.fromtimestamp(signed_tokens.expiry_of(payload), tz=UTC)
                tx.session.add(
                    UsedNonce(tenant_id=tenant.id, nonce="trc:" + jti, expires_at=expires)
                )
                await tx.session.flush()
    except IntegrityError:
        raise _code_failed() from None  # this code was used already
    if not ok:
        raise _code_failed()
    return tenant.id, public_id
