"""The few rows a report is computed from, aggregated in SQL (one row per conversation,
not one per event), so a 30-day report over a million events stays under a second on
PostgreSQL (docs/benchmarks.md, ``kefu bench reports``).

Times come back as epoch seconds (floats). The definitions are in docs/reports.md."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.domain.conversation_state import AuthorType, EventType, Visibility
from kefu.queries.reports.scope import ReportScope, conditions, epoch, events_in_scope
from kefu.storage.models import Conversation, Event

#: a bot answer given with at least this confidence, then rejected by the customer, is a
#: "confident-wrong" answer (the same threshold as nlu.policy.CONFIDENCE_THRESHOLD)
FLAG_REASONS = ("unhelpful_once", "unhelpful")
ROUND_TARGET_SECONDS = 180.0  # 3分钟人工响应率
TOLERANCE = 0.001  # seconds: SQLite's millisecond rounding must not turn 180 s into a miss


@dataclass(frozen=True)
class ConversationFacts:
    id: int
    number: str
    channel: str
    status: str
    priority: int
    category: str | None
    assignee_id: int | None
    rating: int | None
    created: float
    first_responded: float | None  # as the SLA tracking stored it
    first_response_due: float | None
    resolution_due: float | None
    resolved: float | None  # the last resolution (full resolution)
    first_customer: float | None
    handoff: float | None
    first_human: float | None  # first public reply of a person (bot replies do not count)
    first_resolved: float | None
    queued: float | None
    abandoned: float | None
    reopens: int
    bot_turns: int
    breaches: int
    escalations: int

    @property
    def human_start(self) -> float | None:
        """When the customer began waiting for a person: the bot's handoff, else the
        first customer message (a form, a mail) when no bot took part."""
        if self.handoff is not None:
            return self.handoff
        if self.bot_turns and self.queued is None and self.first_human is None:
            return None  # the bot kept it: nobody waited for a person
        return self.first_customer if self.first_customer is not None else self.queued


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _min_when(cond: ColumnElement[bool], value: ColumnElement[float]) -> ColumnElement[float]:
    return func.min(case((cond, value)))


def _count_when(cond: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


async def conversation_facts(session: AsyncSession, scope: ReportScope) -> list[ConversationFacts]:
    d = _dialect(session)
    e, c = Event, Conversation
    at = epoch(e.created_at, d)
    is_customer_msg = and_(e.type == EventType.MESSAGE, e.author_type == AuthorType.CUSTOMER)
    is_human_reply = and_(
        e.type == EventType.MESSAGE,
        e.author_type == AuthorType.AGENT,
        e.visibility == Visibility.PUBLIC,
    )
    status_to = e.data["to"].as_string()
    status_from = e.data["from"].as_string()
    is_status = e.type == EventType.STATUS_CHANGE
    kind = e.data["kind"].as_string()
    stmt = (
        select(
            c.id,
            c.number,
            c.channel,
            c.status,
            c.priority,
            c.category,
            c.assignee_id,
            c.rating,
            epoch(c.created_at, d),
            epoch(c.first_responded_at, d),
            epoch(c.first_response_due_at, d),
            epoch(c.resolution_due_at, d),
            epoch(c.resolved_at, d),
            _min_when(is_customer_msg, at),
            _min_when(e.type == EventType.HANDOFF, at),
            _min_when(is_human_reply, at),
            _min_when(and_(is_status, status_to == "resolved"), at),
            _min_when(and_(is_status, status_to == "queued"), at),
            func.max(case((and_(is_status, e.data["reason"].as_string() == "abandoned"), at))),
            _count_when(
                and_(
                    is_status,
                    status_from.in_(("resolved", "closed")),
                    status_to.in_(("queued", "assigned")),
                )
            ),
            _count_when(e.type == EventType.BOT_TURN),
            _count_when(and_(e.type == EventType.SLA_BREACH, kind == "breach")),
            _count_when(and_(e.type == EventType.SLA_BREACH, kind == "escalation")),
        )
        .join(e, e.conversation_id == c.id)
        .where(*conditions(scope), *events_in_scope(scope))
        .group_by(c.id)
    )
    make: Callable[..., ConversationFacts] = ConversationFacts  # columns in field order
    return [make(*row) for row in (await session.execute(stmt)).all()]


@dataclass(frozen=True)
class RoundCounts:
    """3分钟人工响应率: rounds (a customer's first message after an answer, or the start,
    while a person is responsible) and those a person answered within 3 minutes."""

    rounds: int
    within_target: int


async def round_counts(session: AsyncSession, scope: ReportScope, now: float) -> RoundCounts:
    d = _dialect(session)
    e, c = Event, Conversation
    author = e.author_type
    at = epoch(e.created_at, d)
    in_scope = select(c.id).where(*conditions(scope))
    handoffs = (
        select(e.conversation_id.label("cid"), func.min(at).label("handoff_at"))
        .where(
            e.type == EventType.HANDOFF, e.conversation_id.in_(in_scope), *events_in_scope(scope)
        )
        .group_by(e.conversation_id)
        .subquery()
    )
    bots = (
        select(e.conversation_id.label("cid"))
        .where(
            e.type == EventType.BOT_TURN, e.conversation_id.in_(in_scope), *events_in_scope(scope)
        )
        .distinct()
        .subquery()
    )
    messages = (
        select(
            e.conversation_id.label("cid"),
            author.label("author"),
            at.label("at"),
            func.lag(author)
            .over(partition_by=e.conversation_id, order_by=e.seq)
            .label("prev_author"),
            func.min(case((author == AuthorType.AGENT, at)))
            .over(partition_by=e.conversation_id, order_by=e.seq, rows=(0, None))
            .label("answer_at"),
        )
        .where(
            e.conversation_id.in_(in_scope),
            *events_in_scope(scope),
            e.type == EventType.MESSAGE,
            e.visibility == Visibility.PUBLIC,
            author.in_((AuthorType.CUSTOMER, AuthorType.AGENT)),
        )
        .subquery()
    )
    m = messages
    start = case(
        (
            and_(handoffs.c.handoff_at.is_not(None), handoffs.c.handoff_at > m.c.at),
            handoffs.c.handoff_at,
        ),
        else_=m.c.at,
    )
    human_phase = or_(handoffs.c.handoff_at.is_not(None), bots.c.cid.is_(None))
    starts_round = and_(
        m.c.author == AuthorType.CUSTOMER,
        or_(m.c.prev_author.is_(None), m.c.prev_author == AuthorType.AGENT),
        human_phase,
    )
    settled = or_(m.c.answer_at.is_not(None), start < literal(now - ROUND_TARGET_SECONDS))
    stmt = (
        select(
            func.count(),
            func.sum(case((m.c.answer_at - start <= ROUND_TARGET_SECONDS + TOLERANCE, 1), else_=0)),
        )
        .select_from(m)
        .outerjoin(handoffs, handoffs.c.cid == m.c.cid)
        .outerjoin(bots, bots.c.cid == m.c.cid)
        .where(starts_round, settled)
    )
    total, within = (await session.execute(stmt)).one()
    return RoundCounts(int(total or 0), int(within or 0))
