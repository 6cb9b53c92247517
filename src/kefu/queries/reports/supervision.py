"""The supervisor's view (/console/supervisor): queues by department (waiting, longest
wait, SLA at risk), agents (presence, load, current conversations) and the open
conversations near or past their SLA. Read-only; reassignment goes through
actions/assignment.do_assign_conversation."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select

from kefu.actions import queueing
from kefu.actions.context import Kefu
from kefu.domain.conversation_state import OPEN_STATUSES
from kefu.queries.sla_view import SlaView, sla_view, tenant_settings
from kefu.storage.models import Agent, Conversation, Department

AT_RISK_LIMIT = 50


@dataclass(frozen=True)
class QueueRow:
    department: str
    waiting: int
    longest_wait_seconds: int | None
    at_risk: int
    breached: int


@dataclass(frozen=True)
class AgentRow:
    id: int
    name: str
    agent_no: str
    department: str
    presence: str
    capacity: int
    active: int


@dataclass(frozen=True)
class AtRisk:
    public_id: str
    number: str
    status: str
    department: str
    assignee: str
    sla: SlaView


@dataclass(frozen=True)
class Supervision:
    now: datetime
    queues: list[QueueRow]
    agents: list[AgentRow]
    at_risk: list[AtRisk]


async def supervision(kefu: Kefu, tenant_id: int) -> Supervision:
    now = kefu.clock.now()
    snap = await queueing.load_snapshot(kefu, tenant_id)
    open_ = [s.value for s in OPEN_STATUSES]
    async with kefu.db.read() as session:
        settings = await tenant_settings(session, tenant_id)
        depts = {
            i: n
            for i, n in (
                await session.execute(
                    select(Department.id, Department.name).where(Department.tenant_id == tenant_id)
                )
            ).all()
        }
        agents = list(
            (
                await session.execute(
                    select(Agent)
                    .where(Agent.tenant_id == tenant_id, Agent.is_active.is_(True))
                    .order_by(Agent.agent_no)
                )
            ).scalars()
        )
        risky = list(
            (
                await session.execute(
                    select(Conversation)
                    .where(
                        Conversation.tenant_id == tenant_id,
                        Conversation.status.in_(open_),
                        or_(
                            Conversation.sla_status.in_(("warning", "breached")),
                            and_(
                                Conversation.first_responded_at.is_(None),
                                Conversation.first_response_due_at <= now,
                            ),
                            Conversation.resolution_due_at <= now,
                        ),
                    )
                    .order_by(Conversation.priority.desc(), Conversation.id)
                    .limit(AT_RISK_LIMIT)
                )
            ).scalars()
        )
        open_by_dept = (
            await session.execute(
                select(Conversation.department_id, Conversation.sla_status).where(
                    Conversation.tenant_id == tenant_id, Conversation.status.in_(open_)
                )
            )
        ).all()
    names = {a.id: a.display_name for a in agents}
    at_risk_by: Counter[str] = Counter()
    breached_by: Counter[str] = Counter()
    for dept_id, status in open_by_dept:
        key = depts.get(dept_id, "未分配部门") if dept_id else "未分配部门"
        at_risk_by[key] += 1 if status == "warning" else 0
        breached_by[key] += 1 if status == "breached" else 0
    waiting: dict[str, list[datetime]] = {}
    for w in snap.waiting:
        key = depts.get(int(w.department), "未分配部门") if w.department.isdigit() else "未分配部门"
        waiting.setdefault(key, []).append(w.enqueued_at)
    keys = sorted(set(waiting) | {k for k in at_risk_by if at_risk_by[k] or breached_by[k]})
    queues = [
        QueueRow(
            k,
            len(waiting.get(k, [])),
            int((now - min(waiting[k])).total_seconds()) if waiting.get(k) else None,
            at_risk_by[k],
            breached_by[k],
        )
        for k in keys
    ]
    active = {a.id: a.active for a in snap.agents}
    return Supervision(
        now=now,
        queues=queues,
        agents=[
            AgentRow(
                a.id,
                a.display_name,
                a.agent_no,
                depts.get(a.department_id, "—") if a.department_id else "—",
                a.presence,
                a.capacity,
                active.get(str(a.id), 0),
            )
            for a in agents
        ],
        at_risk=[
            AtRisk(
                c.public_id,
                c.number,
                c.status,
                depts.get(c.department_id, "—") if c.department_id else "—",
                names.get(c.assignee_id, "未分配") if c.assignee_id else "未分配",
                sla_view(c, settings, now),
            )
            for c in risky
        ],
    )
