"""The jobs table: a due job runs once; a failing one is retried later, then fails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kefu.actions.context import Kefu, transaction
from kefu.jobs import handlers, queue
from kefu.storage.models import Job
from tests.routing.support import Desk

pytestmark = pytest.mark.anyio

RAN: list[int] = []


async def record(kefu: Kefu, job: Job) -> None:
    if job.payload.get("fail"):
        raise RuntimeError("upstream down")
    RAN.append(int(job.payload["n"]))


async def _job(desk: Desk, job_id: int) -> Job:
    async with desk.kefu.db.read() as session:
        job = (await session.execute(select(Job).where(Job.id == job_id))).scalar_one()
        return job


async def test_jobs_run_when_due_and_retry(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(handlers.JOB_HANDLERS, "test.record", "tests.routing.test_jobs:record")
    async with transaction(desk.kefu) as tx:
        later = queue.enqueue(tx, "test.record", {"n": 1}, run_at=tx.now + timedelta(minutes=5))
        failing = queue.enqueue(tx, "test.record", {"fail": True})
        await tx.session.flush()
        later_id, failing_id = later.id, failing.id
    RAN.clear()
    await queue.run_due_jobs(desk.kefu, limit=1000)
    assert RAN == []
    job = await _job(desk, failing_id)
    assert (
        job.status == "pending" and job.attempts == 1 and "upstream down" in (job.last_error or "")
    )
    desk.clock.advance(minutes=6)
    await queue.run_due_jobs(desk.kefu, limit=1000)
    assert RAN == [1]
    assert (await _job(desk, later_id)).status == "done"
    for _ in range(queue.MAX_ATTEMPTS):
        desk.clock.advance(hours=2)
        await queue.run_due_jobs(desk.kefu, limit=1000)
    job = await _job(desk, failing_id)
    assert job.status == "failed" and job.attempts == queue.MAX_ATTEMPTS
