"""Ratings with their comments, and the names of the agents a report mentions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.domain.conversation_state import EventType
from kefu.queries.reports.scope import ReportScope, conditions, epoch, events_in_scope
from kefu.storage.models import Agent, Conversation, Event

COMMENTS = 30


@dataclass(frozen=True)
class RatingComment:
    number: str
    score: int
    comment: str
    at: float
    agent_id: int | None


async def rating_comments(session: AsyncSession, scope: ReportScope) -> list[RatingComment]:
    e, c = Event, Conversation
    d = session.get_bind().dialect.name
    rows = (
        await session.execute(
            select(
                c.number,
                e.data["score"].as_integer(),
                e.body,
                epoch(e.created_at, d),
                c.assignee_id,
            )
            .join(c, c.id == e.conversation_id)
            .where(
                *conditions(scope),
                *events_in_scope(scope),
                e.type == EventType.RATING,
                e.body != "",
            )
            .order_by(e.id.desc())
            .limit(COMMENTS)
        )
    ).all()
    return [RatingComment(str(n), int(s or 0), str(b), float(t), a) for n, s, b, t, a in rows]


async def agent_names(session: AsyncSession, tenant_id: int) -> dict[int, tuple[str, str]]:
    """agent id -> (display name, 工号)."""
    rows = await session.execute(
        select(Agent.id, Agent.display_name, Agent.agent_no).where(Agent.tenant_id == tenant_id)
    )
    return {int(i): (str(n), str(no)) for i, n, no in rows.all()}
