"""SLA policies, deadlines in business time, status and escalation (no I/O).

The app calls :func:`compute_deadlines` whenever an SLA-relevant event is appended
(created, agent reply, waiting-for-customer start/end, resolved, reopened) and
stores the result in indexed columns; a sweeper calls :func:`sla_status` /
:func:`due_escalations` on rows whose ``next_check_at`` has passed.
See docs/sla.md for the decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum

from kefu.clock import Clock, ensure_aware
from kefu.domain.business_calendar import BusinessCalendar
from kefu.domain.priority import PriorityLabel
from kefu.domain.vocabulary import CATEGORIES, PromiseKind, category_info

# -- policy -------------------------------------------------------------------------


#: Categories with the long (complex-case) resolution target: a property of the category
#: (退款, 投诉, 账号安全, 卡密无效); a tenant's ``sla_policy.complex_categories`` replaces it.
DEFAULT_COMPLEX_CATEGORIES: frozenset[str] = frozenset(c.code for c in CATEGORIES if c.complex)

DEFAULT_PRIORITY_FACTORS: dict[PriorityLabel, float] = {
    PriorityLabel.LOW: 1.0,  # never looser than the public promise
    PriorityLabel.NORMAL: 1.0,
    PriorityLabel.HIGH: 0.75,
    PriorityLabel.URGENT: 0.5,
}


@dataclass(frozen=True)
class SlaTarget:
    """`None` means "no target" for that clock."""

    first_response: timedelta | None
    resolution: timedelta | None


@dataclass(frozen=True)
class EscalationStep:
    """What to do once a clock has been breached for `after`."""

    after: timedelta
    raise_priority_by: int = 0
    notify_supervisor: bool = False
    reassign: bool = False


DEFAULT_ESCALATION: tuple[EscalationStep, ...] = (
    EscalationStep(after=timedelta(0), raise_priority_by=1, notify_supervisor=True),
    EscalationStep(after=timedelta(minutes=30), raise_priority_by=1, notify_supervisor=True),
)


@dataclass(frozen=True)
class SlaPolicy:
    """One tenant's SLA policy. Defaults are the promises from the seeds."""

    chat_first_response: timedelta = timedelta(minutes=10)
    message_first_response: timedelta = timedelta(minutes=30)
    callback_first_response: timedelta = timedelta(hours=1)
    simple_resolution: timedelta = timedelta(hours=2)
    complex_resolution: timedelta = timedelta(hours=24)
    complex_categories: frozenset[str] = DEFAULT_COMPLEX_CATEGORIES
    priority_factors: Mapping[PriorityLabel, float] = field(
        default_factory=lambda: dict(DEFAULT_PRIORITY_FACTORS)
    )
    #: Explicit targets; keys are (priority or None, category or None); the most
    #: specific match wins: (p, c) > (None, c) > (p, None).
    overrides: Mapping[tuple[PriorityLabel | None, str | None], SlaTarget] = field(
        default_factory=dict
    )
    warning_ratio: float = 0.8
    escalation: tuple[EscalationStep, ...] = DEFAULT_ESCALATION
    reassign_on_breach: bool = False

    def is_complex(self, category: str | None) -> bool:
        info = category_info(category)
        return info is not None and info.code in self.complex_categories

    def target_for(
        self, priority: PriorityLabel | str, category: str | None, channel: PromiseKind | str
    ) -> SlaTarget:
        label = PriorityLabel(priority)
        info = category_info(category)
        category = info.code if info is not None else None
        for key in ((label, category), (None, category), (label, None)):
            if key in self.overrides and (key[1] is not None or key[0] is not None):
                return self.overrides[key]
        first = {
            PromiseKind.CHAT: self.chat_first_response,
            PromiseKind.MESSAGE: self.message_first_response,
            PromiseKind.CALLBACK: self.callback_first_response,
        }[PromiseKind(channel)]
        resolution = (
            self.complex_resolution if self.is_complex(category) else self.simple_resolution
        )
        factor = self.priority_factors.get(label, 1.0)
        return SlaTarget(first * factor, resolution * factor)

    def escalation_steps(self) -> tuple[EscalationStep, ...]:
        if not self.reassign_on_breach:
            return self.escalation
        # the last step also reassigns when the tenant asked for it
        *head, last = self.escalation
        return (
            *head,
            EscalationStep(
                last.after, last.raise_priority_by, last.notify_supervisor, reassign=True
            ),
        )


def promised_reply_minutes(policy: SlaPolicy) -> int:
    """What the widget promises for a 留言: the first-response target of a normal
    message (the same number the ticket is then held to), in whole minutes."""
    target = policy.target_for(PriorityLabel.NORMAL, None, PromiseKind.MESSAGE).first_response
    return max(1, round(target.total_seconds() / 60)) if target is not None else 30


# -- facts --------------------------------------------------------------------------


class SlaEventKind(StrEnum):
    AGENT_REPLY = "agent_reply"
    WAITING_CUSTOMER_START = "waiting_customer_start"
    WAITING_CUSTOMER_END = "waiting_customer_end"
    RESOLVED = "resolved"
    REOPENED = "reopened"


@dataclass(frozen=True)
class SlaEvent:
    kind: SlaEventKind
    at: datetime


@dataclass(frozen=True)
class TimelineFacts:
    """What the SLA needs to know about one conversation's timeline."""

    created_at: datetime
    priority: PriorityLabel | str = PriorityLabel.NORMAL
    category: str | None = None
    channel: PromiseKind | str = PromiseKind.CHAT
    events: Sequence[SlaEvent] = ()


# -- deadlines ----------------------------------------------------------------------


@dataclass(frozen=True)
class SlaDeadlines:
    target: SlaTarget
    first_response_due: datetime | None
    first_response_warn_at: datetime | None
    first_response_at: datetime | None  # the reply that stopped the clock
    resolution_due: datetime | None  # None while paused (or no target)
    resolution_warn_at: datetime | None
    resolved_at: datetime | None
    paused_since: datetime | None
    resolution_paused: timedelta  # business time excluded from the resolution clock

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None


def _scaled(delta: timedelta, ratio: float) -> timedelta:
    return timedelta(seconds=round(delta.total_seconds() * ratio, 3))


Span = tuple[datetime, datetime | None]


def _merge(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in sorted(spans, key=lambda s: s[0]):
        if out:
            last_start, last_end = out[-1]
            if last_end is None:
                break
            if start <= last_end:
                out[-1] = (last_start, None if end is None else max(last_end, end))
                continue
        out.append((start, end))
    return out


def _deadline_with_pauses(
    calendar: BusinessCalendar,
    start: datetime,
    budget: timedelta,
    pauses: Sequence[Span],
) -> tuple[datetime | None, timedelta]:
    """Where `budget` of business time runs out after `start`, skipping `pauses`.

    Returns (deadline or None when an open pause began before it, paused business time
    that counted). A pause starting at or after the deadline does not move it.
    """
    deadline = calendar.add_business_time(start, budget)
    counted = timedelta(0)
    for p_start, p_end in pauses:
        if p_start >= deadline:
            break
        if p_end is None:
            return None, counted
        paused = calendar.business_time_between(max(p_start, start), p_end)
        counted += paused
        deadline = calendar.add_business_time(deadline, paused)
    return deadline, counted


def compute_deadlines(
    policy: SlaPolicy, calendar: BusinessCalendar, facts: TimelineFacts
) -> SlaDeadlines:
    """Deadlines from the events so far; call again after each new event.

    * First response: due `target.first_response` of business time after creation;
      stopped by the first agent reply. A reopen re-arms it from the reopen moment
      (the customer is waiting for an answer again).
    * Resolution: due `target.resolution` of business time after creation, extended by
      the business time spent waiting for the customer and between a resolve and a
      reopen. While such a pause is open the deadline is unknown (None).
    """
    created = ensure_aware(facts.created_at)
    target = policy.target_for(facts.priority, facts.category, facts.channel)
    events = sorted(
        (SlaEvent(e.kind, ensure_aware(e.at)) for e in facts.events), key=lambda e: e.at
    )

    # first response (re-armed by the last reopen)
    response_start = created
    first_response_at: datetime | None = None
    pauses: list[Span] = []
    waiting_since: datetime | None = None
    resolved_at: datetime | None = None
    for event in events:
        if event.kind is SlaEventKind.AGENT_REPLY:
            if first_response_at is None:
                first_response_at = event.at
        elif event.kind is SlaEventKind.WAITING_CUSTOMER_START:
            if waiting_since is None:
                waiting_since = event.at
        elif event.kind is SlaEventKind.WAITING_CUSTOMER_END:
            if waiting_since is not None:
                pauses.append((waiting_since, event.at))
                waiting_since = None
        elif event.kind is SlaEventKind.RESOLVED:
            if waiting_since is not None:
                pauses.append((waiting_since, event.at))
                waiting_since = None
            if resolved_at is None:
                resolved_at = event.at
        elif event.kind is SlaEventKind.REOPENED and resolved_at is not None:
            pauses.append((resolved_at, event.at))
            resolved_at = None
            response_start = event.at
            first_response_at = None
    if waiting_since is not None:
        pauses.append((waiting_since, None))
    merged = _merge(pauses)
    paused_since = merged[-1][0] if merged and merged[-1][1] is None else None

    fr_due = fr_warn = None
    if target.first_response is not None:
        fr_due = calendar.add_business_time(response_start, target.first_response)
        fr_warn = calendar.add_business_time(
            response_start, _scaled(target.first_response, policy.warning_ratio)
        )

    res_due = res_warn = None
    counted = timedelta(0)
    if target.resolution is not None:
        res_due, counted = _deadline_with_pauses(calendar, created, target.resolution, merged)
        res_warn, _ = _deadline_with_pauses(
            calendar, created, _scaled(target.resolution, policy.warning_ratio), merged
        )
        if res_due is None:
            # the open pause started before the deadline: the clock is stopped
            res_warn = None
    if res_due is not None or target.resolution is None:
        paused_since = None
    return SlaDeadlines(
        target=target,
        first_response_due=fr_due,
        first_response_warn_at=fr_warn,
        first_response_at=first_response_at,
        resolution_due=res_due,
        resolution_warn_at=res_warn,
        resolved_at=resolved_at,
        paused_since=paused_since,
        resolution_paused=counted,
    )


# -- status -------------------------------------------------------------------------


class SlaStatus(IntEnum):
    """Ordered from best to worst so the overall status is a max()."""

    NONE = 0  # no target
    MET = 1
    PAUSED = 2
    OK = 3
    WARNING = 4
    BREACHED = 5

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class SlaState:
    first_response: SlaStatus
    resolution: SlaStatus
    overall: SlaStatus
    breached_at: datetime | None  # earliest breached deadline, for escalation
    next_check_at: datetime | None  # when the status may change next (for the sweeper)


def _clock_status(
    due: datetime | None, warn: datetime | None, done_at: datetime | None, now: datetime
) -> SlaStatus:
    if due is None:
        return SlaStatus.NONE
    if done_at is not None:
        return SlaStatus.MET if done_at <= due else SlaStatus.BREACHED
    if now >= due:
        return SlaStatus.BREACHED
    if warn is not None and now >= warn:
        return SlaStatus.WARNING
    return SlaStatus.OK


def sla_status(deadlines: SlaDeadlines, now: datetime) -> SlaState:
    now = ensure_aware(now)
    d = deadlines
    first = _clock_status(d.first_response_due, d.first_response_warn_at, d.first_response_at, now)
    if d.resolution_due is None and d.paused_since is not None and d.resolved_at is None:
        resolution = SlaStatus.PAUSED
    else:
        resolution = _clock_status(d.resolution_due, d.resolution_warn_at, d.resolved_at, now)
    breaches = []
    if first is SlaStatus.BREACHED and d.first_response_due is not None:
        breaches.append(d.first_response_due)
    if resolution is SlaStatus.BREACHED and d.resolution_due is not None:
        breaches.append(d.resolution_due)
    upcoming = []
    if d.first_response_at is None:
        upcoming += [t for t in (d.first_response_warn_at, d.first_response_due) if t]
    if d.resolved_at is None:
        upcoming += [t for t in (d.resolution_warn_at, d.resolution_due) if t]
    future = [t for t in upcoming if t > now]
    return SlaState(
        first_response=first,
        resolution=resolution,
        overall=max(first, resolution),
        breached_at=min(breaches) if breaches else None,
        next_check_at=min(future) if future else None,
    )


def due_escalations(
    policy: SlaPolicy, state: SlaState, now: datetime, already_applied: int = 0
) -> tuple[EscalationStep, ...]:
    """The escalation steps that are due now and have not been applied yet.

    The app stores how many steps it has applied (`already_applied`) and applies the
    returned ones in order.
    """
    if state.breached_at is None:
        return ()
    elapsed = ensure_aware(now) - state.breached_at
    steps = policy.escalation_steps()
    due = [step for step in steps if elapsed >= step.after]
    return tuple(due[already_applied:])


def next_escalation_at(
    policy: SlaPolicy, state: SlaState, already_applied: int = 0
) -> datetime | None:
    """When the next not-yet-applied escalation step becomes due (for the sweeper)."""
    steps = policy.escalation_steps()
    if state.breached_at is None or already_applied >= len(steps):
        return None
    return state.breached_at + steps[already_applied].after


class SlaClock:
    """Convenience wrapper binding a policy, a calendar and an injected clock."""

    def __init__(self, policy: SlaPolicy, calendar: BusinessCalendar, clock: Clock) -> None:
        self.policy = policy
        self.calendar = calendar
        self.clock = clock

    def deadlines(self, facts: TimelineFacts) -> SlaDeadlines:
        return compute_deadlines(self.policy, self.calendar, facts)

    def status(self, facts: TimelineFacts) -> SlaState:
        return sla_status(self.deadlines(facts), self.clock.now())
