"""The jobs table: durable timed work, claimed with SKIP LOCKED on PostgreSQL.

A handler is an ``async def handler(kefu: Kefu, job: Job) -> None`` listed by dotted
path in jobs/handlers.py. A job is claimed (status `running`, attempts + 1, run_at
pushed to a lease deadline) in one short transaction and run outside it; success marks
it `done`, an exception schedules a retry with exponential backoff, and after
MAX_ATTEMPTS it is `failed` with the error kept. A process that dies mid-job leaves a
`running` row whose lease expires: another worker takes it again (at-least-once).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from kefu.actions.context import Kefu, Tx, transaction
from kefu.jobs.handlers import JOB_HANDLERS
from kefu.storage.models import Job

log = logging.getLogger("kefu.jobs")

MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=5)
Handler = Callable[[Kefu, Job], Awaitable[None]]


def enqueue(
    tx: Tx,
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    tenant_id: int | None = None,
) -> Job:
    """Add a job in the caller's transaction (it exists only if the write commits)."""
    job = Job(
        tenant_id=tenant_id,
        kind=kind,
        payload=payload,
        status="pending",
        run_at=run_at or tx.now,
        attempts=0,
        created_at=tx.now,
    )
    tx.session.add(job)
    return job


def resolve_handler(kind: str) -> Handler:
    path = JOB_HANDLERS.get(kind)
    if path is None:
        raise LookupError(f"no handler for job kind {kind!r}")
    module_name, _, attr = path.partition(":")
    handler: Handler = getattr(importlib.import_module(module_name), attr)
    return handler


async def claim_jobs(kefu: Kefu, *, limit: int = 20) -> list[Job]:
    async with transaction(kefu) as tx:
        stmt = (
            select(Job)
            .where(
                or_(Job.status == "pending", Job.status == "running"),
                Job.run_at <= tx.now,
            )
            .order_by(Job.run_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        jobs = list((await tx.session.execute(stmt)).scalars())
        for job in jobs:
            job.status = "running"
            job.attempts += 1
            job.run_at = tx.now + LEASE
        return jobs


async def _finish(kefu: Kefu, job_id: int, error: str | None) -> None:
    async with transaction(kefu) as tx:
        job = await tx.session.get(Job, job_id, with_for_update=True)
        if job is None:
            return
        if error is None:
            job.status = "done"
            job.last_error = None
        elif job.attempts >= MAX_ATTEMPTS:
            job.status = "failed"
            job.last_error = error[:2000]
        else:
            job.status = "pending"
            job.last_error = error[:2000]
            job.run_at = tx.now + timedelta(seconds=30 * 2 ** (job.attempts - 1))


async def run_due_jobs(kefu: Kefu, *, limit: int = 20) -> int:
    """Claim and run one batch. Returns how many jobs ran."""
    jobs = await claim_jobs(kefu, limit=limit)
    for job in jobs:
        error: str | None = None
        try:
            await resolve_handler(job.kind)(kefu, job)
        except Exception as exc:
            log.exception("job failed", extra={"job_id": job.id, "kind": job.kind})
            error = f"{type(exc).__name__}: {exc}"
        await _finish(kefu, job.id, error)
    return len(jobs)
