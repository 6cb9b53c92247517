"""Mail to staff members: the password reset link and the wrong-password alert.

Both are ``staff.mail`` outbox jobs written in the transaction that calls for them
(actions/passwords.py, actions/sign_in_alerts.py) and sent by this handler over the
same SMTP path as ticket notifications: a temporary SMTP failure is retried with
backoff, a permanent one gives up (docs/outbox.md). The mail always goes to the
member's own address as stored now, never to an address given in the request.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from zoneinfo import ZoneInfo

from kefu.actions.context import Kefu
from kefu.actions.notifications import smtp_settings
from kefu.actions.outbox import GiveUp
from kefu.actions.passwords import RESET_LIFETIME, reset_token, reset_url
from kefu.actions.sign_in_alerts import failures_since_last_sign_in
from kefu.channels.email import EmailSendError, EmailSendTemporaryError, SmtpSender
from kefu.domain.sign_in_notice import notice_en, notice_zh
from kefu.domain.tenant_settings import parse_tenant_settings
from kefu.storage.models import Agent, Job, Tenant

SIGN_OFF = "此邮件由系统自动发送。客服和管理员不会向您索要密码或重置链接，请勿转发。"


def _message(kefu: Kefu, tenant: Tenant, agent: Agent, subject: str, text: str) -> EmailMessage:
    from_addr = str((tenant.settings or {}).get("mail_from") or kefu.settings.mail_from)
    msg = EmailMessage()
    msg["From"] = formataddr((f"{tenant.name} 客服系统", from_addr))
    msg["To"] = agent.email
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain=from_addr.rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(f"{agent.display_name}，您好：\n\n{text}\n\n{SIGN_OFF}\n")
    return msg


async def run_staff_mail_job(kefu: Kefu, job: Job) -> None:
    if not kefu.settings.smtp_host:
        raise EmailSendTemporaryError("smtp_host is not configured")
    payload = dict(job.payload)
    async with kefu.db.read() as session:
        agent = await session.get(Agent, payload.get("agent_id"))
        if agent is None or not agent.is_active:
            return
        tenant = await session.get(Tenant, agent.tenant_id)
        assert tenant is not None
        zone = ZoneInfo(parse_tenant_settings(tenant.settings).business_calendar.timezone)
        if payload.get("mail") == "password_reset":
            link = reset_url(kefu, reset_token(kefu, dict(payload["claims"])))
            minutes = int(RESET_LIFETIME.total_seconds() // 60)
            msg = _message(
                kefu,
                tenant,
                agent,
                "重置客服工作台密码 / Reset your password",
                f"请在 {minutes} 分钟内打开下面的链接设置新密码（只能使用一次）：\n{link}\n\n"
                "如果这不是您本人的操作，请忽略此邮件，您的密码不会改变。\n\n"
                f"Open the link within {minutes} minutes to choose a new password "
                "(it works once). If you did not ask for it, ignore this mail.",
            )
        elif payload.get("mail") == "sign_in_alert":
            at = datetime.fromisoformat(str(payload["at"]))
            failed = await failures_since_last_sign_in(session, agent.email, at)
            if failed is None:
                return
            msg = _message(
                kefu,
                tenant,
                agent,
                "账号安全提醒：多次错误密码尝试 / Security notice",
                notice_zh(failed, zone)
                + "\n登录未被锁定：您本人在常用浏览器上仍可正常登录。\n\n"
                + notice_en(failed, zone),
            )
        else:
            raise GiveUp(f"unknown staff mail {payload.get('mail')!r}")
    try:
        await SmtpSender(smtp_settings(kefu)).send(msg)
    except EmailSendTemporaryError:
        raise
    except EmailSendError as exc:
        raise GiveUp(str(exc)) from exc
