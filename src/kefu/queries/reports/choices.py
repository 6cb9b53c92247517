"""What the report's filter form offers: the tenant's departments, agents and merchants."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from kefu.actions.context import Kefu
from kefu.storage.models import Agent, Department, Merchant


@dataclass(frozen=True)
class FilterChoices:
    departments: list[tuple[str, str]]  # code, name
    agents: list[tuple[int, str]]  # id, "name（工号）"
    merchants: list[tuple[str, str]]  # slug, name


async def filter_choices(kefu: Kefu, tenant_id: int) -> FilterChoices:
    async with kefu.db.read() as session:
        depts = (
            await session.execute(
                select(Department.code, Department.name)
                .where(Department.tenant_id == tenant_id)
                .order_by(Department.id)
            )
        ).all()
        agents = (
            await session.execute(
                select(Agent.id, Agent.display_name, Agent.agent_no)
                .where(Agent.tenant_id == tenant_id)
                .order_by(Agent.agent_no)
            )
        ).all()
        merchants = (
            await session.execute(
                select(Merchant.slug, Merchant.name)
                .where(Merchant.tenant_id == tenant_id)
                .order_by(Merchant.name)
            )
        ).all()
    return FilterChoices(
        [(str(c), str(n)) for c, n in depts],
        [(int(i), f"{n}（{no}）") for i, n, no in agents],
        [(str(s), str(n)) for s, n in merchants],
    )
