"""The jobs table: a due job runs once; a failing one is retried later, then fails;
one (kind, key) is enqueued once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kefu.actions import outbox
from kefu.actions.context import Kefu, transaction
from kefu.jobs import queue
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
    kind = outbox.JobKind("tests.routing.test_jobs:record", "测试", max_attempts=4, fallback=None)
    monkeypatch.setitem(outbox.JOB_KINDS, "test.record", kind)
    async with transaction(desk.kefu) as tx:
        later = await outbox.enqueue(
            tx, "test.record", "later", {"n": 1}, run_at=tx.now + timedelta(minutes=5)
        )
        failing = await outbox.enqueue(tx, "test.record", "failing", {"fail": True}, run_at=tx.now)
        again = await outbox.enqueue(tx, "test.record", "later", {"n": 2})
        assert later is not None and failing is not None and again is None
        await tx.session.flush()
        later_id, failing_id = later.id, failing.id
    RAN.clear()
    await queue.run_due_jobs(desk.kefu, limit=1000)
    assert RAN == []
    job = await _job(desk, failing_id)
    assert (
        job.status == "pending" and job.attempts == 1 and "upstream down" in (job.last_error or "")
    )
    # exponential backoff: 10 s after the first failure, 20 s after the second
    assert job.run_at == desk.clock.now() + timedelta(seconds=10)
    desk.clock.advance(minutes=6)
    await queue.run_due_jobs(desk.kefu, limit=1000)
    assert RAN == [1]
    assert (await _job(desk, later_id)).status == "done"
    job = await _job(desk, failing_id)
    assert job.attempts == 2 and job.run_at == desk.clock.now() + timedelta(seconds=20)
    for _ in range(kind.max_attempts):
        desk.clock.advance(hours=2)
        await queue.run_due_jobs(desk.kefu, limit=1000)
    job = await _job(desk, failing_id)
    assert job.status == "failed" and job.attempts == kind.max_attempts
    async with transaction(desk.kefu) as tx:
        assert await outbox.enqueue(tx, "test.record", "later", {"n": 3}) is None
    await queue.run_due_jobs(desk.kefu, limit=1000)
    assert RAN == [1]
