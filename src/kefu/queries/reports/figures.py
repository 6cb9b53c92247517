"""The report's figures, computed from the per-conversation facts (pure Python, no I/O).
Every definition here is written out in docs/reports.md; change both together."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from kefu.domain.business_calendar import BusinessCalendar
from kefu.domain.sla import SlaPolicy
from kefu.domain.vocabulary.terms import Channel, PromiseKind
from kefu.queries.reports.facts import ConversationFacts

ANSWER_TARGET_SECONDS = 30.0  # 30秒应答率
NIGHT_START, NIGHT_END = 23, 9  # chats starting 23:00–09:00 are left out of 30秒应答率
CHAT_CHANNELS = frozenset(c.value for c in Channel if c.promise is PromiseKind.CHAT)
MESSAGE_CHANNELS = frozenset(c.value for c in Channel if c.promise is PromiseKind.MESSAGE)
ENDED = frozenset({"resolved", "closed"})


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def p90(values: Sequence[float]) -> float | None:
    """Nearest rank: the smallest value at or above 90 % of the sample."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)])


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Spread:
    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(len(values), median(values), p90(values))


@dataclass(frozen=True)
class Attainment:
    target: str  # SlaPolicy field: chat_first_response, simple_resolution, ...
    minutes: float
    met: int
    missed: int

    @property
    def rate(self) -> float | None:
        return rate(self.met, self.met + self.missed)


@dataclass(frozen=True)
class AgentCsat:
    agent_id: int
    conversations: int
    rated: int
    satisfied: int
    first_response: Spread

    @property
    def csat(self) -> float | None:
        return rate(self.satisfied, self.rated)


@dataclass
class Figures:
    conversations: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    first_response: Spread = Spread(0, None, None)
    first_response_business: Spread = Spread(0, None, None)
    unanswered: int = 0  # waited for a person, no human reply yet
    resolution: Spread = Spread(0, None, None)
    full_resolution: Spread = Spread(0, None, None)
    resolved: int = 0
    reopened: int = 0
    reached_queue: int = 0
    abandoned: int = 0
    missed: int = 0
    abandon_wait: Spread = Spread(0, None, None)
    with_bot: int = 0
    contained: int = 0
    handed_off: int = 0
    attainment: list[Attainment] = field(default_factory=list)
    breaches: int = 0
    escalations: int = 0
    breached_conversations: int = 0
    rated: int = 0
    satisfied: int = 0
    per_agent: list[AgentCsat] = field(default_factory=list)
    answer_30s_chats: int = 0
    answer_30s_met: int = 0
    arrivals: list[list[int]] = field(default_factory=lambda: [[0] * 24 for _ in range(7)])
    wait_sum: list[list[float]] = field(default_factory=lambda: [[0.0] * 24 for _ in range(7)])
    wait_n: list[list[int]] = field(default_factory=lambda: [[0] * 24 for _ in range(7)])

    @property
    def reopen_rate(self) -> float | None:
        return rate(self.reopened, self.resolved)

    @property
    def containment(self) -> float | None:
        return rate(self.contained, self.with_bot)

    @property
    def handoff_rate(self) -> float | None:
        return rate(self.handed_off, self.with_bot)

    @property
    def csat(self) -> float | None:
        return rate(self.satisfied, self.rated)

    @property
    def answer_30s(self) -> float | None:
        return rate(self.answer_30s_met, self.answer_30s_chats)

    def mean_wait(self, weekday: int, hour: int) -> float | None:
        n = self.wait_n[weekday][hour]
        return self.wait_sum[weekday][hour] / n if n else None


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _targets(policy: SlaPolicy, f: ConversationFacts) -> tuple[str, str]:
    chat = f.channel not in MESSAGE_CHANNELS
    first = "chat_first_response" if chat else "message_first_response"
    resolution = "complex_resolution" if policy.is_complex(f.category) else "simple_resolution"
    return first, resolution


def _judge(done: float | None, due: float | None, now: float) -> bool | None:
    """True met, False missed, None not decided yet (no promise, or still running)."""
    if due is None:
        return None
    if done is not None:
        return done <= due
    return False if due <= now else None


def compute(
    facts: Iterable[ConversationFacts],
    *,
    zone: ZoneInfo,
    calendar: BusinessCalendar,
    policy: SlaPolicy,
    now: float,
) -> Figures:
    out = Figures()
    status: Counter[str] = Counter()
    channel: Counter[str] = Counter()
    frt: list[float] = []
    frt_business: list[float] = []
    resolution: list[float] = []
    full: list[float] = []
    abandon_wait: list[float] = []
    met: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    agent_rows: dict[int, list[ConversationFacts]] = {}
    agent_frt: dict[int, list[float]] = {}
    for f in facts:
        out.conversations += 1
        status[f.status] += 1
        channel[f.channel] += 1
        local = _at(f.created).astimezone(zone)
        out.arrivals[local.weekday()][local.hour] += 1
        start = f.human_start
        if start is not None:
            out.reached_queue += 1
            if f.first_human is not None:
                wait = f.first_human - start
                frt.append(wait)
                frt_business.append(
                    calendar.business_time_between(_at(start), _at(f.first_human)).total_seconds()
                )
                begin = _at(start).astimezone(zone)
                out.wait_sum[begin.weekday()][begin.hour] += wait
                out.wait_n[begin.weekday()][begin.hour] += 1
                if f.assignee_id is not None:
                    agent_frt.setdefault(f.assignee_id, []).append(wait)
            else:
                out.unanswered += 1
                if f.status in ENDED:
                    out.missed += 1
            if f.channel in CHAT_CHANNELS:
                hour = _at(start).astimezone(zone).hour
                if NIGHT_END <= hour < NIGHT_START:
                    out.answer_30s_chats += 1
                    if f.first_human is not None and f.first_human - start <= ANSWER_TARGET_SECONDS:
                        out.answer_30s_met += 1
        if f.abandoned is not None:
            out.abandoned += 1
            waited_from = start if start is not None else f.created
            abandon_wait.append(max(0.0, f.abandoned - waited_from))
        if f.first_resolved is not None:
            out.resolved += 1
            resolution.append(f.first_resolved - f.created)
            if f.reopens:
                out.reopened += 1
        if f.status in ENDED and f.resolved is not None:
            full.append(f.resolved - f.created)
        if f.bot_turns:
            out.with_bot += 1
            if f.handoff is not None:
                out.handed_off += 1
            elif f.status in ENDED and f.first_human is None:
                out.contained += 1
        first_target, resolution_target = _targets(policy, f)
        for target, verdict in (
            (first_target, _judge(f.first_responded, f.first_response_due, now)),
            (resolution_target, _judge(f.first_resolved, f.resolution_due, now)),
        ):
            if verdict is True:
                met[target] += 1
            elif verdict is False:
                missed[target] += 1
        out.breaches += f.breaches
        out.escalations += f.escalations
        out.breached_conversations += 1 if f.breaches else 0
        if f.rating is not None:
            out.rated += 1
            out.satisfied += 1 if f.rating >= 4 else 0
        if f.assignee_id is not None:
            agent_rows.setdefault(f.assignee_id, []).append(f)
    out.by_status = dict(status)
    out.by_channel = dict(channel)
    out.first_response = Spread.of(frt)
    out.first_response_business = Spread.of(frt_business)
    out.resolution = Spread.of(resolution)
    out.full_resolution = Spread.of(full)
    out.abandon_wait = Spread.of(abandon_wait)
    minutes = {
        "chat_first_response": policy.chat_first_response,
        "message_first_response": policy.message_first_response,
        "simple_resolution": policy.simple_resolution,
        "complex_resolution": policy.complex_resolution,
    }
    out.attainment = [
        Attainment(name, span.total_seconds() / 60, met[name], missed[name])
        for name, span in minutes.items()
        if met[name] or missed[name]
    ]
    out.per_agent = sorted(
        (
            AgentCsat(
                agent_id,
                len(rows),
                sum(1 for r in rows if r.rating is not None),
                sum(1 for r in rows if r.rating is not None and r.rating >= 4),
                Spread.of(agent_frt.get(agent_id, [])),
            )
            for agent_id, rows in agent_rows.items()
        ),
        key=lambda a: -a.conversations,
    )
    return out


__all__ = ["Figures", "Spread", "compute", "median", "p90"]
