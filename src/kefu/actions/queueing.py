"""The live queue: automatic assignment and queue positions (docs/routing.md).

A *queue pass* for one tenant reads the waiting conversations and the agents, asks the
domain (`routing.plan_assignments`) who should take what, and applies each decision
through the same write path as a manual claim (`assignment.assign` under row locks
on the conversation and then the agent). A decision that lost a race (someone claimed
the conversation, the agent went away or filled up) is simply skipped, so several
processes may run passes at once on PostgreSQL: never two assignees, never over
capacity. After the pass every waiting customer gets their position and expected wait
on their conversation channel.

Triggers: a conversation enters `queued` (handoff, transfer, reopen, requeue), an
agent frees capacity (resolve/close/transfer/wait), and the background tick
(jobs/runner.py) for presence changes and anything missed.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from kefu.actions.assignment import assign, lock_agent
from kefu.actions.context import Actor, ActorKind, Kefu, TimelineFact, Tx, transaction
from kefu.actions.conversation_status import ACTIVE_FOR_AGENT
from kefu.actions.outbox import enqueue
from kefu.actions.presence_leases import has_live_console, live_agent_ids
from kefu.clock import ensure_aware
from kefu.domain.conversation_state import AuthorType, EventType, Priority, Status
from kefu.domain.priority import PriorityLabel, priority_score, urgencies_for, vip_level
from kefu.domain.queue_estimate import (
    HandlingStats,
    WaitEstimate,
    capacity_of,
    estimate_wait,
    stats_from,
)
from kefu.domain.routing import (
    AgentState,
    DepartmentMapping,
    WaitingConversation,
    department_for,
    order_queue,
    plan_assignments,
)
from kefu.domain.tenant_settings import parse_tenant_settings
from kefu.domain.vocabulary import Presence
from kefu.errors import Conflict
from kefu.realtime.broker import conversation_channel
from kefu.storage.models import (
    Agent,
    Conversation,
    ConversationOrder,
    Customer,
    Department,
    Job,
    Order,
)
from kefu.storage.models import Tenant as TenantRow

QUEUE_JOB = "queue.pass"

ANY_DEPARTMENT = "*"
HANDLING_SAMPLES = 50
ROUTABLE_ROLES = ("agent", "supervisor")


def system_actor(tenant_id: int) -> Actor:
    """kefu itself, acting for a tenant (auto-assignment, sweeps)."""
    return Actor(kind=ActorKind.MACHINE, tenant_id=tenant_id)


def department_mapping(settings: dict[str, Any] | None) -> DepartmentMapping:
    """Tenant's intent -> department table: defaults overlaid with
    TenantSettings.department_routes (``"*"``: the fallback)."""
    base = DepartmentMapping()
    raw = parse_tenant_settings(settings).department_routes
    routes = {**base.routes, **{k: v for k, v in raw.items() if k != "*"}}
    return DepartmentMapping(routes=routes, fallback=raw.get("*", base.fallback))


def tier_level(tier: str | None) -> int:
    try:
        return vip_level(tier or "normal")
    except Exception:
        return 0


# -- the snapshot ---------------------------------------------------------------------


@dataclass
class Snapshot:
    waiting: list[WaitingConversation]
    agents: list[AgentState]
    public_ids: dict[str, str] = field(default_factory=dict)


async def load_snapshot(kefu: Kefu, tenant_id: int) -> Snapshot:
    async with kefu.db.read() as session:
        tenant = await session.get(TenantRow, tenant_id)
        mapping = department_mapping(tenant.settings if tenant else None)
        dept_ids = {
            code: did
            for code, did in (
                await session.execute(
                    select(Department.code, Department.id).where(Department.tenant_id == tenant_id)
                )
            ).all()
        }
        active = dict(
            (
                await session.execute(
                    select(Conversation.assignee_id, func.count(Conversation.id))
                    .where(
                        Conversation.tenant_id == tenant_id,
                        Conversation.status.in_(ACTIVE_FOR_AGENT),
                        Conversation.assignee_id.is_not(None),
                    )
                    .group_by(Conversation.assignee_id)
                )
            ).all()
        )
        agent_rows = (
            await session.execute(
                select(Agent).where(
                    Agent.tenant_id == tenant_id,
                    Agent.is_active.is_(True),
                    Agent.role.in_(ROUTABLE_ROLES),
                )
            )
        ).scalars()
        # presence counts only while a console connection of the agent is live
        live = await live_agent_ids(session, tenant_id, kefu.clock.now())
        agents: list[AgentState] = []
        staffed: set[str] = set()
        for a in agent_rows:
            depts = {ANY_DEPARTMENT}
            if a.department_id is not None:
                depts.add(str(a.department_id))
                staffed.add(str(a.department_id))
            presence = Presence.parse(a.presence)
            if a.id not in live:
                presence = Presence.OFFLINE
            agents.append(
                AgentState(
                    str(a.id),
                    frozenset(depts),
                    presence,
                    a.capacity,
                    int(active.get(a.id, 0)),
                    a.last_assigned_at,
                )
            )
        amounts: dict[int, Decimal] = dict(
            (
                await session.execute(
                    select(ConversationOrder.conversation_id, func.max(Order.amount))
                    .join(Order, Order.id == ConversationOrder.order_id)
                    .join(Conversation, Conversation.id == ConversationOrder.conversation_id)
                    .where(
                        Conversation.tenant_id == tenant_id,
                        Conversation.status == Status.QUEUED.value,
                    )
                    .group_by(ConversationOrder.conversation_id)
                )
            ).all()
        )
        rows = (
            await session.execute(
                select(
                    Conversation.id,
                    Conversation.public_id,
                    Conversation.department_id,
                    Conversation.priority,
                    Conversation.category,
                    Conversation.queued_at,
                    Conversation.created_at,
                    Customer.tier,
                    Customer.exclusive_agent_id,
                )
                .outerjoin(Customer, Customer.id == Conversation.customer_id)
                .where(
                    Conversation.tenant_id == tenant_id,
                    Conversation.status == Status.QUEUED.value,
                )
            )
        ).all()
    snap = Snapshot(waiting=[], agents=agents)
    for cid, public_id, dept_id, prio, category, queued_at, created_at, tier, exclusive in rows:
        if dept_id is None:
            dept_id = dept_ids.get(department_for(category, mapping))
        dept = str(dept_id) if dept_id is not None and str(dept_id) in staffed else ANY_DEPARTMENT
        level = tier_level(tier)
        score = priority_score(
            tier=level,
            urgencies=urgencies_for(category),
            amount_yuan=amounts.get(cid),
            base_label=PriorityLabel(Priority.LABELS.get(prio, "normal")),
        )
        snap.waiting.append(
            WaitingConversation(
                id=str(cid),
                department=dept,
                priority=score.points,
                enqueued_at=ensure_aware(queued_at or created_at),
                customer_tier=level,
                exclusive_agent_id=str(exclusive) if exclusive is not None else None,
            )
        )
        snap.public_ids[str(cid)] = public_id
    return snap


# -- claims ---------------------------------------------------------------------------


async def claim(kefu: Kefu, tenant_id: int, conversation_id: int, agent_id: int) -> bool:
    """Assign a *waiting* conversation to an *online* agent with room, atomically.
    False when the decision is stale (taken meanwhile, agent away or full)."""
    actor = system_actor(tenant_id)
    async with transaction(kefu) as tx:
        stmt = (
            select(Conversation)
            .where(Conversation.id == conversation_id, Conversation.tenant_id == tenant_id)
            .with_for_update()
        )
        conv = (await tx.session.execute(stmt)).scalar_one_or_none()
        if conv is None or conv.status != Status.QUEUED or conv.assignee_id is not None:
            return False
        agent = await lock_agent(tx, actor, agent_id)
        if agent.presence != Presence.ONLINE or not await has_live_console(tx, agent.id):
            return False  # never hand a customer to a ghost
        try:
            await assign(tx, conv, agent, by_agent_id=None)
        except Conflict:
            return False
        return True


@dataclass
class _PassState:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    dirty: bool = False


def _state(kefu: Kefu) -> dict[str, Any]:
    store: dict[str, Any] = vars(kefu).setdefault("_queueing", {})
    return store


async def run_queue_pass(kefu: Kefu, tenant_id: int) -> list[tuple[str, int]]:
    """Assign what can be assigned, then publish positions. Re-entrant calls (from the
    subscribers of our own claims) just mark the tenant dirty for one more round."""
    passes: dict[int, _PassState] = _state(kefu).setdefault("passes", {})
    state = passes.setdefault(tenant_id, _PassState())
    state.dirty = True
    if state.lock.locked():
        return []
    made: list[tuple[str, int]] = []
    async with state.lock:
        while state.dirty:
            state.dirty = False
            snap = await load_snapshot(kefu, tenant_id)
            plan = plan_assignments(snap.waiting, snap.agents, kefu.clock.now())
            for conv_id, agent_id in plan:
                if await claim(kefu, tenant_id, int(conv_id), int(agent_id)):
                    made.append((snap.public_ids[conv_id], int(agent_id)))
            await publish_positions(kefu, tenant_id, None if plan else snap)
    return made


# -- positions and waits --------------------------------------------------------------


async def handling_stats(kefu: Kefu, tenant_id: int) -> HandlingStats:
    """EWMA of assignment -> resolution over the tenant's recent conversations."""
    async with kefu.db.read() as session:
        rows = (
            await session.execute(
                select(Conversation.assigned_at, Conversation.resolved_at)
                .where(
                    Conversation.tenant_id == tenant_id,
                    Conversation.status.in_((Status.RESOLVED.value, Status.CLOSED.value)),
                    Conversation.assigned_at.is_not(None),
                    Conversation.resolved_at.is_not(None),
                )
                .order_by(Conversation.resolved_at.desc())
                .limit(HANDLING_SAMPLES)
            )
        ).all()
    samples: list[timedelta] = [
        ensure_aware(resolved) - ensure_aware(assigned)
        for assigned, resolved in reversed(rows)
        if assigned is not None and resolved is not None
    ]
    return stats_from(s for s in samples if s >= timedelta(0))


def estimates(snap: Snapshot, stats: HandlingStats) -> dict[str, WaitEstimate]:
    """Position (in the conversation's department) and expected wait, for every waiter."""
    by_dept: dict[str, list[WaitingConversation]] = defaultdict(list)
    for conv in snap.waiting:
        by_dept[conv.department].append(conv)
    out: dict[str, WaitEstimate] = {}
    for dept, convs in by_dept.items():
        capacity = capacity_of(snap.agents, dept)
        for position, conv in enumerate(order_queue(convs), start=1):
            out[conv.id] = estimate_wait(position, stats, capacity)
    return out


def wait_range_seconds(estimate: WaitEstimate | None) -> tuple[int | None, int | None]:
    span = estimate.wait_range() if estimate else None
    if span is None:
        return None, None
    return int(span[0].total_seconds()), int(span[1].total_seconds())


def queue_message(public_id: str, estimate: WaitEstimate) -> dict[str, Any]:
    wait = estimate.expected_wait
    low, high = wait_range_seconds(estimate)
    return {
        "type": "queue",
        "conversation_id": public_id,
        "position": estimate.position,
        "expected_wait_seconds": int(wait.total_seconds()) if wait is not None else None,
        "expected_wait_min_seconds": low,
        "expected_wait_max_seconds": high,
        "offer_alternatives": estimate.offer_alternatives,
        "reason": estimate.reason.value,
        "text": estimate.describe_zh(),
    }


async def publish_positions(kefu: Kefu, tenant_id: int, snap: Snapshot | None = None) -> int:
    """Tell every waiting customer whose place or wait changed. Returns messages sent."""
    snap = snap or await load_snapshot(kefu, tenant_id)
    stats = await handling_stats(kefu, tenant_id)
    sent_before: dict[str, tuple[Any, ...]] = _state(kefu).setdefault("published", {})
    sent = 0
    for conv_id, estimate in estimates(snap, stats).items():
        public_id = snap.public_ids[conv_id]
        message = queue_message(public_id, estimate)
        key = (message["position"], message["expected_wait_seconds"], message["reason"])
        if sent_before.get(public_id) == key:
            continue
        sent_before[public_id] = key
        await kefu.broker.publish(conversation_channel(public_id), message)
        sent += 1
    waiting = set(snap.public_ids.values())
    for gone in [p for p in sent_before if p not in waiting]:
        del sent_before[gone]
    return sent


@dataclass(frozen=True)
class QueueInfo:
    status: str
    position: int | None
    estimate: WaitEstimate | None
    queued_at: datetime | None


async def queue_info(kefu: Kefu, conv: Conversation) -> QueueInfo:
    if conv.status != Status.QUEUED:
        return QueueInfo(conv.status, None, None, None)
    snap = await load_snapshot(kefu, conv.tenant_id)
    estimate = estimates(snap, await handling_stats(kefu, conv.tenant_id)).get(str(conv.id))
    return QueueInfo(
        conv.status,
        estimate.position if estimate else None,
        estimate,
        ensure_aware(conv.queued_at) if conv.queued_at else None,
    )


# -- the subscriber -------------------------------------------------------------------

FREES_OR_FILLS = frozenset(
    {Status.QUEUED.value, Status.RESOLVED.value, Status.CLOSED.value, Status.WAITING_CUSTOMER}
)


def _changes_the_queue(fact: TimelineFact) -> bool:
    if fact.seq == 1 and fact.status == Status.QUEUED:
        return True  # a conversation born in the queue (no bot): someone may take it now
    if fact.type == EventType.STATUS_CHANGE:
        return bool(
            fact.data.get("to") in FREES_OR_FILLS or fact.data.get("from") in FREES_OR_FILLS
        )
    if fact.type == EventType.TRANSFER:
        return True
    # a manual claim changes positions; our own (system) claims are handled by the pass
    return fact.type == EventType.ASSIGNMENT and fact.author_type != AuthorType.SYSTEM


async def on_timeline(kefu: Kefu, tx: Tx, facts: list[TimelineFact]) -> None:
    """A ``queue.pass`` job per tenant whose queue the transaction changed (key: the
    first event that changed it)."""
    first: dict[int, TimelineFact] = {}
    for fact in facts:
        if _changes_the_queue(fact):
            first.setdefault(fact.tenant_id, fact)
    for tenant_id, fact in sorted(first.items()):
        await enqueue(
            tx,
            QUEUE_JOB,
            f"{tenant_id}:{fact.conversation_id}:{fact.seq}",
            {"tenant_id": tenant_id},
            tenant_id=tenant_id,
            conversation_id=fact.conversation_id,
        )


async def run_queue_job(kefu: Kefu, job: Job) -> None:
    await run_queue_pass(kefu, int(job.payload["tenant_id"]))


async def on_presence_changed(kefu: Kefu, tenant_id: int) -> None:
    """Call after an agent's presence or capacity changed (online -> work arrives)."""
    await run_queue_pass(kefu, tenant_id)
