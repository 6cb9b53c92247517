"""Read-side queries, always scoped by the actor (tenant; a customer sees only their own)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.actions.context import Actor
from kefu.errors import InvalidInput
from kefu.storage.models import Agent, Conversation, Department, Event, Order


@dataclass
class ConversationFilters:
    statuses: list[str] | None = None
    department_code: str | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    channel: str | None = None
    customer_id: int | None = None
    number: str | None = None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"c{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("c"):
            raise ValueError
        return int(raw[1:])
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidInput("invalid_cursor", "分页参数无效", "invalid cursor") from None


async def list_conversations(
    session: AsyncSession,
    actor: Actor,
    filters: ConversationFilters,
    cursor: str | None,
    limit: int,
) -> tuple[list[Conversation], str | None]:
    stmt = select(Conversation).where(Conversation.tenant_id == actor.tenant_id)
    if actor.is_customer:
        stmt = stmt.where(Conversation.customer_id == actor.customer_id)
    elif filters.customer_id is not None:
        stmt = stmt.where(Conversation.customer_id == filters.customer_id)
    if filters.statuses:
        stmt = stmt.where(Conversation.status.in_(filters.statuses))
    if filters.department_code:
        dept_ids = select(Department.id).where(
            Department.tenant_id == actor.tenant_id, Department.code == filters.department_code
        )
        stmt = stmt.where(Conversation.department_id.in_(dept_ids))
    if filters.assignee_id is not None:
        stmt = stmt.where(Conversation.assignee_id == filters.assignee_id)
    if filters.unassigned:
        stmt = stmt.where(Conversation.assignee_id.is_(None))
    if filters.channel:
        stmt = stmt.where(Conversation.channel == filters.channel)
    if filters.number:
        stmt = stmt.where(Conversation.number == filters.number)
    if cursor:
        stmt = stmt.where(Conversation.id < decode_cursor(cursor))
    stmt = stmt.order_by(Conversation.id.desc()).limit(limit + 1)
    rows = list((await session.execute(stmt)).scalars())
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def reference_maps(
    session: AsyncSession, conversations: Iterable[Conversation]
) -> tuple[dict[int, Department], dict[int, Agent]]:
    convs = list(conversations)
    dept_ids = {c.department_id for c in convs if c.department_id}
    agent_ids = {c.assignee_id for c in convs if c.assignee_id}
    departments: dict[int, Department] = {}
    agents: dict[int, Agent] = {}
    if dept_ids:
        rows = await session.execute(select(Department).where(Department.id.in_(dept_ids)))
        departments = {d.id: d for d in rows.scalars()}
    if agent_ids:
        rows2 = await session.execute(select(Agent).where(Agent.id.in_(agent_ids)))
        agents = {a.id: a for a in rows2.scalars()}
    return departments, agents


async def timeline_since(
    session: AsyncSession, actor: Actor, conv: Conversation, after_seq: int, limit: int
) -> tuple[Sequence[Event], bool]:
    stmt = select(Event).where(Event.conversation_id == conv.id, Event.seq > after_seq)
    if actor.is_customer:
        stmt = stmt.where(Event.visibility == "public")
    stmt = stmt.order_by(Event.seq).limit(limit + 1)
    rows = list((await session.execute(stmt)).scalars())
    return rows[:limit], len(rows) > limit


async def orders_of_customer(
    session: AsyncSession, actor: Actor, customer_id: int, limit: int = 20
) -> Sequence[Order]:
    stmt = (
        select(Order)
        .where(Order.tenant_id == actor.tenant_id, Order.customer_id == customer_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())
