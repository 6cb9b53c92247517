"""SLA deadlines, computed when an event happens and stored in indexed columns.

Subscriber `on_timeline`: after a committed event that may move an SLA clock (handoff,
status change, agent reply) the conversation's deadlines are recomputed in business
time (domain.sla) and stored: first_response_due_at, resolution_due_at,
sla_paused_since, sla_status, next_sla_check_at. Warnings and breaches are *not*
written here: a status that got worse is left to the sweeper (escalation.py), which
writes the sla_warning / sla_breach events, so every step lands on the timeline.

Tenant configuration: ``TenantSettings.sla_policy`` and ``.business_calendar``
(domain/tenant_settings.py, docs/sla.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.actions.context import Kefu, TimelineFact, Tx, transaction
from kefu.actions.outbox import enqueue
from kefu.clock import ensure_aware
from kefu.domain.business_calendar import BusinessCalendar
from kefu.domain.conversation_state import AuthorType, EventType, Priority, Status, Visibility
from kefu.domain.priority import PriorityLabel
from kefu.domain.sla import (
    SlaDeadlines,
    SlaEvent,
    SlaEventKind,
    SlaPolicy,
    SlaState,
    SlaStatus,
    TimelineFacts,
    compute_deadlines,
    next_escalation_at,
    sla_status,
)
from kefu.domain.tenant_settings import TenantSettings, parse_tenant_settings
from kefu.domain.vocabulary import Channel, PromiseKind
from kefu.storage.models import Conversation, Event, Job, Tenant

SLA_JOB = "sla.refresh"

#: Events that can move a clock; others (bot turns, notes, SLA events) are ignored.
SLA_EVENT_TYPES = frozenset({EventType.HANDOFF, EventType.STATUS_CHANGE, EventType.MESSAGE})
DONE = (Status.RESOLVED.value, Status.CLOSED.value)


# -- tenant configuration -------------------------------------------------------------


@dataclass(frozen=True)
class TenantSla:
    policy: SlaPolicy
    calendar: BusinessCalendar


@lru_cache(maxsize=512)
def _tenant_sla_json(text: str) -> TenantSla:
    typed = parse_tenant_settings(json.loads(text))
    return TenantSla(typed.sla_policy.to_policy(), typed.business_calendar.to_calendar())


def tenant_sla(settings: dict[str, Any] | TenantSettings | None) -> TenantSla:
    """The tenant's SLA policy and calendar (TenantSettings.sla_policy /
    business_calendar); defaults: the seeds' promises, 7x24."""
    raw = settings.stored() if isinstance(settings, TenantSettings) else dict(settings or {})
    return _tenant_sla_json(json.dumps(raw, sort_keys=True, default=str))


async def load_tenant_sla(session: AsyncSession, tenant_id: int) -> TenantSla:
    tenant = await session.get(Tenant, tenant_id)
    return tenant_sla(tenant.settings if tenant else None)


# -- facts from the timeline ----------------------------------------------------------


@dataclass(frozen=True)
class EventRow:
    type: str
    author_type: str
    visibility: str
    data: dict[str, Any]
    created_at: datetime


def sla_channel(conv: Conversation) -> PromiseKind:
    try:
        return Channel(conv.channel).promise
    except ValueError:
        return PromiseKind.CHAT


def timeline_facts(conv: Conversation, rows: Sequence[EventRow]) -> TimelineFacts | None:
    """The SLA's view of a conversation, or None while nobody was promised anything
    (still with the bot). The clocks start when the customer first joins the queue."""
    start: datetime | None = None
    for row in rows:
        if row.type == EventType.STATUS_CHANGE and row.data.get("to") == Status.QUEUED:
            start = ensure_aware(row.created_at)
            break
    if start is None:
        if conv.status == Status.BOT:
            return None
        start = ensure_aware(conv.created_at)
    events: list[SlaEvent] = []
    for row in rows:
        at = ensure_aware(row.created_at)
        if at < start:
            continue
        if row.type == EventType.MESSAGE:
            if row.author_type == AuthorType.AGENT and row.visibility == Visibility.PUBLIC:
                events.append(SlaEvent(SlaEventKind.AGENT_REPLY, at))
            continue
        if row.type != EventType.STATUS_CHANGE:
            continue
        before, after = row.data.get("from"), row.data.get("to")
        if after == Status.WAITING_CUSTOMER:
            events.append(SlaEvent(SlaEventKind.WAITING_CUSTOMER_START, at))
        elif before == Status.WAITING_CUSTOMER and after not in DONE:
            events.append(SlaEvent(SlaEventKind.WAITING_CUSTOMER_END, at))
        if after in DONE and before not in DONE:
            events.append(SlaEvent(SlaEventKind.RESOLVED, at))
        elif before in DONE and after not in DONE:
            events.append(SlaEvent(SlaEventKind.REOPENED, at))
    label = PriorityLabel(Priority.LABELS.get(conv.priority, "normal"))
    return TimelineFacts(
        created_at=start,
        priority=label,
        category=conv.category,
        channel=sla_channel(conv),
        events=events,
    )


async def load_event_rows(
    session: AsyncSession, conversation_ids: Sequence[int]
) -> dict[int, list[EventRow]]:
    """The SLA-relevant events of several conversations, in one query."""
    out: dict[int, list[EventRow]] = {cid: [] for cid in conversation_ids}
    if not conversation_ids:
        return out
    stmt = (
        select(
            Event.conversation_id,
            Event.type,
            Event.author_type,
            Event.visibility,
            Event.data,
            Event.created_at,
        )
        .where(
            Event.conversation_id.in_(conversation_ids),
            or_(
                Event.type == EventType.STATUS_CHANGE.value,
                (Event.type == EventType.MESSAGE.value)
                & (Event.author_type == AuthorType.AGENT.value),
            ),
        )
        .order_by(Event.conversation_id, Event.seq)
    )
    for cid, type_, author, vis, data, created in (await session.execute(stmt)).all():
        out[cid].append(EventRow(type_, author, vis, data or {}, created))
    return out


# -- evaluation -----------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    deadlines: SlaDeadlines
    state: SlaState
    next_check_at: datetime | None


def evaluate(
    conf: TenantSla, conv: Conversation, rows: Sequence[EventRow], now: datetime
) -> Evaluation | None:
    facts = timeline_facts(conv, rows)
    if facts is None:
        return None
    deadlines = compute_deadlines(conf.policy, conf.calendar, facts)
    state = sla_status(deadlines, now)
    candidates = [state.next_check_at] if state.next_check_at else []
    escalate_at = next_escalation_at(conf.policy, state, conv.escalations_applied or 0)
    if escalate_at is not None and conv.status not in DONE:
        candidates.append(max(escalate_at, now))
    return Evaluation(deadlines, state, min(candidates) if candidates else None)


STATUS_RANK = {s.label: s for s in SlaStatus}


def stored_status(conv: Conversation) -> SlaStatus:
    return STATUS_RANK.get(conv.sla_status or "none", SlaStatus.NONE)


def store(conv: Conversation, result: Evaluation | None, now: datetime) -> None:
    """Write the deadlines. A status that got worse (warning/breach) is left for the
    sweeper to record with its timeline event: we only make the row due now."""
    if result is None:
        conv.first_response_due_at = conv.resolution_due_at = None
        conv.sla_paused_since = conv.next_sla_check_at = None
        conv.sla_status = None
        return
    d = result.deadlines
    conv.first_response_due_at = d.first_response_due
    conv.resolution_due_at = d.resolution_due
    conv.sla_paused_since = d.paused_since
    new = result.state.overall
    if new >= SlaStatus.WARNING and new > stored_status(conv):
        conv.next_sla_check_at = now
        return
    conv.sla_status = new.label
    conv.next_sla_check_at = result.next_check_at


async def refresh_sla(kefu: Kefu, conversation_ids: Iterable[int]) -> None:
    ids = sorted(set(conversation_ids))
    if not ids:
        return
    async with transaction(kefu) as tx:
        stmt = select(Conversation).where(Conversation.id.in_(ids)).with_for_update()
        convs = list((await tx.session.execute(stmt)).scalars())
        rows = await load_event_rows(tx.session, ids)
        confs: dict[int, TenantSla] = {}
        for conv in convs:
            if conv.tenant_id not in confs:
                confs[conv.tenant_id] = await load_tenant_sla(tx.session, conv.tenant_id)
            result = evaluate(confs[conv.tenant_id], conv, rows[conv.id], tx.now)
            store(conv, result, tx.now)


def _moves_a_clock(fact: TimelineFact) -> bool:
    if fact.type == EventType.MESSAGE:
        # an agent's reply, or the first message of a conversation created in the queue
        return fact.author_type == AuthorType.AGENT or fact.seq == 1
    return fact.type in SLA_EVENT_TYPES


async def on_timeline(kefu: Kefu, tx: Tx, facts: list[TimelineFact]) -> None:
    """One ``sla.refresh`` job for the conversations whose clocks the transaction moved
    (key: the first event that moved one)."""
    moving = [f for f in facts if _moves_a_clock(f)]
    if moving:
        await enqueue(
            tx,
            SLA_JOB,
            f"{moving[0].conversation_id}:{moving[0].seq}",
            {"conversation_ids": sorted({f.conversation_id for f in moving})},
            tenant_id=moving[0].tenant_id,
            conversation_id=moving[0].conversation_id,
        )


async def run_sla_job(kefu: Kefu, job: Job) -> None:
    await refresh_sla(kefu, {int(i) for i in job.payload.get("conversation_ids", [])})
