"""Throttles keyed on what is guessed, and on who guesses.

A guess at a secret (order number + phone digits, ticket number + digits, a one-time
code, a password) is counted against the thing guessed — `(tenant, order)`,
`(tenant, number)`, the e-mail address — *and* against the client address, so neither
fresh visitor identities nor spreading guesses over many numbers escapes the budget.
Anonymous writes (widget sessions, tickets, votes) are budgeted per client address.

The counts live in the database (`login_attempts`: key, succeeded, attempted_at), so
every process of a deployment shares them. Past the limit the answer is a 429 with a
`retry_after` that doubles with every further attempt (a captcha-free back-off),
capped at the window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.actions.context import Kefu, transaction
from kefu.errors import RateLimited
from kefu.storage.models import LoginAttempt


@dataclass(frozen=True)
class Budget:
    """`limit` counted attempts per `window`; `failures_only`: successes are free."""

    name: str
    limit: int
    window: timedelta
    failures_only: bool = True
    message_zh: str = "操作太频繁，请稍后再试"
    message_en: str = "too many requests, try again later"


VERIFY_ORDER = Budget(
    "verify-order", 5, timedelta(minutes=15), message_zh="验证失败次数过多，请 15 分钟后再试"
)
VERIFY_CLIENT = Budget(
    "verify-client", 10, timedelta(minutes=15), message_zh="验证失败次数过多，请 15 分钟后再试"
)
TRACK_NUMBER = Budget("track-number", 5, timedelta(minutes=15))
TRACK_CLIENT = Budget("track-client", 10, timedelta(minutes=15))
ANONYMOUS_WINDOW = timedelta(minutes=10)
AnonymousWrite = Literal["widget-session", "ticket", "vote"]


def anonymous_budget(kefu: Kefu, kind: AnonymousWrite) -> Budget:
    """Per-client budgets for anonymous writes (settings: KEFU_ANON_*_PER_10MIN; generous
    by default, because mobile carriers put many people behind one address)."""
    s = kefu.settings
    limit = {
        "widget-session": s.anon_sessions_per_10min,
        "ticket": s.anon_tickets_per_10min,
        "vote": s.anon_votes_per_10min,
    }[kind]
    return Budget(kind, limit, ANONYMOUS_WINDOW, failures_only=False)


def budget_key(budget: Budget, *parts: object) -> str:
    key = ":".join([budget.name, *(str(p) for p in parts)])
    return key.replace("\x00", "\\0")[:300]  # PostgreSQL refuses NUL in text


async def attempts_in_window(session: AsyncSession, budget: Budget, key: str, now: datetime) -> int:
    query = select(func.count(LoginAttempt.id)).where(
        LoginAttempt.key == key,
        LoginAttempt.attempted_at > now - budget.window,
        LoginAttempt.attempted_at <= now,
    )
    if budget.failures_only:
        query = query.where(LoginAttempt.succeeded.is_(False))
    return int((await session.execute(query)).scalar_one())


def throttled(budget: Budget, over_by: int) -> RateLimited:
    """Retry after 1, 2, 4, 8 ... seconds past the limit, capped at the window."""
    retry = min(budget.window.total_seconds(), float(2 ** min(over_by, 20)))
    err = RateLimited(retry_after=retry)
    err.code = f"{budget.name.replace('-', '_')}_throttled"
    err.message_zh = budget.message_zh
    err.message_en = budget.message_en
    return err


async def guard(kefu: Kefu, checks: list[tuple[Budget, str]]) -> None:
    """Raise RateLimited if any (budget, key) is spent. The refused attempt is recorded
    as a failure against that key, so hammering on a spent budget doubles the wait."""
    now = kefu.clock.now()
    refused: RateLimited | None = None
    async with transaction(kefu) as tx:
        for budget, key in checks:
            used = await attempts_in_window(tx.session, budget, key, now)
            if used >= budget.limit:
                refused = throttled(budget, used - budget.limit)
                record_attempts(tx.session, [key], False, now)
                break
    if refused is not None:
        raise refused


def record_attempts(session: AsyncSession, keys: list[str], succeeded: bool, now: datetime) -> None:
    for key in keys:
        session.add(LoginAttempt(key=key, succeeded=succeeded, attempted_at=now))


async def record(kefu: Kefu, keys: list[str], succeeded: bool) -> None:
    async with transaction(kefu) as tx:
        record_attempts(tx.session, keys, succeeded, tx.now)


async def spend(kefu: Kefu, budget: Budget, key: str) -> None:
    """One anonymous write against a per-client budget: refused (429, growing wait)
    once the budget is spent, counted otherwise."""
    await guard(kefu, [(budget, key)])
    await record(kefu, [key], True)


async def spend_anonymous(kefu: Kefu, kind: AnonymousWrite, tenant_slug: str, client: str) -> None:
    budget = anonymous_budget(kefu, kind)
    await spend(kefu, budget, budget_key(budget, tenant_slug, client))
