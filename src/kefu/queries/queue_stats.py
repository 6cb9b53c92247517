"""Counts behind the supervisors' queue stats (read-only, one tenant)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from kefu.actions import callbacks as cb_actions
from kefu.actions.context import Kefu
from kefu.domain.conversation_state import OPEN_STATUSES
from kefu.storage.models import Callback, Conversation, Department


@dataclass
class QueueCounts:
    department_codes: dict[str, str] = field(default_factory=dict)  # id (as str) -> code
    sla_counts: dict[str, int] = field(default_factory=dict)
    breached_numbers: list[str] = field(default_factory=list)
    escalation_requests: int = 0
    callback_counts: dict[str, int] = field(default_factory=dict)


async def queue_counts(kefu: Kefu, tenant_id: int) -> QueueCounts:
    open_ = [s.value for s in OPEN_STATUSES]
    async with kefu.db.read() as session:
        names = {
            str(i): code
            for i, code in (
                await session.execute(
                    select(Department.id, Department.code).where(Department.tenant_id == tenant_id)
                )
            ).all()
        }
        sla_counts = {
            str(status): int(n)
            for status, n in (
                await session.execute(
                    select(Conversation.sla_status, func.count(Conversation.id))
                    .where(Conversation.tenant_id == tenant_id, Conversation.status.in_(open_))
                    .group_by(Conversation.sla_status)
                )
            ).all()
        }
        breached = list(
            (
                await session.execute(
                    select(Conversation.number)
                    .where(
                        Conversation.tenant_id == tenant_id,
                        Conversation.status.in_(open_),
                        Conversation.sla_status == "breached",
                    )
                    .order_by(Conversation.priority.desc(), Conversation.id)
                    .limit(50)
                )
            ).scalars()
        )
        requests = (
            await session.execute(
                select(func.count(Conversation.id)).where(
                    Conversation.tenant_id == tenant_id,
                    Conversation.status.in_(open_),
                    Conversation.escalation_requested_at.is_not(None),
                )
            )
        ).scalar_one()
        cb_counts = {
            str(status): int(n)
            for status, n in (
                await session.execute(
                    select(Callback.status, func.count(Callback.id))
                    .where(Callback.tenant_id == tenant_id, Callback.status.in_(cb_actions.OPEN))
                    .group_by(Callback.status)
                )
            ).all()
        }
    return QueueCounts(names, sla_counts, breached, int(requests), cb_counts)
