"""What the bot did with the conversations in scope: why it handed over, and which of
its confident answers the customer rejected ("没用", "答非所问": the feedback detector
marks the next bot turn with reason unhelpful_once / unhelpful)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Float, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.domain.conversation_state import EventType
from kefu.nlu.policy import CONFIDENCE_THRESHOLD
from kefu.queries.reports.facts import FLAG_REASONS
from kefu.queries.reports.scope import ReportScope, conditions, events_in_scope
from kefu.storage.models import Conversation, Event

EXAMPLES = 20


@dataclass(frozen=True)
class ConfidentWrong:
    number: str
    intent: str
    confidence: float


@dataclass(frozen=True)
class BotOutcomes:
    handoff_reasons: dict[str, int]
    flagged: int  # bot answers the customer said did not help
    confident_wrong: int  # ... of which the bot had been confident
    examples: list[ConfidentWrong]


async def bot_outcomes(session: AsyncSession, scope: ReportScope) -> BotOutcomes:
    e, c = Event, Conversation
    in_scope = select(c.id).where(*conditions(scope))
    reason = e.data["reason"].as_string()
    reasons = {
        str(r or "unknown"): int(n)
        for r, n in (
            await session.execute(
                select(reason, func.count())
                .where(
                    e.type == EventType.HANDOFF,
                    e.conversation_id.in_(in_scope),
                    *events_in_scope(scope),
                )
                .group_by(reason)
            )
        ).all()
    }
    turns = (
        select(
            e.conversation_id.label("cid"),
            reason.label("reason"),
            func.lag(reason)
            .over(partition_by=e.conversation_id, order_by=e.seq)
            .label("prev_reason"),
            func.lag(e.data["intent"].as_string())
            .over(partition_by=e.conversation_id, order_by=e.seq)
            .label("prev_intent"),
            func.lag(cast(e.data["confidence"].as_float(), Float))
            .over(partition_by=e.conversation_id, order_by=e.seq)
            .label("prev_conf"),
        )
        .where(
            e.type == EventType.BOT_TURN, e.conversation_id.in_(in_scope), *events_in_scope(scope)
        )
        .subquery()
    )
    t = turns
    flagged_rows = (
        await session.execute(
            select(c.number, t.c.prev_intent, t.c.prev_conf)
            .join(c, c.id == t.c.cid)
            .where(t.c.reason.in_(FLAG_REASONS), t.c.prev_reason.is_not(None))
            .order_by(c.id.desc())
        )
    ).all()
    wrong = [
        ConfidentWrong(str(n), str(i or ""), float(conf))
        for n, i, conf in flagged_rows
        if conf is not None and float(conf) >= CONFIDENCE_THRESHOLD
    ]
    return BotOutcomes(reasons, len(flagged_rows), len(wrong), wrong[:EXAMPLES])


__all__ = ["BotOutcomes", "ConfidentWrong", "bot_outcomes"]
