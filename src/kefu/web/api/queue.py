"""/api/v1 queue position, call-backs, escalation requests and the supervisor's live view."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from kefu.actions import callbacks as cb_actions
from kefu.actions import escalation, queueing
from kefu.actions.access import access_conversation_by_public_id, require_supervisor
from kefu.actions.context import Actor
from kefu.clock import ensure_aware
from kefu.domain.vocabulary import mask_phone
from kefu.queries.queue_stats import queue_counts
from kefu.storage.models import Callback, Conversation
from kefu.web.api.conversations import present
from kefu.web.api.schemas import ERROR_RESPONSES, ConversationPublic, IdPath, KeyPath, Strict
from kefu.web.deps import ActorDep, KefuDep

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


def _aware(value: datetime | None) -> datetime | None:
    return ensure_aware(value) if value is not None else None


class SlaPublic(BaseModel):
    status: str | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    paused_since: datetime | None


class QueuePublic(BaseModel):
    conversation_id: str
    status: str
    position: int | None = Field(description="1 = next; null when not waiting")
    expected_wait_seconds: int | None = Field(description="null = unknown (never invented)")
    expected_wait_min_seconds: int | None = Field(description="low end of the wait range")
    expected_wait_max_seconds: int | None = Field(description="high end of the wait range")
    offer_alternatives: bool = Field(description="offer 留言 / 回电")
    reason: str | None
    text: str | None
    sla: SlaPublic
    can_request_escalation: bool


@router.get("/conversations/{conversation_id}/queue", tags=["queue"])
async def queue_position(conversation_id: KeyPath, kefu: KefuDep, actor: ActorDep) -> QueuePublic:
    """排队位置与预计等待 (customer or staff)."""
    async with kefu.db.read() as session:
        conv = await access_conversation_by_public_id(session, actor, conversation_id)
    info = await queueing.queue_info(kefu, conv)
    est = info.estimate
    wait = est.expected_wait if est else None
    now = kefu.clock.now()
    promised = [
        d
        for d in (
            _aware(conv.first_response_due_at) if conv.first_responded_at is None else None,
            _aware(conv.resolution_due_at) if conv.resolved_at is None else None,
        )
        if d is not None
    ]
    return QueuePublic(
        conversation_id=conv.public_id,
        status=conv.status,
        position=info.position,
        expected_wait_seconds=int(wait.total_seconds()) if wait is not None else None,
        expected_wait_min_seconds=queueing.wait_range_seconds(est)[0],
        expected_wait_max_seconds=queueing.wait_range_seconds(est)[1],
        offer_alternatives=est.offer_alternatives if est else False,
        reason=est.reason.value if est else None,
        text=est.describe_zh() if est else None,
        sla=SlaPublic(
            status=conv.sla_status,
            first_response_due_at=_aware(conv.first_response_due_at),
            resolution_due_at=_aware(conv.resolution_due_at),
            paused_since=_aware(conv.sla_paused_since),
        ),
        can_request_escalation=conv.escalation_requested_at is None
        and any(now >= d for d in promised),
    )


# -- call-backs ----------------------------------------------------------------------


class CallbackCreate(Strict):
    phone: Annotated[str, Field(min_length=1, max_length=40)]
    window_start: datetime | None = None
    window_end: datetime | None = None
    note: Annotated[str, Field(max_length=200)] = ""


class CallbackPublic(BaseModel):
    id: int
    conversation_id: str
    conversation_number: str
    phone: str = Field(description="full number for staff, masked for the customer")
    window_start: datetime
    window_end: datetime
    due_at: datetime
    status: str
    outcome: str | None
    completed_at: datetime | None

    @classmethod
    def build(cls, cb: Callback, public_id: str, number: str, actor: Actor) -> CallbackPublic:
        return cls(
            id=cb.id,
            conversation_id=public_id,
            conversation_number=number,
            phone=cb.phone if actor.is_staff else mask_phone(cb.phone),
            window_start=ensure_aware(cb.window_start),
            window_end=ensure_aware(cb.window_end),
            due_at=ensure_aware(cb.due_at),
            status=cb.status,
            outcome=cb.outcome,
            completed_at=_aware(cb.completed_at),
        )


class CallbackOutcome(Strict):
    outcome: Literal["reached", "no_answer", "wrong_number", "cancelled"]
    note: Annotated[str, Field(max_length=400)] = ""


@router.post("/conversations/{conversation_id}/callback", status_code=201, tags=["callbacks"])
async def request_callback(
    conversation_id: KeyPath, body: CallbackCreate, kefu: KefuDep, actor: ActorDep
) -> CallbackPublic:
    """预约回电: phone + time window (default: within the promised hour)."""
    cb = await cb_actions.do_request_callback(
        kefu,
        actor,
        conversation_id,
        cb_actions.CallbackRequest(body.phone, body.window_start, body.window_end, body.note),
    )
    async with kefu.db.read() as session:
        conv = await session.get(Conversation, cb.conversation_id)
    assert conv is not None
    return CallbackPublic.build(cb, conv.public_id, conv.number, actor)


@router.get("/callbacks", tags=["callbacks"])
async def list_callbacks(
    kefu: KefuDep,
    actor: ActorDep,
    due: Annotated[int, Query(ge=0, le=1, description="1 = window already open")] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> list[CallbackPublic]:
    rows = await cb_actions.list_callbacks(kefu, actor, due_only=bool(due), limit=limit)
    return [
        CallbackPublic.build(r.callback, r.conversation_public_id, r.conversation_number, actor)
        for r in rows
    ]


@router.post("/callbacks/{callback_id}/outcome", tags=["callbacks"])
async def callback_outcome(
    callback_id: IdPath, body: CallbackOutcome, kefu: KefuDep, actor: ActorDep
) -> CallbackPublic:
    cb = await cb_actions.do_record_outcome(kefu, actor, callback_id, body.outcome, body.note)
    async with kefu.db.read() as session:
        conv = await session.get(Conversation, cb.conversation_id)
    assert conv is not None
    return CallbackPublic.build(cb, conv.public_id, conv.number, actor)


# -- escalation ----------------------------------------------------------------------


class EscalationRequest(Strict):
    reason: Annotated[str, Field(max_length=200)] = ""


@router.post("/conversations/{conversation_id}/escalate", tags=["queue"])
async def request_escalation(
    conversation_id: KeyPath,
    kefu: KefuDep,
    actor: ActorDep,
    body: EscalationRequest | None = None,
) -> ConversationPublic:
    """申请升级: once a promised time has passed (else 409 promise_not_due)."""
    conv = await escalation.do_request_escalation(
        kefu, actor, conversation_id, body.reason if body else ""
    )
    return await present(kefu, conv)


# -- the supervisor's live view ------------------------------------------------------


class DepartmentQueue(BaseModel):
    department: str
    waiting: int
    oldest_wait_seconds: int | None
    online_agents: int
    free_slots: int


class QueueStats(BaseModel):
    waiting: int
    by_department: list[DepartmentQueue]
    sla_at_risk: int
    sla_breached: int
    escalation_requests: int
    callbacks_open: int
    callbacks_overdue: int
    breached: list[str] = Field(description="numbers of open breached conversations (max 50)")


@router.get("/queue/stats", tags=["queue"])
async def queue_stats(kefu: KefuDep, actor: ActorDep) -> QueueStats:
    require_supervisor(actor)
    tenant = actor.tenant_id
    snap = await queueing.load_snapshot(kefu, tenant)
    now = kefu.clock.now()
    counts = await queue_counts(kefu, tenant)
    names, sla_counts = counts.department_codes, counts.sla_counts
    cb_counts = counts.callback_counts
    depts: dict[str, list[datetime]] = {}
    for conv in snap.waiting:
        depts.setdefault(conv.department, []).append(conv.enqueued_at)
    rows = []
    for key, enqueued in sorted(depts.items()):
        online = [a for a in snap.agents if a.presence.takes_work and key in a.departments]
        rows.append(
            DepartmentQueue(
                department=names.get(key, "any" if key == queueing.ANY_DEPARTMENT else key),
                waiting=len(enqueued),
                oldest_wait_seconds=int((now - min(enqueued)).total_seconds()),
                online_agents=len(online),
                free_slots=sum(max(0, a.capacity - a.active) for a in online),
            )
        )
    return QueueStats(
        waiting=len(snap.waiting),
        by_department=rows,
        sla_at_risk=int(sla_counts.get("warning", 0)),
        sla_breached=int(sla_counts.get("breached", 0)),
        escalation_requests=counts.escalation_requests,
        callbacks_open=int(sum(cb_counts.values())),
        callbacks_overdue=int(cb_counts.get("overdue", 0)),
        breached=counts.breached_numbers,
    )
