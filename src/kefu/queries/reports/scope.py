"""Which conversations a report covers: a date range in the tenant's zone and the
filters (department, agent, channel, category, VIP tier, merchant), as SQL conditions
that mean the same on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Float, cast, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import SQLCoreOperations

from kefu.storage.models import Conversation, Customer, Department, Event, Merchant

MAX_DAYS = 366


@dataclass(frozen=True)
class ReportScope:
    """Conversations of one tenant created from ``first_day`` 00:00 to ``last_day`` 24:00
    in ``zone`` (both days included), narrowed by the optional filters."""

    tenant_id: int
    first_day: date
    last_day: date
    zone: ZoneInfo
    department: str | None = None  # department code
    agent_id: int | None = None  # the assignee
    channel: str | None = None
    category: str | None = None
    tier: str | None = None  # the customer's VIP tier
    merchant: str | None = None  # merchant slug

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(0), self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last_day + timedelta(days=1), time(0), self.zone).astimezone(
            UTC
        )

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def last_days(self, days: int) -> ReportScope:
        """The same filters over the ``days`` days that end with ``last_day``."""
        return replace(self, first_day=self.last_day - timedelta(days=days - 1))

    def filters(self) -> dict[str, Any]:
        return {
            "department": self.department,
            "agent": self.agent_id,
            "channel": self.channel,
            "category": self.category,
            "tier": self.tier,
            "merchant": self.merchant,
        }


def conditions(scope: ReportScope) -> list[ColumnElement[bool]]:
    conv = Conversation
    where: list[ColumnElement[bool]] = [
        conv.tenant_id == scope.tenant_id,
        conv.created_at >= scope.start,
        conv.created_at < scope.end,
    ]
    if scope.department is not None:
        where.append(
            conv.department_id.in_(
                select(Department.id).where(
                    Department.tenant_id == scope.tenant_id, Department.code == scope.department
                )
            )
        )
    if scope.agent_id is not None:
        where.append(conv.assignee_id == scope.agent_id)
    if scope.channel is not None:
        where.append(conv.channel == scope.channel)
    if scope.category is not None:
        where.append(conv.category == scope.category)
    if scope.tier is not None:
        where.append(
            conv.customer_id.in_(
                select(Customer.id).where(
                    Customer.tenant_id == scope.tenant_id, Customer.tier == scope.tier
                )
            )
        )
    if scope.merchant is not None:
        where.append(
            conv.merchant_id.in_(
                select(Merchant.id).where(
                    Merchant.tenant_id == scope.tenant_id, Merchant.slug == scope.merchant
                )
            )
        )
    return where


REPORT_WORK_MEM = "64MB"


async def tune_for_reports(session: AsyncSession) -> None:
    """PostgreSQL: let this read transaction sort and hash in memory (the window
    functions over a month of events spill to disk at the default 4 MB)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))


def events_in_scope(scope: ReportScope) -> list[ColumnElement[bool]]:
    """Conditions on events that the scope implies (an event is never older than its
    conversation): they let the planner read a month of events by index, not all."""
    return [Event.tenant_id == scope.tenant_id, Event.created_at >= scope.start]


def epoch(column: SQLCoreOperations[Any], dialect: str) -> ColumnElement[float]:
    """Seconds since 1970 of a stored UTC time: rows come back as plain floats (fast,
    and differences can be compared inside the query on both databases)."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", column), Float)
    # julianday carries ~10 µs of noise: round to the millisecond in SQL
    return cast(func.round((func.julianday(column) - 2440587.5) * 86400.0, 3), Float)
