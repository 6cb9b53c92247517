"""`kefu bench sweeper`: the SLA sweeper with 100,000 open conversations.

    kefu bench sweeper --database-url postgresql://postgres@127.0.0.1:5432/kefu_bench \\
        [--open 100000] [--due 1000] [--reset]

Fills a scratch database with `--open` open conversations of which `--due` have just
crossed their 80 % warning point, then measures in the same run:

* ``idle``   one sweep when nothing is due (the index probe every tick pays);
* ``sweep``  the real sweeper (`escalation.sweep_all_due`): claims the due rows with
  SKIP LOCKED, re-evaluates them and writes one `sla_warning` event each;
* ``noindex`` the same due-row query with index scans disabled (PostgreSQL only);
* ``naive``  the baseline without stored deadlines: load every open conversation and
  evaluate its clocks in Python.

`--reset` drops and recreates the public schema first: use a scratch database only.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from kefu.actions.context import Kefu
from kefu.actions.escalation import sweep_all_due
from kefu.actions.sla_tracking import evaluate, tenant_sla
from kefu.clock import FakeClock
from kefu.domain.conversation_state import OPEN_STATUSES
from kefu.realtime.broker import InProcessBroker
from kefu.settings import Settings
from kefu.storage.database import Database, sync_url
from kefu.storage.migrate import upgrade
from kefu.storage.models import Conversation, Tenant

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def fill(url: str, n_open: int, n_due: int, reset: bool) -> int:
    engine = create_engine(sync_url(url))
    if reset and engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(url)
    tag = secrets.token_hex(3)
    with engine.begin() as conn:
        tenant_id = conn.execute(
            insert(Tenant)
            .values(
                slug=f"bench{tag}", name="bench", widget_secret="x", settings={}, created_at=NOW
            )
            .returning(Tenant.id)
        ).scalar_one()
        rows = []
        for i in range(n_open):
            due = i < n_due
            created = NOW - (
                timedelta(minutes=8, seconds=30) if due else timedelta(seconds=i % 420)
            )
            rows.append(
                {
                    "tenant_id": tenant_id,
                    "number": f"B{tag}-{i:07d}",
                    "public_id": f"b{tag}{i:07d}",
                    "channel": "web",
                    "status": "queued" if i % 3 else "assigned",
                    "priority": 1,
                    "subject": "",
                    "last_seq": 0,
                    "bot_state": {},
                    "details": {},
                    "queued_at": created,
                    "first_response_due_at": created + timedelta(minutes=10),
                    "resolution_due_at": created + timedelta(hours=2),
                    "next_sla_check_at": created + timedelta(minutes=8),
                    "sla_status": "ok",
                    "escalations_applied": 0,
                    "customer_read_seq": 0,
                    "agent_read_seq": 0,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            if len(rows) == 5000:
                conn.execute(insert(Conversation), rows)
                rows = []
        if rows:
            conn.execute(insert(Conversation), rows)
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE conversations"))
    engine.dispose()
    return int(tenant_id)


def timed_query(url: str, disable_index: bool) -> float:
    engine = create_engine(sync_url(url))
    stmt = select(Conversation.id).where(Conversation.next_sla_check_at <= NOW)
    with engine.begin() as conn:
        if disable_index and engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL enable_indexscan = off"))
            conn.execute(text("SET LOCAL enable_bitmapscan = off"))
        conn.execute(stmt).all()  # warm
        t = time.perf_counter()
        conn.execute(stmt).all()
        elapsed = time.perf_counter() - t
    engine.dispose()
    return elapsed


async def naive(kefu: Kefu, tenant_id: int) -> tuple[float, int]:
    """Without stored check times: load every open conversation, evaluate each."""
    conf = tenant_sla({})
    t = time.perf_counter()
    due = 0
    async with kefu.db.read() as session:
        stmt = select(Conversation).where(
            Conversation.tenant_id == tenant_id,
            Conversation.status.in_([s.value for s in OPEN_STATUSES]),
        )
        for conv in (await session.execute(stmt)).scalars():
            result = evaluate(conf, conv, [], NOW)
            if result is not None and result.state.overall.label != conv.sla_status:
                due += 1
    return time.perf_counter() - t, due


async def run(url: str, n_open: int, n_due: int, reset: bool) -> None:
    t = time.perf_counter()
    tenant_id = fill(url, n_open, n_due, reset)
    print(f"filled {n_open} open conversations ({n_due} due) in {time.perf_counter() - t:.1f} s")
    settings = Settings(env="test", database_url=url, data_dir=Path("./var"), log_json=False)
    kefu = Kefu(settings, Database(url), InProcessBroker(), FakeClock(NOW))
    try:
        naive_s, naive_due = await naive(kefu, tenant_id)
        kefu.clock.set(NOW - timedelta(hours=1))  # type: ignore[attr-defined]
        t = time.perf_counter()
        await sweep_all_due(kefu)
        idle_s = time.perf_counter() - t
        kefu.clock.set(NOW)  # type: ignore[attr-defined]
        t = time.perf_counter()
        result = await sweep_all_due(kefu)
        sweep_s = time.perf_counter() - t
    finally:
        await kefu.db.dispose()
    index_s = timed_query(url, disable_index=False)
    noindex_s = timed_query(url, disable_index=True)
    backend = make_url(url).get_backend_name()
    print(f"sweeper on {backend}: {n_open} open conversations, {n_due} due")
    print(f"idle     one tick, nothing due           {idle_s * 1000:9.1f} ms")
    print(
        f"sweep    {result.checked} rows, {result.warnings} warnings written "
        f"{sweep_s * 1000:9.1f} ms  ({sweep_s / max(1, result.checked) * 1000:.2f} ms/row)"
    )
    print(f"query    due rows via index              {index_s * 1000:9.1f} ms")
    print(f"noindex  due rows, index scans disabled  {noindex_s * 1000:9.1f} ms")
    print(f"naive    evaluate every open row ({naive_due} due) {naive_s * 1000:9.1f} ms")
    verdict = "OK" if sweep_s < 1.0 else "MISSED"
    print(f"target: a sweep over {n_open} open conversations < 1 s -> {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kefu bench sweeper", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--reset", action="store_true", help="drop the schema first")
    args = parser.parse_args(argv)
    if make_url(args.database_url).database in ("test", "postgres"):
        parser.error("use a scratch database (e.g. kefu_bench), not test/postgres")
    asyncio.run(run(args.database_url, args.open, args.due, args.reset))
    return 0
