"""/api/v1/widget/config: what the widget shows before the first message."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from kefu.actions.announcements import active_announcements
from kefu.actions.auth import tenant_by_slug
from kefu.actions.leave_message import LeaveMessage, do_leave_message
from kefu.actions.sla_tracking import tenant_sla
from kefu.domain.sla import promised_reply_minutes
from kefu.domain.tenant_settings import parse_tenant_settings
from kefu.queries.people import online_agent_count
from kefu.web.api.conversations import present
from kefu.web.api.schemas import ERROR_RESPONSES, ClientMsgId, ConversationPublic, Strict
from kefu.web.deps import ActorDep, KefuDep

router = APIRouter(prefix="/api/v1/widget", tags=["widget"], responses=ERROR_RESPONSES)


@router.get("/config")
async def widget_config(
    kefu: KefuDep, tenant: Annotated[str, Query(min_length=1, max_length=64)]
) -> dict[str, Any]:
    t = await tenant_by_slug(kefu, tenant)
    now = kefu.clock.now()
    online = await online_agent_count(kefu, t.id)
    async with kefu.db.read() as session:
        banners = await active_announcements(session, t.id, now)
        announcements = [
            {
                "title": a.title,
                "body": a.body,
                "level": a.level,
                "starts_at": a.starts_at.isoformat(),
                "ends_at": a.ends_at.isoformat() if a.ends_at else None,
            }
            for a in banners
        ]
    settings = parse_tenant_settings(t.settings)
    sla = tenant_sla(settings)
    return {
        "tenant": t.slug,
        "name": t.name,
        "agents_online": int(online),
        "open_now": sla.calendar.is_open(now),
        # the SLA target a 留言 is held to (first response of a message), one place
        "promised_reply_minutes": promised_reply_minutes(sla.policy),
        "announcements": announcements,
        "official_channels": [c.model_dump() for c in settings.official_channels],
    }


class LeaveMessageBody(Strict):
    contact: Annotated[str, Field(min_length=1, max_length=254, description="phone or e-mail")]
    body: Annotated[str, Field(min_length=1, max_length=20000)]
    name: Annotated[str, Field(max_length=50)] = ""
    client_msg_id: ClientMsgId | None = None


class LeftMessageOut(BaseModel):
    conversation: ConversationPublic
    number: str = Field(description="the ticket number, trackable with the phone's last 4")
    tracking_url: str = Field(description="a signed link to the ticket's progress page")
    promised_reply_minutes: int


@router.post("/messages", status_code=201)
async def leave_message(body: LeaveMessageBody, kefu: KefuDep, actor: ActorDep) -> LeftMessageOut:
    """留言 while nobody is online: a ticket (held to the message target) with the
    contact stored; replies reach the customer by e-mail when given, and always on the
    tracking page. A resend with the same client_msg_id returns the same ticket."""
    left = await do_leave_message(
        kefu, actor, LeaveMessage(body.contact, body.body, body.name, body.client_msg_id)
    )
    return LeftMessageOut(
        conversation=await present(kefu, left.conversation),
        number=left.conversation.number,
        tracking_url=left.tracking_url,
        promised_reply_minutes=left.promised_reply_minutes,
    )
