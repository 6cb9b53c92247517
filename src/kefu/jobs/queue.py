"""The job runner's side of the outbox (actions/outbox.py): claim due jobs with SKIP
LOCKED on PostgreSQL and run them.

A job is claimed (status `running`, attempts + 1, run_at pushed to a lease deadline) in
one short transaction and run outside it; the outcome (done, a retry with exponential
backoff, or `failed` and the kind's fallback after its last attempt) is recorded by
``outbox.run_job``. Due jobs are `pending` ones whose run_at passed (new ones wait out
the fast path's grace; retries their backoff) and `running` ones whose lease expired
(a process died mid-job: at-least-once, and handlers are idempotent by their key).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import or_, select

from kefu.actions.context import Kefu, transaction
from kefu.actions.outbox import run_job
from kefu.storage.models import Job

log = logging.getLogger("kefu.jobs")

LEASE = timedelta(minutes=5)


async def claim_jobs(kefu: Kefu, *, limit: int = 20) -> list[Job]:
    async with transaction(kefu) as tx:
        stmt = (
            select(Job)
            .where(
                or_(Job.status == "pending", Job.status == "running"),
                Job.run_at <= tx.now,
            )
            .order_by(Job.run_at, Job.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        jobs = list((await tx.session.execute(stmt)).scalars())
        for job in jobs:
            job.status = "running"
            job.attempts += 1
            job.run_at = tx.now + LEASE
        return jobs


async def run_due_jobs(kefu: Kefu, *, limit: int = 20) -> int:
    """Claim and run one batch. Returns how many jobs ran."""
    jobs = await claim_jobs(kefu, limit=limit)
    for job in jobs:
        await run_job(kefu, job, counted=True)
    return len(jobs)
