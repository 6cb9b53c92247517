"""/api/v1/tickets: the ticket form, tracking (number + phone last 4 / email, or a signed
link), the customer's additions, rating, escalation, transcripts; /api/v1/announcements."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from kefu.actions import announcements as ann
from kefu.actions import (
    attachments,
    throttles,
    ticket_form,
    ticket_tracking,
    tracking_codes,
)
from kefu.actions.access import access_attachment_by_public_id, tenant_by_slug
from kefu.actions.context import Kefu
from kefu.actions.escalation import do_request_escalation
from kefu.actions.transcripts import Transcript, transcript_for
from kefu.clock import ensure_aware
from kefu.domain.conversation_state import STATUS_LABELS_ZH
from kefu.queries.ticket_view import load_tracking, ticket_number
from kefu.storage.models import Announcement, Attachment
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
    number = await ticket_number(kefu, access)
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
        t = await tenant_by_slug(session, tenant)
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
