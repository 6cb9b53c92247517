"""The customer's view of a ticket on the help center: processing steps and the public
timeline (what `/api/v1/tickets/track/{token}` returns and the tracking page renders)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from kefu.actions import ticket_tracking
from kefu.actions.context import Kefu
from kefu.actions.event_wire import customer_data
from kefu.actions.transcripts import public_timeline
from kefu.clock import ensure_aware
from kefu.domain.conversation_state import STATUS_LABELS_ZH, Status
from kefu.domain.event_text import event_line
from kefu.storage.models import Conversation, Tenant


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


async def ticket_number(kefu: Kefu, access: ticket_tracking.TrackingAccess) -> str:
    """The number of the ticket a tracking token opens."""
    async with kefu.db.read() as session:
        number = (
            await session.execute(
                select(Conversation.number).where(
                    Conversation.tenant_id == access.tenant_id,
                    Conversation.public_id == access.public_id,
                )
            )
        ).scalar_one()
    return str(number)
