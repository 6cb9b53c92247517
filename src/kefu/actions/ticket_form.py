"""The help-center ticket form: the five facts, contact details, attachments; checked
all at once (nothing written on error), then one transaction that opens the ticket."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kefu.actions.access import tenant_by_slug
from kefu.actions.attachments import (
    ImageTooLarge,
    UploadedFile,
    safe_filename,
    sniff_content_type,
)
from kefu.actions.context import Kefu, transaction
from kefu.actions.opening import Contact, Opening, open_conversation
from kefu.actions.ticket_tracking import tracking_token
from kefu.domain.conversation_state import Channel
from kefu.domain.vocabulary import (
    FORM_CATEGORIES,
    FORM_CATEGORY_BY_KEY,
    FormCategory,
    PhoneNumber,
)
from kefu.errors import InvalidInput, KefuError

MAX_FILES = 5
_EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")

#: The form's choices, each mapped onto a category (= an intent code) in the vocabulary.
CATEGORIES: tuple[FormCategory, ...] = FORM_CATEGORIES
CATEGORY_BY_CODE = FORM_CATEGORY_BY_KEY


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
    if form.contact_phone and not PhoneNumber.is_valid(form.contact_phone):
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
        except ImageTooLarge as exc:
            errors["attachments"] = f"“{safe_filename(f.filename)}”：{exc.message_zh}"
            break
        except KefuError:
            errors["attachments"] = f"“{safe_filename(f.filename)}” 不是图片或 PDF 文件"
            break
    return errors


def _ticket_body(form: TicketForm, category: FormCategory) -> str:
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
    phone = PhoneNumber.parse(form.contact_phone) if form.contact_phone else None
    async with transaction(kefu) as tx:
        tenant = await tenant_by_slug(tx.session, tenant_slug)
        details = {
            "category_label": category.label,
            "occurred_at": form.occurred_at,
            "order_no": form.order_no,
            "error_message": form.error_message,
            "tried": form.tried,
        }
        summary = " ".join(form.description.split())[:40]
        opened = await open_conversation(
            kefu,
            tx,
            tenant.id,
            Opening(
                channel=Channel.TICKET,
                subject=f"{category.label}：{summary}",
                body=_ticket_body(form, category),
                contact=Contact(phone=phone, email=form.contact_email.lower() or None),
                category=category.category.value,
                department_code=category.department,
                order_nos=[form.order_no] if form.order_no else [],
                details=details,
                event_data={"ticket_form": True},
                files=files,
            ),
        )
        number, public_id = opened.conversation.number, opened.conversation.public_id
    return CreatedTicket(number, public_id, tracking_token(kefu, tenant.id, public_id))
