"""Tickets from the help-center form: the five facts, contact details, attachments;
tracking by number + phone last 4 / email or a signed link; customer replies that
reopen (within N days) or start a follow-up ticket; rating and escalation."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.actions.attachments import do_upload_attachment, safe_filename, sniff_content_type
from kefu.actions.context import Actor, ActorKind, Kefu, Tx, transaction
from kefu.actions.conversations import do_post_message, do_rate_conversation
from kefu.actions.numbers import next_conversation_number
from kefu.actions.timeline import append_event
from kefu.clock import ensure_aware
from kefu.domain import signed_tokens
from kefu.domain.conversation_state import AuthorType, Channel, EventType, Status, check_transition
from kefu.domain.numbering import new_public_id
from kefu.domain.redaction import redact
from kefu.errors import InvalidInput, KefuError, NotFound, RateLimited
from kefu.storage.models import (
    Attachment,
    Conversation,
    ConversationOrder,
    Customer,
    Department,
    Event,
    LoginAttempt,
    Order,
    Tenant,
)

MAX_FILES = 5
LOOKUP_MAX_FAILURES = 5
LOOKUP_WINDOW = timedelta(minutes=15)
LINK_DAYS = 30
_EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 -]{6,19}$")


@dataclass(frozen=True)
class TicketCategory:
    code: str
    label: str
    department: str | None
    order_required: bool
    hint: str
    error_hint: str = "例如：充值失败，请稍后再试（错误码 5003）"
    tried_hint: str = "例如：重新登录游戏、等待 30 分钟、联系了在线客服"


CATEGORIES: tuple[TicketCategory, ...] = (
    TicketCategory("recharge", "充值未到账", "recharge", True, "哪个游戏 / 账号，充值了多少"),
    TicketCategory(
        "card_code", "卡密无效 / 已被使用", "recharge", True, "卡密前 4 位即可，不要填完整卡密"
    ),
    TicketCategory("refund", "退款", "refund", True, "退款原因，原路退回还是余额"),
    TicketCategory("account", "账号安全", "security", False, "异常登录、被盗、绑定手机更换"),
    TicketCategory("callback", "预约回电", None, False, "方便接电话的时间段，想咨询的问题"),
    TicketCategory("other", "其他问题", None, False, "请尽量写清楚发生了什么"),
)
CATEGORY_BY_CODE = {c.code: c for c in CATEGORIES}


@dataclass
class TicketForm:
    category: str = ""
    occurred_at: str = ""
    order_no: str = ""
    error_message: str = ""
    tried: str = ""
    description: str = ""
    contact_phone: str = ""
    contact_email: str = ""

    @classmethod
    def from_mapping(cls, data: Any) -> TicketForm:
        names = cls.__dataclass_fields__
        return cls(**{k: str(data.get(k) or "").strip()[:5000] for k in names})


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content: bytes


class TicketFormInvalid(InvalidInput):
    """422 with one Chinese message per field, so the form is re-rendered, nothing lost."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(
            "ticket_form_invalid",
            "请检查标红的内容",
            "please correct the marked fields",
            details={"fields": errors},
        )
        self.errors = errors


def check_ticket_form(kefu: Kefu, form: TicketForm, files: list[UploadedFile]) -> dict[str, str]:
    """Every problem at once, by field name (empty when the form is fine)."""
    errors: dict[str, str] = {}
    category = CATEGORY_BY_CODE.get(form.category)
    if category is None:
        errors["category"] = "请选择问题类型"
    if not form.occurred_at:
        errors["occurred_at"] = "请填写问题发生的时间"
    if category is not None and category.order_required and not form.order_no:
        errors["order_no"] = "该类问题需要订单号，可在“我的订单”中复制"
    if len(form.order_no) > 64:
        errors["order_no"] = "订单号太长"
    if len(form.description) < 5:
        errors["description"] = "请描述一下问题（至少 5 个字）"
    elif len(form.description) > kefu.settings.message_max_chars:
        errors["description"] = f"描述太长（最多 {kefu.settings.message_max_chars} 字）"
    if not form.contact_phone and not form.contact_email:
        errors["contact"] = "请至少留下手机号或邮箱，方便我们联系您和您查询进度"
    if form.contact_phone and not (
        _PHONE_RE.match(form.contact_phone) and len(_digits(form.contact_phone)) >= 7
    ):
        errors["contact_phone"] = "手机号格式不正确"
    if form.contact_email and (
        len(form.contact_email) > 254 or not _EMAIL_RE.match(form.contact_email)
    ):
        errors["contact_email"] = "邮箱格式不正确"
    files = [f for f in files if f.content]
    if len(files) > MAX_FILES:
        errors["attachments"] = f"最多上传 {MAX_FILES} 个附件"
    for f in files:
        if len(f.content) > kefu.settings.attachment_max_bytes:
            limit = kefu.settings.attachment_max_bytes // (1024 * 1024)
            errors["attachments"] = f"“{safe_filename(f.filename)}” 超过 {limit} MB"
            break
        try:
            sniff_content_type(f.content)
        except KefuError:
            errors["attachments"] = f"“{safe_filename(f.filename)}” 不是图片或 PDF 文件"
            break
    return errors


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _ticket_body(form: TicketForm, category: TicketCategory) -> str:
    lines = [
        f"问题类型：{category.label}",
        f"发生时间：{form.occurred_at}",
        f"订单号：{form.order_no or '（未填写）'}",
        f"错误提示：{form.error_message or '（未填写）'}",
        f"已尝试的方法：{form.tried or '（未填写）'}",
        "",
        form.description,
    ]
    return "\n".join(lines)


def store_attachment_file(kefu: Kefu, tenant_id: int, content: bytes) -> tuple[str, str]:
    """Write the bytes once (content-addressed); returns (sha256, relative path)."""
    digest = hashlib.sha256(content).hexdigest()
    rel = Path(str(tenant_id)) / digest[:2] / digest
    path = kefu.settings.attachments_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_suffix(".tmp-" + secrets.token_hex(6))
        tmp.write_bytes(content)
        tmp.replace(path)
    return digest, str(rel)


async def attach_in_tx(
    kefu: Kefu, tx: Tx, conv: Conversation, event: Event, files: list[UploadedFile]
) -> list[dict[str, Any]]:
    """Checked (by content) attachments of the conversation's customer, linked to `event`."""
    out: list[dict[str, Any]] = []
    for f in files:
        content_type = sniff_content_type(f.content)
        digest, rel = store_attachment_file(kefu, conv.tenant_id, f.content)
        att = Attachment(
            tenant_id=conv.tenant_id,
            public_id=new_public_id(),
            conversation_id=conv.id,
            event_id=event.id,
            uploader_type=ActorKind.CUSTOMER.value,
            uploader_id=conv.customer_id,
            filename=safe_filename(f.filename),
            content_type=content_type,
            size=len(f.content),
            sha256=digest,
            storage_path=rel,
            created_at=tx.now,
        )
        tx.session.add(att)
        out.append(
            {
                "id": att.public_id,
                "filename": att.filename,
                "content_type": content_type,
                "size": att.size,
            }
        )
    await tx.session.flush()
    event.data = {**event.data, "attachments": out}
    return out


async def new_contact_customer(
    tx: Tx, tenant_id: int, kind: str, email: str | None, phone: str | None
) -> Customer:
    """A customer row of its own for each ticket / mail thread (never merged with members)."""
    digits = _digits(phone or "")
    customer = Customer(
        tenant_id=tenant_id,
        visitor_id=f"{kind}:{secrets.token_urlsafe(12)}",
        display_name="邮件用户" if kind == "email" else "工单用户",
        email=email,
        phone_masked=(digits[:3] + "****" + digits[-4:]) if len(digits) >= 7 else None,
        phone_last4=digits[-4:] if len(digits) >= 4 else None,
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
        number=await next_conversation_number(tx, kefu.settings.timezone),
        public_id=new_public_id(),
        channel=new.channel.value,
        status=Status.QUEUED.value,
        priority=1,
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
    tenant = (await session.execute(select(Tenant).where(Tenant.slug == slug))).scalar_one_or_none()
    if tenant is None:
        raise NotFound("tenant", "平台")
    return tenant


@dataclass(frozen=True)
class CreatedTicket:
    number: str
    public_id: str
    tracking_token: str


async def do_create_ticket(
    kefu: Kefu, tenant_slug: str, form: TicketForm, files: list[UploadedFile]
) -> CreatedTicket:
    """Validate everything first (nothing written on error), then one transaction."""
    files = [f for f in files if f.content]
    errors = check_ticket_form(kefu, form, files)
    if errors:
        raise TicketFormInvalid(errors)
    category = CATEGORY_BY_CODE[form.category]
    phone_digits = _digits(form.contact_phone)
    async with transaction(kefu) as tx:
        tenant = await tenant_by_slug(tx.session, tenant_slug)
        customer = await new_contact_customer(
            tx, tenant.id, "ticket", form.contact_email.lower() or None, form.contact_phone or None
        )
        details = {
            "category_label": category.label,
            "occurred_at": form.occurred_at,
            "order_no": form.order_no,
            "error_message": form.error_message,
            "tried": form.tried,
            "contact_phone": form.contact_phone,
        }
        summary = " ".join(form.description.split())[:40]
        conv, event = await open_ticket_in_tx(
            kefu,
            tx,
            NewTicket(
                tenant_id=tenant.id,
                channel=Channel.TICKET,
                subject=f"{category.label}：{summary}",
                body=_ticket_body(form, category),
                customer_id=customer.id,
                category=category.code,
                department_code=category.department,
                order_no=form.order_no or None,
                details=details,
                contact_email=form.contact_email.lower() or None,
                contact_phone_last4=phone_digits[-4:] if phone_digits else None,
                event_data={"ticket_form": True},
            ),
        )
        if files:
            await attach_in_tx(kefu, tx, conv, event, files)
        number, public_id = conv.number, conv.public_id
    return CreatedTicket(number, public_id, tracking_token(kefu, tenant.id, public_id))


# -- tracking ------------------------------------------------------------------------------


def tracking_token(kefu: Kefu, tenant_id: int, public_id: str, days: int = LINK_DAYS) -> str:
    exp = int((kefu.clock.now() + timedelta(days=days)).timestamp())
    return signed_tokens.sign(
        {"k": "trk", "t": tenant_id, "c": public_id, "exp": exp}, kefu.settings.secret_key
    )


@dataclass(frozen=True)
class TrackingAccess:
    tenant_id: int
    public_id: str
    actor: Actor


async def access_by_tracking_token(kefu: Kefu, token: str) -> TrackingAccess:
    payload = signed_tokens.verify(token, kefu.settings.secret_key, kefu.clock.now())
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


def _lookup_failed() -> KefuError:
    return KefuError(
        "ticket_lookup_failed",
        "工单号与手机号后四位 / 邮箱不匹配",
        "ticket number and phone last 4 / email do not match",
        status_code=404,
    )


async def do_lookup_ticket(
    kefu: Kefu, tenant_slug: str, number: str, secret: str, client_ip: str = ""
) -> str:
    """Number + phone last 4 (or the email) -> a signed tracking token. Throttled per number."""
    number = number.strip().upper().replace("－", "-")
    secret = secret.strip()
    now = kefu.clock.now()
    async with transaction(kefu) as tx:
        tenant = await tenant_by_slug(tx.session, tenant_slug)
        key = f"track:{tenant.id}:{number[:40]}"
        failures = (
            await tx.session.execute(
                select(func.count(LoginAttempt.id)).where(
                    LoginAttempt.key == key,
                    LoginAttempt.succeeded.is_(False),
                    LoginAttempt.attempted_at > now - LOOKUP_WINDOW,
                )
            )
        ).scalar_one()
        if failures >= LOOKUP_MAX_FAILURES:
            raise RateLimited(LOOKUP_WINDOW.total_seconds())
        conv = (
            await tx.session.execute(
                select(Conversation).where(
                    Conversation.tenant_id == tenant.id, Conversation.number == number
                )
            )
        ).scalar_one_or_none()
        ok = conv is not None and conv.customer_id is not None and _secret_matches(conv, secret)
        tx.session.add(LoginAttempt(key=key, succeeded=ok, attempted_at=now))
        if not ok or conv is None:
            failed = True
        else:
            failed = False
            public_id = conv.public_id
    if failed:
        raise _lookup_failed()
    return tracking_token(kefu, tenant.id, public_id, days=1)


def _secret_matches(conv: Conversation, secret: str) -> bool:
    if "@" in secret:
        return bool(conv.contact_email) and conv.contact_email == secret.lower()
    digits = _digits(secret)
    return len(digits) == 4 and conv.contact_phone_last4 == digits


# -- the customer adds information, rates --------------------------------------------------


def reopen_days(kefu: Kefu, tenant: Tenant | None = None) -> int:
    if tenant is not None and isinstance((tenant.settings or {}).get("reopen_days"), int):
        return int(tenant.settings["reopen_days"])
    return kefu.settings.ticket_reopen_days


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
    async with transaction(kefu) as tx:
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
            new_conv, event = await open_ticket_in_tx(
                kefu,
                tx,
                NewTicket(
                    tenant_id=conv.tenant_id,
                    channel=Channel(conv.channel),
                    subject=conv.subject,
                    body=text or "（附件）",
                    customer_id=conv.customer_id or 0,
                    category=conv.category,
                    details={**(conv.details or {}), "previous_number": conv.number},
                    contact_email=conv.contact_email,
                    contact_phone_last4=conv.contact_phone_last4,
                    event_data={"previous_number": conv.number, "source": source},
                ),
            )
            new_conv.department_id = conv.department_id
            if files:
                await attach_in_tx(kefu, tx, new_conv, event, files)
            return CustomerReply(new_conv.public_id, new_conv.number, event.seq, True)
        if conv.status == Status.CLOSED:
            target = Status.ASSIGNED if conv.assignee_id else Status.QUEUED
            check_transition(conv.status, target.value)
            previous = conv.status
            conv.status = target.value
            conv.closed_at = None
            conv.resolved_at = None
            if target is Status.QUEUED:
                conv.queued_at = tx.now
            await append_event(
                tx,
                conv,
                EventType.STATUS_CHANGE,
                author_type=AuthorType.SYSTEM,
                data={"from": previous, "to": target.value, "reason": "customer_reopened"},
            )
    ids = [
        (await do_upload_attachment(kefu, access.actor, f.filename, f.content)).public_id
        for f in files
    ]
    posted = await do_post_message(kefu, access.actor, access.public_id, text, attachment_ids=ids)
    return CustomerReply(access.public_id, posted.conversation.number, posted.event.seq, False)


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
