"""The SLA sweeper and escalations (docs/sla.md).

`sweep_sla` claims the conversations whose `next_sla_check_at` has passed (indexed;
`FOR UPDATE SKIP LOCKED` on PostgreSQL so several sweepers never take the same row),
re-evaluates their clocks and writes every step on the timeline: `sla_warning` at 80 %,
`sla_breach` at 100 %, then the tenant's escalation steps (raise priority, notify the
supervisor on the tenant channel, reassign when configured).

`do_request_escalation` is the customer's 申请升级: allowed once a promised time has
passed, once per conversation.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from kefu.actions.access import access_conversation_by_public_id
from kefu.actions.context import Actor, Kefu, Tx, transaction
from kefu.actions.conversation_status import set_status
from kefu.actions.sla_tracking import (
    DONE,
    TenantSla,
    evaluate,
    load_event_rows,
    load_tenant_sla,
    store,
    stored_status,
)
from kefu.actions.timeline import append_event
from kefu.clock import ensure_aware
from kefu.domain.conversation_state import AuthorType, EventType, Priority, Status, Visibility
from kefu.domain.sla import EscalationStep, SlaState, SlaStatus, due_escalations
from kefu.errors import Conflict
from kefu.realtime.broker import tenant_channel
from kefu.storage.models import Callback, Conversation

SWEEP_BATCH = 500


@dataclass
class SweepResult:
    checked: int = 0
    warnings: int = 0
    breaches: int = 0
    escalations: int = 0

    def add(self, other: SweepResult) -> None:
        self.checked += other.checked
        self.warnings += other.warnings
        self.breaches += other.breaches
        self.escalations += other.escalations


def _clocks(state: SlaState, status: SlaStatus) -> list[str]:
    out = []
    if state.first_response is status:
        out.append("first_response")
    if state.resolution is status:
        out.append("resolution")
    return out


def _iso(value: datetime | None) -> str | None:
    return ensure_aware(value).isoformat() if value is not None else None


def supervisor_message(conv: Conversation, kind: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "sla_escalation",
        "kind": kind,
        "conversation_id": conv.public_id,
        "number": conv.number,
        "priority": Priority.LABELS.get(conv.priority, "normal"),
        **extra,
    }


async def _apply_step(tx: Tx, conv: Conversation, index: int, step: EscalationStep) -> None:
    before = conv.priority
    conv.priority = min(Priority.URGENT, conv.priority + max(0, step.raise_priority_by))
    reassigned = False
    if step.reassign and conv.status == Status.ASSIGNED:
        await set_status(tx, conv, Status.QUEUED, AuthorType.SYSTEM, None, reason="sla_reassign")
        reassigned = True
    await append_event(
        tx,
        conv,
        EventType.SLA_BREACH,
        author_type=AuthorType.SYSTEM,
        visibility=Visibility.INTERNAL,
        data={
            "kind": "escalation",
            "step": index + 1,
            "priority_from": Priority.LABELS.get(before),
            "priority_to": Priority.LABELS.get(conv.priority),
            "notified_supervisor": step.notify_supervisor,
            "reassigned": reassigned,
        },
    )
    if step.notify_supervisor:
        tx.notify(
            tenant_channel(conv.tenant_id),
            supervisor_message(conv, "escalation", step=index + 1, reassigned=reassigned),
        )


async def _sweep_one(
    tx: Tx, conf: TenantSla, conv: Conversation, rows: list[Any], result: SweepResult
) -> None:
    now = tx.now
    evaluation = evaluate(conf, conv, rows, now)
    if evaluation is None or conv.status in DONE:
        conv.sla_status = evaluation.state.overall.label if evaluation else None
        conv.next_sla_check_at = None
        return
    state = evaluation.state
    recorded = stored_status(conv)
    overall = state.overall
    if overall >= SlaStatus.WARNING and recorded < SlaStatus.WARNING:
        warned = _clocks(state, SlaStatus.WARNING) or _clocks(state, SlaStatus.BREACHED)
        await append_event(
            tx,
            conv,
            EventType.SLA_WARNING,
            author_type=AuthorType.SYSTEM,
            visibility=Visibility.INTERNAL,
            flush=False,
            data={
                "clocks": warned,
                "first_response_due_at": _iso(evaluation.deadlines.first_response_due),
                "resolution_due_at": _iso(evaluation.deadlines.resolution_due),
            },
        )
        result.warnings += 1
    if overall is SlaStatus.BREACHED and recorded < SlaStatus.BREACHED:
        await append_event(
            tx,
            conv,
            EventType.SLA_BREACH,
            author_type=AuthorType.SYSTEM,
            visibility=Visibility.INTERNAL,
            flush=False,
            data={
                "kind": "breach",
                "clocks": _clocks(state, SlaStatus.BREACHED),
                "breached_at": _iso(state.breached_at),
            },
        )
        tx.notify(tenant_channel(conv.tenant_id), supervisor_message(conv, "breach"))
        result.breaches += 1
    applied = conv.escalations_applied or 0
    steps = due_escalations(conf.policy, state, now, applied)
    for offset, step in enumerate(steps):
        await _apply_step(tx, conv, applied + offset, step)
        conv.escalations_applied = applied + offset + 1
        result.escalations += 1
    conv.sla_status = overall.label
    # a raised priority tightens the targets: evaluate again only then
    store(conv, evaluate(conf, conv, rows, now) if steps else evaluation, now)


async def sweep_sla(kefu: Kefu, *, limit: int = SWEEP_BATCH) -> SweepResult:
    """One batch of due conversations, in one transaction. Safe to run concurrently:
    the batch is claimed with FOR UPDATE SKIP LOCKED (PostgreSQL)."""
    result = SweepResult()
    async with transaction(kefu) as tx:
        stmt = (
            select(Conversation.id)
            .where(Conversation.next_sla_check_at <= tx.now)
            .order_by(Conversation.next_sla_check_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list((await tx.session.execute(stmt)).scalars())
        if not ids:
            return result
        rows = await load_event_rows(tx.session, ids)
        convs = (
            await tx.session.execute(select(Conversation).where(Conversation.id.in_(ids)))
        ).scalars()
        by_id = {conv.id: conv for conv in convs}
        confs: dict[int, TenantSla] = {}
        for conv_id in ids:
            conv = by_id.get(conv_id)
            if conv is None:
                continue
            if conv.tenant_id not in confs:
                confs[conv.tenant_id] = await load_tenant_sla(tx.session, conv.tenant_id)
            await _sweep_one(tx, confs[conv.tenant_id], conv, rows[conv.id], result)
            result.checked += 1
        # one flush: the batch's events and row updates go out as batched statements
        await tx.session.flush()
    return result


async def sweep_all_due(
    kefu: Kefu, *, limit: int = SWEEP_BATCH, max_batches: int = 100, workers: int = 4
) -> SweepResult:
    """Sweep until nothing is due. On PostgreSQL `workers` claimers run side by side
    (SKIP LOCKED hands each its own rows); SQLite has one writer, so one claimer."""
    total = SweepResult()
    lanes = 1 if kefu.db.is_sqlite else max(1, workers)
    batch = limit if lanes == 1 else max(1, min(limit, 100))

    async def lane() -> None:
        for _ in range(max_batches):
            got = await sweep_sla(kefu, limit=batch)
            total.add(got)
            if got.checked < batch:
                break

    await asyncio.gather(*(lane() for _ in range(lanes)))
    return total


# -- 申请升级 --------------------------------------------------------------------------


@dataclass(frozen=True)
class MissedPromise:
    clock: str
    due_at: datetime


async def missed_promise(tx: Tx, conv: Conversation) -> MissedPromise | None:
    now = tx.now
    due = conv.first_response_due_at
    if due is not None:
        due = ensure_aware(due)
        answered = conv.first_responded_at
        late = answered is None or ensure_aware(answered) > due
        if late and now >= due:
            return MissedPromise("first_response", due)
    if conv.resolution_due_at is not None and conv.resolved_at is None:
        due = ensure_aware(conv.resolution_due_at)
        if now >= due:
            return MissedPromise("resolution", due)
    stmt = select(Callback.due_at).where(
        Callback.conversation_id == conv.id, Callback.status == "pending", Callback.due_at <= now
    )
    callback_due = (await tx.session.execute(stmt.limit(1))).scalar_one_or_none()
    if callback_due is not None:
        return MissedPromise("callback", ensure_aware(callback_due))
    return None


def _next_promise(conv: Conversation) -> datetime | None:
    candidates = []
    if conv.first_response_due_at is not None and conv.first_responded_at is None:
        candidates.append(ensure_aware(conv.first_response_due_at))
    if conv.resolution_due_at is not None and conv.resolved_at is None:
        candidates.append(ensure_aware(conv.resolution_due_at))
    return min(candidates) if candidates else None


async def do_request_escalation(
    kefu: Kefu, actor: Actor, public_id: str, reason: str = ""
) -> Conversation:
    async with transaction(kefu) as tx:
        conv = await access_conversation_by_public_id(tx.session, actor, public_id, for_update=True)
        if conv.status in DONE:
            raise Conflict(
                "conversation_not_open", "会话已结束，无需升级", "the conversation is not open"
            )
        if conv.escalation_requested_at is not None:
            raise Conflict(
                "escalation_already_requested",
                "您已申请过升级，主管会尽快处理",
                "escalation was already requested for this conversation",
            )
        missed = await missed_promise(tx, conv)
        if missed is None:
            upcoming = _next_promise(conv)
            if upcoming is not None:
                local = upcoming.astimezone(ZoneInfo(kefu.settings.timezone))
                zh = f"我们承诺在 {local:%m-%d %H:%M} 前处理，时间未到暂不能申请升级"
            else:
                zh = "当前没有超时的承诺，暂不能申请升级"
            raise Conflict(
                "promise_not_due",
                zh,
                "escalation is possible once a promised time has passed",
                details={"due_at": _iso(upcoming)} if upcoming else None,
            )
        before = conv.priority
        conv.escalation_requested_at = tx.now
        conv.priority = min(Priority.URGENT, conv.priority + 1)
        await append_event(
            tx,
            conv,
            EventType.SLA_BREACH,
            author_type=AuthorType.CUSTOMER if actor.is_customer else AuthorType.AGENT,
            author_id=actor.customer_id if actor.is_customer else actor.agent_id,
            body="已申请升级处理，主管将优先跟进",
            data={
                "kind": "escalation_requested",
                "missed": missed.clock,
                "due_at": _iso(missed.due_at),
                "priority_from": Priority.LABELS.get(before),
                "priority_to": Priority.LABELS.get(conv.priority),
                "reason": reason.strip()[:200],
            },
        )
        tx.notify(
            tenant_channel(conv.tenant_id),
            supervisor_message(conv, "escalation_requested", missed=missed.clock),
        )
        return conv
