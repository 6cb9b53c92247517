"""Read models for the agent console: the tab filters and counts, the conversation list
with its customers and last-message previews, and the reference lists of one conversation
(departments, colleagues, a customer's history). Always scoped by the signed-in agent's
tenant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.actions.context import Actor
from kefu.domain.conversation_state import Status
from kefu.storage.models import Agent, Conversation, Customer, Department, Event

Tab = Literal["queued", "mine", "dept", "all"]
TABS: list[tuple[Tab, str]] = [
    ("queued", "待接入"),
    ("mine", "我的"),
    ("dept", "我的部门"),
    ("all", "全部"),
]
OPEN = [Status.BOT.value, Status.QUEUED.value, Status.ASSIGNED.value, Status.WAITING_CUSTOMER.value]
MINE = [Status.ASSIGNED.value, Status.WAITING_CUSTOMER.value]


@dataclass(frozen=True)
class ConsoleViewer:
    """Who looks at the console: the tenant, the agent and the agent's department."""

    tenant_id: int
    agent_id: int
    department_id: int | None


def tab_filter(viewer: ConsoleViewer, tab: Tab) -> list[Any]:
    where: list[Any] = [Conversation.tenant_id == viewer.tenant_id]
    if tab == "queued":
        where.append(Conversation.status == Status.QUEUED.value)
    elif tab == "mine":
        where += [Conversation.assignee_id == viewer.agent_id, Conversation.status.in_(MINE)]
    elif tab == "dept":
        where += [
            Conversation.department_id == viewer.department_id,
            Conversation.status.in_(OPEN),
        ]
    return where


async def agent_by_id(session: AsyncSession, agent_id: int) -> Agent | None:
    return await session.get(Agent, agent_id)


async def department_by_id(session: AsyncSession, department_id: int | None) -> Department | None:
    return await session.get(Department, department_id) if department_id else None


async def tab_counts(session: AsyncSession, viewer: ConsoleViewer) -> dict[str, int]:
    counts: dict[str, int] = {}
    for tab, _label in TABS:
        where = tab_filter(viewer, tab)
        if tab == "all":
            where.append(Conversation.status.in_(OPEN))
        stmt = select(func.count(Conversation.id)).where(*where)
        counts[tab] = int((await session.execute(stmt)).scalar_one())
    return counts


async def tab_conversations(
    session: AsyncSession, viewer: ConsoleViewer, tab: Tab, limit: int = 100
) -> list[Conversation]:
    """The queue oldest first; every other tab most recently updated first."""
    order = Conversation.queued_at if tab == "queued" else Conversation.updated_at
    stmt = select(Conversation).where(*tab_filter(viewer, tab))
    stmt = stmt.order_by(order.asc() if tab == "queued" else order.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def customers_of(session: AsyncSession, rows: Sequence[Conversation]) -> dict[int, Customer]:
    ids = {c.customer_id for c in rows if c.customer_id}
    if not ids:
        return {}
    found = await session.execute(select(Customer).where(Customer.id.in_(ids)))
    return {c.id: c for c in found.scalars()}


async def last_messages(session: AsyncSession, rows: Sequence[Conversation]) -> dict[int, str]:
    """The customer's latest message per conversation: their problem, in their words
    (never the bot's last reply, which says nothing about what the customer needs)."""
    ids = [c.id for c in rows]
    if not ids:
        return {}
    latest = (
        select(Event.conversation_id, func.max(Event.seq).label("seq"))
        .where(
            Event.conversation_id.in_(ids),
            Event.type == "message",
            Event.author_type == "customer",
        )
        .group_by(Event.conversation_id)
        .subquery()
    )
    stmt = select(Event.conversation_id, Event.body).join(
        latest, (Event.conversation_id == latest.c.conversation_id) & (Event.seq == latest.c.seq)
    )
    return {cid: (body or "[图片]")[:40] for cid, body in (await session.execute(stmt)).all()}


async def tenant_departments(session: AsyncSession, actor: Actor) -> list[Department]:
    stmt = select(Department).where(Department.tenant_id == actor.tenant_id)
    return list((await session.execute(stmt.order_by(Department.id))).scalars())


async def colleagues_of(session: AsyncSession, actor: Actor, agent_id: int) -> list[Agent]:
    """Active agents of the tenant other than `agent_id`, by 工号 (transfer targets)."""
    stmt = select(Agent).where(
        Agent.tenant_id == actor.tenant_id,
        Agent.is_active.is_(True),
        Agent.id != agent_id,
    )
    return list((await session.execute(stmt.order_by(Agent.agent_no))).scalars())


async def conversation_count_of_customer(
    session: AsyncSession, actor: Actor, customer_id: int
) -> int:
    stmt = select(func.count(Conversation.id)).where(
        Conversation.tenant_id == actor.tenant_id, Conversation.customer_id == customer_id
    )
    return int((await session.execute(stmt)).scalar_one())
