"""`kefu bench reports`: a 30-day report over 1,000,000 events / 100,000 conversations.

    kefu bench reports --database-url postgresql://postgres@127.0.0.1:5432/kefu_bench \\
        [--conversations 100000] [--days 90] [--reset]

Fills a scratch database (PostgreSQL: COPY) with ``--conversations`` conversations of
ten events each, spread over ``--days`` days, then measures in the same run:

* ``report``  the real read model (queries/reports/report.load_report) for the last 30
  days: one aggregate per conversation in SQL, the rounds with window functions, bot
  outcomes, comments, then the figures in Python;
* ``naive``   the baseline: load every event of the tenant and compute the same first
  response median and conversation count in Python.

Both must agree on those figures (printed). `--reset` drops and recreates the public
schema first: use a scratch database only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from kefu.actions.context import Kefu
from kefu.clock import FakeClock
from kefu.queries.reports.report import load_report
from kefu.queries.reports.scope import ReportScope
from kefu.realtime.broker import InProcessBroker
from kefu.settings import Settings
from kefu.storage.database import Database, sync_url
from kefu.storage.migrate import upgrade
from kefu.storage.models import Agent, Conversation, Event, Tenant

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Shanghai")
CONV_COLUMNS = (
    "id", "tenant_id", "number", "public_id", "channel", "status", "priority", "subject",
    "assignee_id", "last_seq", "bot_state", "details", "rating", "first_responded_at",
    "first_response_due_at", "resolution_due_at", "resolved_at", "escalations_applied",
    "customer_read_seq", "agent_read_seq", "created_at", "updated_at",
)  # fmt: skip
EVENT_COLUMNS = (
    "tenant_id", "conversation_id", "seq", "type", "visibility", "author_type", "author_id",
    "body", "data", "created_at",
)  # fmt: skip


Step = tuple[datetime, str, str, int | None, dict[str, Any]]


def _bot(intent: str, confidence: float, reason: str) -> dict[str, Any]:
    return {"intent": intent, "confidence": confidence, "reason": reason}


def _events(i: int, t0: datetime, agent: int) -> list[Step]:
    """Ten events; every fifth conversation the bot keeps, the rest go to a person."""
    s = timedelta(seconds=1)
    wait = 20 + (i * 37) % 400  # seconds to the first human reply
    if i % 5 == 0:
        steps = [
            (0, "message", "customer", {}),
            (2, "bot_turn", "bot", _bot("order_status", 0.9, "answer")),
            (30, "message", "customer", {}),
            (32, "bot_turn", "bot", _bot("order_status", 0.8, "answer")),
            (60, "message", "customer", {}),
            (62, "bot_turn", "bot", _bot("thanks", 0.9, "greeting")),
            (90, "status_change", "system", {"from": "bot", "to": "resolved"}),
            (95, "rating", "customer", {"score": 4}), (100, "message", "customer", {}),
            (101, "bot_turn", "bot", _bot("thanks", 0.9, "greeting")),
        ]  # fmt: skip
    else:
        steps = [
            (0, "message", "customer", {}),
            (2, "bot_turn", "bot", _bot("recharge_not_received", 0.7, "answer")),
            (20, "message", "customer", {}), (22, "handoff", "system", {"reason": "human_agent"}),
            (22, "status_change", "system", {"from": "bot", "to": "queued"}),
            (22 + wait, "message", "agent", {}), (60 + wait, "message", "customer", {}),
            (120 + wait, "message", "agent", {}),
            (300 + wait, "status_change", "system", {"from": "assigned", "to": "resolved"}),
            (310 + wait, "rating", "customer", {"score": 5 if i % 3 else 2}),
        ]  # fmt: skip
    return [
        (t0 + at * s, kind, author, agent if author == "agent" else None, data)
        for at, kind, author, data in steps
    ]


def fill(url: str, n: int, days: int, reset: bool) -> tuple[int, int]:
    engine = create_engine(sync_url(url))
    if reset and engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(url)
    with engine.begin() as conn:
        tenant_id = conn.execute(
            insert(Tenant)
            .values(slug=f"bench{int(time.time())}", name="bench", widget_secret="x",
                    settings={}, created_at=NOW)
            .returning(Tenant.id)
        ).scalar_one()  # fmt: skip
        agent_id = conn.execute(
            insert(Agent)
            .values(tenant_id=tenant_id, agent_no=f"B{tenant_id}", email=f"b{tenant_id}@bench",
                    display_name="bench", role="agent", password_hash="x", created_at=NOW)
            .returning(Agent.id)
        ).scalar_one()  # fmt: skip
        first_id = (
            int(conn.execute(text("SELECT coalesce(max(id), 0) FROM conversations")).scalar_one())
            + 1
        )
    span = timedelta(days=days).total_seconds()
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        convs: list[tuple[object, ...]] = []
        events: list[tuple[object, ...]] = []
        for i in range(n):
            cid = first_id + i
            t0 = NOW - timedelta(seconds=span * (i + 1) / n)
            rows = _events(i, t0, agent_id)
            resolved = next(
                at
                for at, kind, _, _, d in rows
                if kind == "status_change" and d.get("to") == "resolved"
            )
            human = next((at for at, kind, author, _, _ in rows if author == "agent"), None)
            convs.append((
                cid, tenant_id, f"KF-B{tenant_id}-{i:07d}", f"b{tenant_id}x{i:08d}", "web",
                "resolved", 1, "", agent_id if human else None, 10, "{}", "{}",
                rows[-1][4].get("score") if rows[-1][1] == "rating" else 4, human,
                t0 + timedelta(minutes=10, seconds=22), t0 + timedelta(hours=2), resolved,
                0, 0, 0, t0, resolved,
            ))  # fmt: skip
            for seq, (at, kind, author, author_id, data) in enumerate(rows, 1):
                vis = "public"
                events.append((tenant_id, cid, seq, kind, vis, author, author_id, "",
                               json.dumps(data), at))  # fmt: skip
        copy_rows(cur, "conversations", CONV_COLUMNS, convs)
        copy_rows(cur, "events", EVENT_COLUMNS, events)
        raw.commit()
        if engine.dialect.name == "postgresql":
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('conversations', 'id'), "
                "(SELECT max(id) FROM conversations))"
            )
            cur.execute("ANALYZE conversations")
            cur.execute("ANALYZE events")
            raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return int(tenant_id), len(events)


def copy_rows(
    cur: object, table: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]
) -> None:
    """COPY on PostgreSQL (psycopg), executemany elsewhere."""
    if hasattr(cur, "copy"):
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns)
        cur.executemany(  # type: ignore[attr-defined]
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
            [
                tuple(v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in r)
                for r in rows
            ],
        )


async def naive(
    kefu: Kefu, tenant_id: int, start: datetime, end: datetime
) -> tuple[float, int, float | None]:
    """Every event of the tenant into Python; the first response median by hand."""
    t = time.perf_counter()
    async with kefu.db.read() as session:
        created = {
            cid: at
            for cid, at in (
                await session.execute(
                    select(Conversation.id, Conversation.created_at).where(
                        Conversation.tenant_id == tenant_id
                    )
                )
            ).all()
        }
        first_handoff: dict[int, datetime] = {}
        first_human: dict[int, datetime] = {}
        stmt = select(Event.conversation_id, Event.type, Event.author_type, Event.created_at).where(
            Event.tenant_id == tenant_id
        )
        for cid, kind, author, at in (await session.execute(stmt)).all():
            if kind == "handoff":
                first_handoff.setdefault(cid, at)
            elif kind == "message" and author == "agent":
                first_human.setdefault(cid, at)
    in_range = [cid for cid, at in created.items() if start <= at < end]
    waits = [
        (first_human[c] - first_handoff[c]).total_seconds()
        for c in in_range
        if c in first_human and c in first_handoff
    ]
    return time.perf_counter() - t, len(in_range), statistics.median(waits) if waits else None


async def run(url: str, n: int, days: int, reset: bool) -> None:
    t = time.perf_counter()
    tenant_id, n_events = fill(url, n, days, reset)
    print(
        f"filled {n} conversations, {n_events} events over {days} days "
        f"in {time.perf_counter() - t:.1f} s"
    )
    settings = Settings(env="test", database_url=url, data_dir=Path("./var"), log_json=False)
    kefu = Kefu(settings, Database(url), InProcessBroker(), FakeClock(NOW))
    today = NOW.astimezone(ZONE).date()
    scope = ReportScope(tenant_id, today - timedelta(days=29), today, ZONE)
    try:
        await load_report(kefu, scope)  # warm the caches and the connection pool
        timings = []
        for _ in range(3):
            t = time.perf_counter()
            report = await load_report(kefu, scope)
            timings.append(time.perf_counter() - t)
        naive_s, naive_n, naive_median = await naive(kefu, tenant_id, scope.start, scope.end)
    finally:
        await kefu.db.dispose()
    f = report.figures
    backend = make_url(url).get_backend_name()
    best = min(timings)
    print(f"reports on {backend}: 30 days of {n} conversations / {n_events} events")
    print(
        f"report   load_report, best of 3          {best * 1000:9.1f} ms  "
        f"(all: {', '.join(f'{x * 1000:.0f}' for x in timings)} ms)"
    )
    print(f"naive    every event into Python         {naive_s * 1000:9.1f} ms")
    print(
        f"figures  report: {f.conversations} conversations, "
        f"first response median {f.first_response.median} s, "
        f"3-min rounds {report.rounds.within_target}/{report.rounds.rounds}, CSAT {f.csat}"
    )
    print(f"         naive:  {naive_n} conversations, first response median {naive_median} s")
    agree = naive_n == f.conversations and naive_median == f.first_response.median
    print(f"agree: {'yes' if agree else 'NO'}")
    print(f"target: a 30-day report < 1 s -> {'OK' if best < 1.0 else 'MISSED'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kefu bench reports", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--reset", action="store_true", help="drop the schema first")
    args = parser.parse_args(argv)
    if make_url(args.database_url).database in ("test", "postgres"):
        parser.error("use a scratch database (e.g. kefu_bench), not test/postgres")
    asyncio.run(run(args.database_url, args.conversations, args.days, args.reset))
    return 0
