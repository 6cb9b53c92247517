"""Read models for people: the tenant's agents with their departments."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from kefu.actions.access import require_staff
from kefu.actions.context import Actor, Kefu
from kefu.domain.vocabulary import Presence
from kefu.storage.models import Agent, Department


@dataclass(frozen=True)
class AgentRow:
    agent: Agent
    department: Department | None


async def active_agents(kefu: Kefu, actor: Actor) -> list[AgentRow]:
    """Every active agent of the actor's tenant, by 工号 (staff only)."""
    require_staff(actor)
    async with kefu.db.read() as session:
        agents = (
            await session.execute(
                select(Agent)
                .where(Agent.tenant_id == actor.tenant_id, Agent.is_active.is_(True))
                .order_by(Agent.agent_no)
            )
        ).scalars()
        departments = {
            d.id: d
            for d in (
                await session.execute(
                    select(Department).where(Department.tenant_id == actor.tenant_id)
                )
            ).scalars()
        }
        return [
            AgentRow(a, departments.get(a.department_id) if a.department_id else None)
            for a in agents
        ]


async def online_agent_count(kefu: Kefu, tenant_id: int) -> int:
    """How many active agents of the tenant are 在线 now (what the widget shows)."""
    async with kefu.db.read() as session:
        count = (
            await session.execute(
                select(func.count(Agent.id)).where(
                    Agent.tenant_id == tenant_id,
                    Agent.is_active.is_(True),
                    Agent.presence == Presence.ONLINE.value,
                )
            )
        ).scalar_one()
    return int(count)
