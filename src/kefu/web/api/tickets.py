"""/api/v1/tickets: the ticket form, tracking (number + phone last 4 / email, or a signed
link), the customer's additions, rating, escalation, transcripts; /api/v1/announcements."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from kefu.actions import announcements as ann
from kefu.actions import (
    attachments,
    opening,
    throttles,
    ticket_form,
    ticket_tracking,
    tracking_codes,
)
from kefu.actions.access import access_attachment_by_public_id
from kefu.actions.context import Kefu
from kefu.actions.escalation import do_request_escalation
from kefu.actions.event_wire import customer_data
from kefu.actions.transcripts import Transcript, public_timeline, transcript_for
from kefu.clock import ensure_aware
from kefu.domain.conversation_state import STATUS_LABELS_ZH, Status
from kefu.domain.event_text import event_line
from kefu.storage.models import Announcement, Attachment, Conversation, Tenant
from kefu.web.api.schemas import ERROR_RESPONSES, IdPath, KeyPath, RatingCreate, Strict
from kefu.web.client_address import client_address
from kefu.web.deps import ActorDep, KefuDep
from kefu.web.templating import templates

router = APIRouter(tags=["tickets"], responses=ERROR_RESPONSES)
DISPLAY_TZ = ZoneInfo("Asia/Shanghai")


def help_time(value: datetime | None) -> str:
    """Times on customer pages: Beijing time, minutes."""
    if value is None:
        return ""
    return ensure_aware(value).astimezone(DISPLAY_TZ).strftime("%Y-%m-%d %H:%M")


templates.env.filters["help_time"] = help_time
templates.env.globals["status_labels"] = {s.value: label for s, label in STATUS_LABELS_ZH.items()}
TenantSlug = Annotated[str, Query(min_length=1, max_length=64)]
TokenPath = Annotated[str, Path(min_length=10, max_length=600)]


@dataclass
class Step:
    label: str
    done: bool
    at: datetime | None = None
    who: str = ""


@dataclass
class TimelineItem:
    seq: int
    type: str
    author: str
    author_type: str
    body: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    text: str = ""  # what the customer reads (domain/event_text.py)


@dataclass
class TrackingView:
    number: str
    public_id: str
    subject: str
    status: str
    status_label: str
    category: str | None
    created_at: datetime
    steps: list[Step]
    items: list[TimelineItem]
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    can_rate: bool
    rating: int | None
    can_escalate: bool
    escalation_requested_at: datetime | None
    tenant_slug: str


async def load_tracking(kefu: Kefu, access: ticket_tracking.TrackingAccess) -> TrackingView:
    """The customer's view: public events only, as processing steps and a timeline."""
    async with kefu.db.read() as session:
        conv = (
            await session.execute(
                select(Conversation).where(
                    Conversation.public_id == access.public_id,
                    Conversation.tenant_id == access.tenant_id,
                )
            )
        ).scalar_one()
        tenant = await session.get(Tenant, conv.tenant_id)
        events, agents = await public_timeline(session, conv)

    def who(agent_id: int | None) -> str:
        a = agents.get(agent_id or 0)
        return f"{a.display_name} 工号 {a.agent_no}" if a else ""

    assigned = next((e for e in events if e.type == "assignment"), None)
    answered = next((e for e in events if e.type == "message" and e.author_type == "agent"), None)
    status = Status(conv.status)
    done = status in (Status.RESOLVED, Status.CLOSED)
    steps = [
        Step("已受理", True, conv.created_at),
        Step(
            "处理中",
            assigned is not None or answered is not None,
            assigned.created_at if assigned else (answered.created_at if answered else None),
            who(int(assigned.data.get("agent_id") or 0)) if assigned else "",
        ),
        Step(
            "已回复",
            answered is not None,
            answered.created_at if answered else None,
            who(answered.author_id) if answered else "",
        ),
        Step("已解决", done, conv.resolved_at or conv.closed_at),
    ]
    items = []
    for e in events:
        text = event_line(e.type, e.data, e.body, audience="customer")
        if text is None:
            continue
        author = {"customer": "我", "bot": "智能助手", "system": "系统"}.get(e.author_type, "")
        if e.author_type == "agent":
            author = "客服 " + who(e.author_id)
        items.append(
            TimelineItem(
                e.seq,
                e.type,
                author,
                e.author_type,
                e.body,
                e.created_at,
                customer_data(e.type, dict(e.data or {})),
                text,
            )
        )
    due = ticket_tracking.due_times(conv)
    now = kefu.clock.now()
    overdue = any(d is not None and ensure_aware(d) <= now for d in due.values())
    return TrackingView(
        number=conv.number,
        public_id=conv.public_id,
        subject=conv.subject,
        status=status.value,
        status_label=STATUS_LABELS_ZH[status],
        category=conv.category,
        created_at=conv.created_at,
        steps=steps,
        items=items,
        first_response_due_at=due["first_response_due_at"],
        resolution_due_at=due["resolution_due_at"],
        can_rate=done and conv.rating is None,
        rating=conv.rating,
        can_escalate=not done and overdue and conv.escalation_requested_at is None,
        escalation_requested_at=conv.escalation_requested_at,
        tenant_slug=tenant.slug if tenant else "",
    )


class LookupBody(Strict):
    tenant: Annotated[str, Field(min_length=1, max_length=64)]
    number: Annotated[str, Field(min_length=1, max_length=40)]
    # the last 4 digits of the contact phone given on the ticket
    secret: Annotated[str, Field(min_length=1, max_length=254)]


class CodeSentOut(BaseModel):
    channel: str
    sent_to: str
    challenge: str
    note: str = "验证码已发送，10 分钟内有效 / a code was sent, valid for 10 minutes"


class CodeBody(Strict):
    tenant: Annotated[str, Field(min_length=1, max_length=64)]
    challenge: Annotated[str, Field(min_length=10, max_length=2000)]
    code: Annotated[str, Field(min_length=1, max_length=12)]


class TrackingLink(BaseModel):
    number: str | None = None
    token: str
    tracking_url: str


class ReplyBody(Strict):
    body: Annotated[str, Field(min_length=1, max_length=20000)]


class EscalateBody(Strict):
    reason: Annotated[str, Field(max_length=200)] = ""


@router.post("/api/v1/tickets", status_code=201)
async def create_ticket(request: Request, kefu: KefuDep, tenant: TenantSlug) -> TrackingLink:
    """multipart/form-data: category, occurred_at, order_no, error_message, tried,
    description, contact_phone, contact_email, attachments (files). 422 lists fields.
    Budgeted per client address."""
    await throttles.spend_anonymous(kefu, "ticket", tenant, client_address(request))
    form = await request.form()
    files = [
        attachments.UploadedFile(
            f.filename or "file", await f.read(kefu.settings.attachment_max_bytes + 1)
        )
        for f in form.getlist("attachments")
        if not isinstance(f, str)
    ]
    created = await ticket_form.do_create_ticket(
        kefu, tenant, ticket_form.TicketForm.from_mapping(form), files
    )
    return TrackingLink(
        number=created.number,
        token=created.tracking_token,
        tracking_url=ticket_tracking.tracking_url(kefu, tenant, created.tracking_token),
    )


@router.post("/api/v1/tickets/lookup", status_code=202)
async def lookup(body: LookupBody, request: Request, kefu: KefuDep) -> CodeSentOut:
    """Ticket number + the phone's last 4 digits: a one-time code goes to the ticket's
    contact (e-mail or SMS); redeem it at /api/v1/tickets/lookup/code. Throttled per
    (tenant, number) and per client. The e-mail address is not accepted as a secret."""
    sent = await tracking_codes.do_request_tracking_code(
        kefu, body.tenant, body.number, body.secret, client_address(request)
    )
    return CodeSentOut(channel=sent.channel, sent_to=sent.sent_to, challenge=sent.challenge)


@router.post("/api/v1/tickets/lookup/code")
async def lookup_code(body: CodeBody, request: Request, kefu: KefuDep) -> TrackingLink:
    """The challenge from /lookup + the code that was sent -> a one-day tracking link."""
    token = await ticket_tracking.do_lookup_ticket(
        kefu, body.tenant, body.challenge, body.code, client_address(request)
    )
    access = await ticket_tracking.access_by_tracking_token(kefu, token)
    async with kefu.db.read() as session:
        number = (
            await session.execute(
                select(Conversation.number).where(
                    Conversation.tenant_id == access.tenant_id,
                    Conversation.public_id == access.public_id,
                )
            )
        ).scalar_one()
    return TrackingLink(
        number=number,
        token=token,
        tracking_url=ticket_tracking.tracking_url(kefu, body.tenant, token),
    )


@router.get("/api/v1/tickets/track/{token}")
async def track(token: TokenPath, kefu: KefuDep) -> dict[str, Any]:
    view = await load_tracking(kefu, await ticket_tracking.access_by_tracking_token(kefu, token))
    return asdict(view)


@router.post("/api/v1/tickets/track/{token}/messages", status_code=201)
async def add_information(token: TokenPath, body: ReplyBody, kefu: KefuDep) -> dict[str, Any]:
    access = await ticket_tracking.access_by_tracking_token(kefu, token)
    reply = await ticket_tracking.do_customer_reply(kefu, access, body.body)
    out: dict[str, Any] = {
        "number": reply.number,
        "seq": reply.event_seq,
        "follow_up": reply.follow_up,
    }
    if reply.follow_up:
        new_token = ticket_tracking.tracking_token(kefu, access.tenant_id, reply.public_id)
        out["token"] = new_token
    return out


@router.post("/api/v1/tickets/track/{token}/rating", status_code=201)
async def rate(token: TokenPath, body: RatingCreate, kefu: KefuDep) -> dict[str, Any]:
    access = await ticket_tracking.access_by_tracking_token(kefu, token)
    event = await ticket_tracking.do_rate_ticket(
        kefu, access, body.score, list(body.tags), body.comment
    )
    return {"seq": event.seq, "score": body.score}


@router.post("/api/v1/tickets/track/{token}/escalate")
async def escalate(token: TokenPath, body: EscalateBody, kefu: KefuDep) -> dict[str, Any]:
    access = await ticket_tracking.access_by_tracking_token(kefu, token)
    conv = await do_request_escalation(kefu, access.actor, access.public_id, body.reason)
    return {"number": conv.number, "escalation_requested_at": conv.escalation_requested_at}


def render_transcript(request: Request, transcript: Transcript) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "help/transcript.html", {"t": transcript}, headers={"Cache-Control": "no-store"}
    )


@router.get("/api/v1/tickets/track/{token}/transcript", response_class=HTMLResponse)
async def customer_transcript(token: TokenPath, request: Request, kefu: KefuDep) -> HTMLResponse:
    access = await ticket_tracking.access_by_tracking_token(kefu, token)
    return render_transcript(request, await transcript_for(kefu, access.actor, access.public_id))


@router.get("/api/v1/tickets/{conversation_id}/transcript", response_model=None)
async def staff_transcript(
    conversation_id: KeyPath,
    request: Request,
    kefu: KefuDep,
    actor: ActorDep,
    format: Annotated[str, Query(pattern="^(html|json)$")] = "html",
) -> HTMLResponse | JSONResponse:
    """Printable public timeline with its SHA-256 (staff of the tenant)."""
    t = await transcript_for(kefu, actor, conversation_id)
    if format == "json":
        return JSONResponse({"number": t.number, "sha256": t.sha256, "canonical": t.canonical})
    return render_transcript(request, t)


# -- announcements ------------------------------------------------------------------------


class AnnouncementBody(Strict):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    body: Annotated[str, Field(max_length=5000)] = ""
    level: Annotated[str, Field(pattern="^(info|warning|maintenance)$")] = "info"
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    def to_input(self) -> ann.AnnouncementInput:
        return ann.AnnouncementInput(
            self.title, self.body, self.level, self.starts_at, self.ends_at
        )


class AnnouncementPublic(BaseModel):
    id: int
    title: str
    body: str
    level: str
    starts_at: datetime
    ends_at: datetime | None

    @classmethod
    def build(cls, a: Announcement) -> AnnouncementPublic:
        return cls(
            id=a.id,
            title=a.title,
            body=a.body,
            level=a.level,
            starts_at=a.starts_at,
            ends_at=a.ends_at,
        )


@router.get("/api/v1/announcements", tags=["announcements"])
async def list_all(kefu: KefuDep, actor: ActorDep) -> list[AnnouncementPublic]:
    return [AnnouncementPublic.build(a) for a in await ann.list_announcements(kefu, actor)]


@router.get("/api/v1/announcements/active", tags=["announcements"])
async def list_active(kefu: KefuDep, tenant: TenantSlug) -> list[AnnouncementPublic]:
    async with kefu.db.read() as session:
        t = await opening.tenant_by_slug(session, tenant)
        rows = await ann.active_announcements(session, t.id, kefu.clock.now())
    return [AnnouncementPublic.build(a) for a in rows]


@router.post("/api/v1/announcements", status_code=201, tags=["announcements"])
async def create_announcement(
    body: AnnouncementBody, kefu: KefuDep, actor: ActorDep
) -> AnnouncementPublic:
    return AnnouncementPublic.build(await ann.do_create_announcement(kefu, actor, body.to_input()))


@router.put("/api/v1/announcements/{announcement_id}", tags=["announcements"])
async def update_announcement(
    announcement_id: IdPath, body: AnnouncementBody, kefu: KefuDep, actor: ActorDep
) -> AnnouncementPublic:
    row = await ann.do_update_announcement(kefu, actor, announcement_id, body.to_input())
    return AnnouncementPublic.build(row)


@router.delete("/api/v1/announcements/{announcement_id}", status_code=204, tags=["announcements"])
async def delete_announcement(announcement_id: IdPath, kefu: KefuDep, actor: ActorDep) -> None:
    await ann.do_delete_announcement(kefu, actor, announcement_id)


async def attachment_of(
    kefu: Kefu, access: ticket_tracking.TrackingAccess, attachment_id: str
) -> Attachment:
    async with kefu.db.read() as session:
        return await access_attachment_by_public_id(session, access.actor, attachment_id)
