"""Follow-ups of a committed write are jobs (the outbox): a failing bot / routing / mail
follow-up is retried with backoff, and when it keeps failing the customer still reaches a
person and staff see why; a crash between the commit and the follow-up is picked up by
the runner; the idempotency key keeps the bot from answering twice.

Fault injection: the real handler function is replaced in its module (the registry looks
it up at every run) by one that raises a fixed number of times, then calls the real one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from kefu.actions import bot_turns, notifications, outbox, queueing
from kefu.actions.bot_turns import BOT_FAILED_APOLOGY
from kefu.actions.console_presence import do_open_console
from kefu.actions.context import Actor, ActorKind, Kefu, Role, transaction
from kefu.clock import FakeClock
from kefu.jobs.queue import run_due_jobs
from kefu.jobs.runner import tick
from kefu.storage.models import Conversation, Job
from tests.api.conftest import kefu_of
from tests.helpcenter.conftest import file_ticket
from tests.world import As, World

Handler = Callable[[Kefu, Job], Awaitable[None]]


class Flaky:
    """Raises for the first `failures` calls, then runs the real handler. Jobs of other
    tenants (left in the shared test database by earlier tests) just fail, uncounted."""

    def __init__(self, real: Handler, failures: int, tenant_id: int) -> None:
        self.real, self.failures, self.tenant_id, self.calls = real, failures, tenant_id, 0

    async def __call__(self, kefu: Kefu, job: Job) -> None:
        if job.tenant_id != self.tenant_id:
            raise RuntimeError("not this test's job")
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError(f"injected failure {self.calls}")
        await self.real(kefu, job)


def call(client: TestClient, fn: Callable[..., Awaitable[Any]], *args: Any, **kw: Any) -> Any:
    assert client.portal is not None
    return client.portal.call(lambda: fn(*args, **kw))


def jobs(client: TestClient, kind: str, conversation_id: int | None = None) -> list[Job]:
    async def load() -> list[Job]:
        async with kefu_of(client).db.read() as session:
            stmt = select(Job).where(Job.kind == kind).order_by(Job.id)
            if conversation_id is not None:
                stmt = stmt.where(Job.conversation_id == conversation_id)
            return list((await session.execute(stmt)).scalars())

    return list(call(client, load))


def conv_row_id(client: TestClient, public_id: str) -> int:
    async def load() -> int:
        async with kefu_of(client).db.read() as session:
            stmt = select(Conversation.id).where(Conversation.public_id == public_id)
            return int((await session.execute(stmt)).scalar_one())

    return int(call(client, load))


def conv_public_id(client: TestClient, row_id: int) -> str:
    async def load() -> str:
        async with kefu_of(client).db.read() as session:
            stmt = select(Conversation.public_id).where(Conversation.id == row_id)
            return str((await session.execute(stmt)).scalar_one())

    return str(call(client, load))


def events(party: As, cid: str) -> list[dict[str, Any]]:
    r = party.get(f"/api/v1/conversations/{cid}/events")
    assert r.status_code == 200, r.text
    return list(r.json()["events"])


def status(party: As, cid: str) -> str:
    r = party.get(f"/api/v1/conversations/{cid}")
    assert r.status_code == 200, r.text
    return str(r.json()["status"])


def start_chat(customer: As, body: str = "在吗") -> str:
    r = customer.post("/api/v1/conversations", json={"body": body})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_failing_bot_turn_is_retried_with_backoff_then_answers(
    client: TestClient, world: World, customer: As, clock: FakeClock, monkeypatch: Any
) -> None:
    flaky = Flaky(bot_turns.run_bot_job, failures=2, tenant_id=world.tenant_id)
    monkeypatch.setattr(bot_turns, "run_bot_job", flaky)
    cid = start_chat(customer, "充值没到账怎么办")
    assert [e["type"] for e in events(customer, cid)] == ["message"]
    (job,) = jobs(client, "bot.answer", conv_row_id(client, cid))
    assert (
        job.status == "pending"
        and job.attempts == 1
        and "injected failure 1" in (job.last_error or "")
    )
    clock.advance(seconds=9)  # the first retry waits 10 s
    call(client, tick, kefu_of(client))
    assert flaky.calls == 1
    clock.advance(seconds=2)
    call(client, tick, kefu_of(client))
    assert flaky.calls == 2
    (job,) = jobs(client, "bot.answer", conv_row_id(client, cid))
    assert job.attempts == 2 and job.status == "pending"
    clock.advance(seconds=21)  # then 20 s
    call(client, tick, kefu_of(client))
    assert flaky.calls == 3
    (job,) = jobs(client, "bot.answer", conv_row_id(client, cid))
    assert job.status == "done" and job.attempts == 3
    timeline = events(customer, cid)
    assert [e["type"] for e in timeline] == ["message", "bot_turn"]
    assert status(customer, cid) == "bot"


def test_bot_that_keeps_failing_hands_the_customer_to_a_person_with_an_apology(
    client: TestClient, world: World, customer: As, alice: As, clock: FakeClock, monkeypatch: Any
) -> None:
    flaky = Flaky(bot_turns.run_bot_job, failures=100, tenant_id=world.tenant_id)
    monkeypatch.setattr(bot_turns, "run_bot_job", flaky)
    cid = start_chat(customer, "我的卡密无效")
    for _ in range(3):
        clock.advance(minutes=1)
        call(client, tick, kefu_of(client))
    assert flaky.calls == 3  # the fast path, then two retries: bot.answer allows 3
    (job,) = jobs(client, "bot.answer", conv_row_id(client, cid))
    assert job.status == "failed" and "injected failure 3" in (job.last_error or "")
    assert status(customer, cid) == "queued"
    seen = events(customer, cid)
    apology = [e for e in seen if e["type"] == "bot_turn"]
    assert [a["body"] for a in apology] == [BOT_FAILED_APOLOGY]
    # the reason is for staff (customers see the handoff without it)
    staff_view = events(alice, cid)
    assert any(
        e["type"] == "handoff" and e["data"].get("reason") == "bot_failed" for e in staff_view
    )
    assert not any(e["visibility"] == "internal" for e in seen)  # the note is for staff
    notes = [e for e in events(alice, cid) if e["type"] == "note"]
    assert len(notes) == 1 and "机器人连续 3 次未能回复" in notes[0]["body"]
    page = alice.get(f"/console/partials/conversation/{cid}")
    assert page.status_code == 200 and "机器人连续 3 次未能回复" in page.text
    assert "机器人故障" in page.text  # the handoff reason, in words
    # once it gave up, nothing runs it again
    clock.advance(hours=1)
    call(client, tick, kefu_of(client))
    assert flaky.calls == 3


def test_a_crash_between_commit_and_follow_up_leaves_the_job_to_the_runner(
    client: TestClient, world: World, customer: As, clock: FakeClock, monkeypatch: Any
) -> None:
    async def crashed(kefu: Kefu, jobs: list[Job]) -> None:
        return None  # the process died right after the commit: no fast path

    monkeypatch.setattr(outbox, "run_fast", crashed)
    cid = start_chat(customer, "充值没到账")
    (job,) = jobs(client, "bot.answer", conv_row_id(client, cid))
    assert job.status == "pending" and job.attempts == 0
    call(client, tick, kefu_of(client))  # within the fast path's grace: left alone
    assert [e["type"] for e in events(customer, cid)] == ["message"]
    monkeypatch.undo()
    clock.advance(seconds=16)
    call(client, tick, kefu_of(client))
    assert [e["type"] for e in events(customer, cid)] == ["message", "bot_turn"]
    (job,) = jobs(client, "bot.answer", conv_row_id(client, cid))
    assert job.status == "done" and job.attempts == 1


def test_the_idempotency_key_prevents_a_double_bot_answer(
    client: TestClient, world: World, customer: As, clock: FakeClock
) -> None:
    cid = start_chat(customer, "充值没到账")
    assert [e["type"] for e in events(customer, cid)] == ["message", "bot_turn"]
    (job,) = jobs(client, "bot.answer", conv_row_id(client, cid))
    assert job.status == "done"
    kefu = kefu_of(client)
    # the same job run again (e.g. a runner that took it while the fast path ran)
    assert call(client, outbox.run_job, kefu, job, counted=True) == "done"

    async def lose_the_done_mark() -> None:  # and even if its row said "pending" again
        async with transaction(kefu) as tx:
            row = await tx.session.get(Job, job.id)
            assert row is not None
            row.status, row.run_at = "pending", tx.now

    call(client, lose_the_done_mark)
    call(client, tick, kefu)
    assert [e["type"] for e in events(customer, cid)] == ["message", "bot_turn"]

    async def enqueue_again() -> Job | None:
        async with transaction(kefu) as tx:
            return await outbox.enqueue(tx, "bot.answer", job.key or "", dict(job.payload))

    assert call(client, enqueue_again) is None  # (kind, key) exists: never a second row
    assert len(jobs(client, "bot.answer", conv_row_id(client, cid))) == 1


def test_failing_routing_pass_is_retried_and_then_assigns(
    client: TestClient, world: World, customer: As, alice: As, clock: FakeClock, monkeypatch: Any
) -> None:
    staff = Actor(ActorKind.STAFF, world.tenant_id, agent_id=world.agents["alice"], role=Role.AGENT)
    # what the console socket does on hello (a long lease: this test travels in time)
    call(client, do_open_console, kefu_of(client), staff, f"outbox-{world.tenant_id}", 10**6)
    r = alice.put("/api/v1/agents/me/presence", json={"presence": "online"})
    assert r.status_code == 200, r.text
    flaky = Flaky(queueing.run_queue_job, failures=2, tenant_id=world.tenant_id)
    monkeypatch.setattr(queueing, "run_queue_job", flaky)
    cid = start_chat(customer, "在吗")
    r = customer.post(f"/api/v1/conversations/{cid}/handoff", json={"reason": "button"})
    assert r.status_code == 200, r.text
    assert status(customer, cid) == "queued"  # the pass failed in the fast path
    (job,) = jobs(client, "queue.pass", conv_row_id(client, cid))
    assert job.status == "pending" and job.attempts == 1
    clock.advance(seconds=11)
    call(client, run_due_jobs, kefu_of(client), limit=10_000)
    assert status(customer, cid) == "queued" and flaky.calls == 2
    clock.advance(seconds=21)
    call(client, run_due_jobs, kefu_of(client), limit=10_000)
    assert flaky.calls == 3 and status(customer, cid) == "assigned"
    (job,) = jobs(client, "queue.pass", conv_row_id(client, cid))
    assert job.status == "done" and job.attempts == 3


def test_routing_pass_that_keeps_failing_is_shown_to_staff(
    client: TestClient, world: World, customer: As, alice: As, clock: FakeClock, monkeypatch: Any
) -> None:
    flaky = Flaky(queueing.run_queue_job, failures=100, tenant_id=world.tenant_id)
    monkeypatch.setattr(queueing, "run_queue_job", flaky)
    cid = start_chat(customer, "在吗")
    customer.post(f"/api/v1/conversations/{cid}/handoff", json={"reason": "button"})
    for _ in range(5):
        clock.advance(minutes=5)
        call(client, run_due_jobs, kefu_of(client), limit=10_000)
    (job,) = jobs(client, "queue.pass", conv_row_id(client, cid))
    assert job.status == "failed" and job.attempts == 5
    assert status(customer, cid) == "queued"  # still waiting for a person, in the queue
    notes = [e for e in events(alice, cid) if e["type"] == "note"]
    assert len(notes) == 1 and "自动分配" in notes[0]["body"]


def test_failing_mail_is_retried_then_sent_once(
    client: TestClient, world: World, smtp_server: Any, clock: FakeClock, monkeypatch: Any
) -> None:
    flaky = Flaky(notifications.run_email_job, failures=2, tenant_id=world.tenant_id)
    monkeypatch.setattr(notifications, "run_email_job", flaky)
    file_ticket(client, world.slug)
    assert len(smtp_server.handler.received) == 0
    clock.advance(seconds=61)  # mail waits 1 min, then 2
    call(client, run_due_jobs, kefu_of(client), limit=10_000)
    assert flaky.calls == 2 and len(smtp_server.handler.received) == 0
    clock.advance(seconds=121)
    call(client, run_due_jobs, kefu_of(client), limit=10_000)
    assert flaky.calls == 3 and len(smtp_server.handler.received) == 1
    (job,) = [j for j in jobs(client, "email.notify") if j.tenant_id == world.tenant_id]
    assert job.status == "done" and job.attempts == 3
    assert smtp_server.handler.received[0].rcpt_tos == ["buyer@example.com"]


def test_mail_that_keeps_failing_is_visible_to_staff(
    client: TestClient,
    world: World,
    smtp_server: Any,
    clock: FakeClock,
    monkeypatch: Any,
) -> None:
    flaky = Flaky(notifications.run_email_job, failures=100, tenant_id=world.tenant_id)
    monkeypatch.setattr(notifications, "run_email_job", flaky)
    t = file_ticket(client, world.slug)
    for _ in range(8):
        clock.advance(hours=3)
        call(client, run_due_jobs, kefu_of(client), limit=10_000)
    (job,) = [j for j in jobs(client, "email.notify") if j.tenant_id == world.tenant_id]
    assert job.status == "failed" and job.attempts == 8 and flaky.calls == 8
    assert job.conversation_id is not None
    public_id = conv_public_id(client, job.conversation_id)
    alice = As.staff(client, world.emails["alice"])  # a day later: a fresh sign-in
    notes = [e for e in events(alice, public_id) if e["type"] == "note"]
    assert len(notes) == 1 and "工单受理邮件发送失败" in notes[0]["body"]
    assert t["number"] in alice.get(f"/api/v1/conversations/{public_id}").text
    assert len(smtp_server.handler.received) == 0
