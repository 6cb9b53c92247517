"""One report: load the facts of a scope and compute its figures (queries/reports/)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kefu.actions.access import require_supervisor
from kefu.actions.context import Actor, Kefu
from kefu.domain.tenant_settings import parse_tenant_settings
from kefu.errors import InvalidInput
from kefu.queries.reports.bot_outcomes import BotOutcomes, bot_outcomes
from kefu.queries.reports.facts import RoundCounts, conversation_facts, round_counts
from kefu.queries.reports.figures import Figures, compute
from kefu.queries.reports.ratings import RatingComment, agent_names, rating_comments
from kefu.queries.reports.scope import MAX_DAYS, ReportScope, tune_for_reports
from kefu.queries.sla_view import tenant_settings, tenant_zone


@dataclass(frozen=True)
class Report:
    scope: ReportScope
    generated_at: datetime
    figures: Figures
    rounds: RoundCounts  # 3分钟人工响应率
    bot: BotOutcomes
    comments: list[RatingComment]
    agents: dict[int, tuple[str, str]]  # id -> (name, 工号)

    @property
    def round_rate(self) -> float | None:
        r = self.rounds
        return r.within_target / r.rounds if r.rounds else None


async def load_report(kefu: Kefu, scope: ReportScope) -> Report:
    """The report of ``scope`` (the caller has authorised the actor for its tenant)."""
    now = kefu.clock.now()
    async with kefu.db.read() as session:
        await tune_for_reports(session)
        settings = parse_tenant_settings(await tenant_settings(session, scope.tenant_id))
        facts = await conversation_facts(session, scope)
        rounds = await round_counts(session, scope, now.timestamp())
        bot = await bot_outcomes(session, scope)
        comments = await rating_comments(session, scope)
        agents = await agent_names(session, scope.tenant_id)
    figures = compute(
        facts,
        zone=scope.zone,
        calendar=settings.business_calendar.to_calendar(),
        policy=settings.sla_policy.to_policy(),
        now=now.timestamp(),
    )
    return Report(scope, now, figures, rounds, bot, comments, agents)


async def report_for(kefu: Kefu, actor: Actor, scope: ReportScope) -> Report:
    require_supervisor(actor)
    if scope.tenant_id != actor.tenant_id:
        raise AssertionError("a report scope is built from the actor's own tenant")
    return await load_report(kefu, scope)


@dataclass(frozen=True)
class ReportRequest:
    """What a person asked for: a range of days (default: the last 30, ending today in
    the tenant's zone) and filters."""

    first_day: date | None = None
    last_day: date | None = None
    department: str | None = None
    agent_id: int | None = None
    channel: str | None = None
    category: str | None = None
    tier: str | None = None
    merchant: str | None = None


DEFAULT_DAYS = 30


async def make_scope(kefu: Kefu, actor: Actor, asked: ReportRequest) -> ReportScope:
    """Validate the request (422 ``invalid_range``) and place it in the tenant's zone."""
    require_supervisor(actor)
    async with kefu.db.read() as session:
        zone = tenant_zone(await tenant_settings(session, actor.tenant_id))
    today = kefu.clock.now().astimezone(zone).date()
    last = asked.last_day or today
    first = asked.first_day or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidInput(
            "invalid_range", "开始日期不能晚于结束日期", "the first day is after the last day"
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput(
            "invalid_range",
            f"报表区间最多 {MAX_DAYS} 天",
            f"a report covers at most {MAX_DAYS} days",
        )
    return ReportScope(
        tenant_id=actor.tenant_id,
        first_day=first,
        last_day=last,
        zone=zone,
        department=asked.department or None,
        agent_id=asked.agent_id,
        channel=asked.channel or None,
        category=asked.category or None,
        tier=asked.tier or None,
        merchant=asked.merchant or None,
    )
