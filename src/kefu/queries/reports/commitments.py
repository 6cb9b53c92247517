"""The public service-commitment page (/status/{tenant}): each promise of the tenant's
SLA policy beside what was measured over the last 7 and 30 days, the queue now, the
best hours to write, official channels and announcements. Aggregates only: no number,
no name, no text of any conversation (docs/reports.md, "Public commitments")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from kefu.actions import queueing
from kefu.actions.access import tenant_by_slug
from kefu.actions.announcements import active_announcements
from kefu.actions.context import Kefu
from kefu.domain.queue_estimate import capacity_of, estimate_wait
from kefu.domain.tenant_settings import TenantSettings, parse_tenant_settings
from kefu.queries.reports.facts import conversation_facts
from kefu.queries.reports.figures import CHAT_CHANNELS, Figures, compute, rate
from kefu.queries.reports.figures import median as statistics_median
from kefu.queries.reports.scope import ReportScope
from kefu.queries.sla_view import tenant_zone
from kefu.storage.models import Callback

WINDOWS = (7, 30)
CACHE_SECONDS = 60
BEST_HOURS = 3
MIN_SAMPLES_PER_HOUR = 1


@dataclass(frozen=True)
class Measured:
    days: int
    kept: int  # promises kept
    decided: int  # promises kept or broken (running ones are not counted)
    median_seconds: float | None

    @property
    def rate(self) -> float | None:
        return rate(self.kept, self.decided)


@dataclass(frozen=True)
class Promise:
    kind: str  # sla_target code: chat_first_response, simple_resolution, callback..., refund
    minutes: float
    measured: list[Measured]  # one per window; empty when it is not measured


@dataclass(frozen=True)
class QueueNow:
    waiting: int
    online_agents: int
    expected_wait_seconds: int | None  # None: unknown (never invented)
    reason: str


@dataclass(frozen=True)
class Commitments:
    slug: str
    name: str
    generated_at: datetime
    promises: list[Promise]
    queue: QueueNow
    best_hours: list[int]  # local hours with the shortest measured waits (30 days)
    busiest_hours: list[int]
    official_channels: list[dict[str, str]]
    zone: ZoneInfo
    announcements: list[dict[str, Any]] = field(default_factory=list)


def _hour_waits(fig: Figures) -> tuple[list[int], list[int]]:
    waits: list[tuple[float, int]] = []
    arrivals = [sum(fig.arrivals[d][h] for d in range(7)) for h in range(24)]
    for h in range(24):
        n = sum(fig.wait_n[d][h] for d in range(7))
        if n >= MIN_SAMPLES_PER_HOUR:
            waits.append((sum(fig.wait_sum[d][h] for d in range(7)) / n, h))
    best = [h for _, h in sorted(waits)[:BEST_HOURS]]
    busiest = [h for h in sorted(range(24), key=lambda h: -arrivals[h]) if arrivals[h]][:BEST_HOURS]
    return sorted(best), sorted(busiest)


async def _callbacks(kefu: Kefu, tenant_id: int, since: datetime, now: datetime) -> tuple[int, int]:
    """(kept, decided): a call-back made by its due time, or one whose time has passed."""
    async with kefu.db.read() as session:
        rows = (
            await session.execute(
                select(Callback.completed_at, Callback.due_at, Callback.status).where(
                    Callback.tenant_id == tenant_id,
                    Callback.created_at >= since,
                    Callback.status != "cancelled",
                )
            )
        ).all()
    done = [(c, due) for c, due, _ in rows if c is not None or due <= now]
    return sum(1 for c, due in done if c is not None and c <= due), len(done)


async def load_commitments(kefu: Kefu, slug: str) -> Commitments:
    now = kefu.clock.now()
    async with kefu.db.read() as session:
        tenant = await tenant_by_slug(session, slug)
        tenant_id, name = tenant.id, tenant.name
        settings: TenantSettings = parse_tenant_settings(tenant.settings)
        zone = tenant_zone(settings.stored())
        today = now.astimezone(zone).date()
        by_window: dict[int, Figures] = {}
        chat_waits: dict[int, list[float]] = {}
        for days in WINDOWS:
            scope = ReportScope(tenant_id, today - timedelta(days=days - 1), today, zone)
            facts = await conversation_facts(session, scope)
            chat_waits[days] = [
                f.first_human - start
                for f in facts
                if f.channel in CHAT_CHANNELS
                and f.first_human is not None
                and (start := f.human_start) is not None
            ]
            by_window[days] = compute(
                facts,
                zone=zone,
                calendar=settings.business_calendar.to_calendar(),
                policy=settings.sla_policy.to_policy(),
                now=now.timestamp(),
            )
        notices = await active_announcements(session, tenant_id, now)
    policy = settings.sla_policy.to_policy()
    promises: list[Promise] = []
    for kind, span, spread in (
        ("chat_first_response", policy.chat_first_response, "first_response"),
        ("message_first_response", policy.message_first_response, None),
        ("simple_resolution", policy.simple_resolution, "resolution"),
    ):
        measured = []
        for days in WINDOWS:
            fig = by_window[days]
            att = next((a for a in fig.attainment if a.target == kind), None)
            if spread == "first_response":
                median = statistics_median(chat_waits[days])
            else:
                median = getattr(fig, spread).median if spread else None
            measured.append(
                Measured(days, att.met if att else 0, (att.met + att.missed) if att else 0, median)
            )
        promises.append(Promise(kind, span.total_seconds() / 60, measured))
    callback_measured = []
    for days in WINDOWS:
        kept, decided = await _callbacks(kefu, tenant_id, now - timedelta(days=days), now)
        callback_measured.append(Measured(days, kept, decided, None))
    promises.append(
        Promise(
            "callback_first_response",
            policy.callback_first_response.total_seconds() / 60,
            callback_measured,
        )
    )
    if settings.sla_policy.refund_promise_hours is not None:
        promises.append(Promise("refund", settings.sla_policy.refund_promise_hours * 60.0, []))
    snap = await queueing.load_snapshot(kefu, tenant_id)
    stats = await queueing.handling_stats(kefu, tenant_id)
    capacity = capacity_of(snap.agents)
    est = estimate_wait(len(snap.waiting) + 1, stats, capacity)
    wait = est.expected_wait
    best, busiest = _hour_waits(by_window[30])
    return Commitments(
        slug=slug,
        name=name,
        generated_at=now,
        promises=promises,
        queue=QueueNow(
            waiting=len(snap.waiting),
            online_agents=capacity.online_agents,
            expected_wait_seconds=int(wait.total_seconds()) if wait is not None else None,
            reason=est.reason.value,
        ),
        best_hours=best,
        busiest_hours=busiest,
        official_channels=[
            {"type": c.type, "value": c.value, "label": c.label} for c in settings.official_channels
        ],
        zone=zone,
        announcements=[
            {"title": a.title, "body": a.body, "level": a.level, "starts_at": a.starts_at}
            for a in notices
        ],
    )


class CommitmentCache:
    """Per process, per tenant, ``CACHE_SECONDS`` of the injected clock: the page is
    public and cheap to ask for, the figures behind it are not."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[datetime, Commitments]] = {}

    async def get(self, kefu: Kefu, slug: str) -> Commitments:
        now = kefu.clock.now()
        hit = self._entries.get(slug)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = await load_commitments(kefu, slug)
        self._entries[slug] = (now + timedelta(seconds=CACHE_SECONDS), value)
        return value
