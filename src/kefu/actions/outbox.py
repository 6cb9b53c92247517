"""The outbox: every follow-up of a committed write is a ``jobs`` row written in the same
transaction, so it exists exactly when the write does (docs/outbox.md).

A follow-up is enqueued with a kind and an idempotency key (unique per kind: the row
for a cause is written once). Right after the commit the fast path runs it at once in
this process (the bot still answers in milliseconds); the row stays ``pending`` with
``run_at`` a short grace ahead, so if the process dies first the job runner
(``jobs.queue.run_due_jobs``) takes it. A handler that writes marks its job done in its
own transaction (``mark_done``), so its effect and "done" commit together and a second
run of the same job does nothing. A failure is retried with exponential backoff; after
the kind's last attempt the job is ``failed`` and the kind's fallback runs (the bot's:
apologise and queue the customer for a person) and staff see an internal note.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from kefu.actions.context import Kefu, Tx, transaction
from kefu.actions.timeline import append_event
from kefu.domain.conversation_state import AuthorType, EventType, Visibility
from kefu.storage.models import Conversation, Job

log = logging.getLogger("kefu.outbox")

Handler = Callable[[Kefu, Job], Awaitable[None]]


@dataclass(frozen=True)
class JobKind:
    """How one kind of follow-up runs. Paths are ``module:function`` (imported lazily,
    looked up at every run, so a module attribute can be replaced in a test)."""

    handler: str
    label_zh: str
    max_attempts: int = 5
    backoff: timedelta = timedelta(seconds=10)  # first retry; doubled each time
    grace: timedelta = timedelta(seconds=15)  # the fast path's head start on the runner
    fallback: str | None = "kefu.actions.outbox:note_failure"
    #: In an HTTP request, the fast path runs it once the response is sent (a slow third
    #: party such as SMTP must not hold the reply up); elsewhere right after the commit.
    after_response: bool = False


JOB_KINDS: dict[str, JobKind] = {
    "bot.answer": JobKind(
        "kefu.actions.bot_turns:run_bot_job",
        "机器人回复",
        max_attempts=3,
        fallback="kefu.actions.bot_turns:bot_gave_up",
    ),
    "queue.pass": JobKind("kefu.actions.queueing:run_queue_job", "自动分配"),
    "sla.refresh": JobKind("kefu.actions.sla_tracking:run_sla_job", "SLA 计时"),
    "email.notify": JobKind(
        "kefu.actions.notifications:run_email_job",
        "邮件通知",
        max_attempts=8,
        backoff=timedelta(minutes=1),
        grace=timedelta(minutes=2),
        fallback="kefu.actions.notifications:email_gave_up",
        after_response=True,
    ),
    # WeChat (docs/wechat.md): pull 微信客服 messages after a doorbell; take one Official
    # Account push; send one answer within the reply window
    "wecom.sync": JobKind("kefu.actions.wechat_kf:run_sync_job", "微信客服拉取消息"),
    "oa.inbound": JobKind("kefu.actions.wechat_oa:run_inbound_job", "公众号消息接收"),
    "wechat.send": JobKind("kefu.actions.wechat_delivery:run_send_job", "微信消息发送"),
    # order look-ups when a callback may have been lost (docs/orders.md, polling)
    "orders.poll": JobKind("kefu.actions.order_polls:run_poll_job", "订单定时查询", fallback=None),
    # card codes re-sent to the order's own contact (docs/orders.md)
    "order.codes_mail": JobKind(
        "kefu.actions.card_codes_mail:run_codes_mail_job",
        "卡密重发邮件",
        max_attempts=8,
        backoff=timedelta(minutes=1),
        grace=timedelta(minutes=2),
        after_response=True,
    ),
    # outgoing webhooks (docs/webhooks.md): one signed POST of a delivery
    "webhook.deliver": JobKind(
        "kefu.actions.webhook_delivery:run_webhook_job",
        "Webhook 投递",
        max_attempts=8,
        backoff=timedelta(seconds=30),
        grace=timedelta(minutes=1),
        fallback="kefu.actions.webhook_delivery:webhook_gave_up",
        after_response=True,
    ),
    "staff.mail": JobKind(
        "kefu.actions.staff_mail:run_staff_mail_job",
        "员工邮件（密码重置、安全提醒）",
        max_attempts=8,
        backoff=timedelta(minutes=1),
        grace=timedelta(minutes=2),
        fallback=None,
    ),
}


class GiveUp(Exception):
    """Raised by a handler when retrying cannot help (e.g. a mailbox that does not exist)."""


def resolve(path: str) -> Any:
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)


async def enqueue(
    tx: Tx,
    kind: str,
    key: str,
    payload: dict[str, Any],
    *,
    tenant_id: int | None = None,
    conversation_id: int | None = None,
    fast_path: bool = True,
    run_at: datetime | None = None,
) -> Job | None:
    """Add a follow-up in the caller's transaction; None when (kind, key) already exists.
    With ``fast_path`` (and no ``run_at``) it runs right after the commit; the runner
    leaves it alone until ``run_at`` (default: the kind's grace from now)."""
    spec = JOB_KINDS[kind]
    if any(j.kind == kind and j.key == key for j in tx.jobs):
        return None
    existing = (
        await tx.session.execute(select(Job.id).where(Job.kind == kind, Job.key == key))
    ).first()
    if existing is not None:
        return None
    job = Job(
        tenant_id=tenant_id,
        kind=kind,
        key=key[:200],
        conversation_id=conversation_id,
        payload=payload,
        status="pending",
        run_at=run_at or tx.now + spec.grace,
        attempts=0,
        created_at=tx.now,
    )
    tx.session.add(job)
    tx.jobs.append(job)
    if fast_path and run_at is None:
        tx.fast_jobs.append(job)
    return job


async def mark_done(tx: Tx, job_id: int | None) -> bool:
    """In the handler's own write: lock the job; False if it is already done (then the
    handler writes nothing), else mark it done with the handler's effect."""
    if job_id is None:
        return True
    job = await tx.session.get(Job, job_id, with_for_update=True, populate_existing=True)
    if job is None or job.status == "done":
        return False
    job.status = "done"
    job.last_error = None
    tx.done_jobs.append(job_id)
    return True


#: Set for one HTTP request (web/after_response.py): fast-path jobs of kinds marked
#: ``after_response`` wait here until the response has been sent.
_after_response: ContextVar[list[Job] | None] = ContextVar("kefu_after_response", default=None)


async def run_fast(kefu: Kefu, jobs: list[Job]) -> None:
    """The fast path: run the jobs of a transaction that just committed, in order (those
    marked ``after_response`` are held back while a request is still being answered)."""
    later = _after_response.get()
    for job in jobs:
        spec = JOB_KINDS.get(job.kind)
        if later is not None and spec is not None and spec.after_response:
            later.append(job)
            continue
        await run_job(kefu, job, counted=False)


@asynccontextmanager
async def jobs_after_response(kefu: Kefu) -> AsyncIterator[None]:
    """Around one HTTP request: the held-back fast-path jobs run when the block ends
    (after the response went out). Their rows are already committed, so if this process
    dies first the job runner sends them after the kind's grace."""
    pending: list[Job] = []
    token = _after_response.set(pending)
    try:
        yield
    finally:
        _after_response.reset(token)
        for job in pending:
            try:
                await run_job(kefu, job, counted=False)
            except Exception:  # recorded by the runner's retry; never lost
                log.exception("after-response job failed", extra={"job_id": job.id})


async def run_job(kefu: Kefu, job: Job, *, counted: bool) -> str:
    """Run one job and record the outcome (``counted``: the runner's claim already
    counted this attempt). Returns the job's status afterwards."""
    spec = JOB_KINDS.get(job.kind)
    error: str | None = None
    give_up = False
    if spec is None:
        error, give_up = f"unknown job kind {job.kind!r}", True
    else:
        try:
            await resolve(spec.handler)(kefu, job)
        except GiveUp as exc:
            error, give_up = f"GiveUp: {exc}", True
        except Exception as exc:
            log.exception("job failed", extra={"job_id": job.id, "kind": job.kind})
            error = f"{type(exc).__name__}: {exc}"
    return await _finish(kefu, job, spec, error, give_up=give_up, counted=counted)


async def _finish(
    kefu: Kefu, job: Job, spec: JobKind | None, error: str | None, *, give_up: bool, counted: bool
) -> str:
    if error is None and job.id in kefu.jobs_done:
        kefu.jobs_done.discard(job.id)  # the handler's own commit said so
        return "done"
    async with transaction(kefu) as tx:
        row = await tx.session.get(Job, job.id, with_for_update=True, populate_existing=True)
        if row is None or row.status in ("done", "failed"):
            return row.status if row is not None else "done"
        if not counted:
            row.attempts += 1
        max_attempts = spec.max_attempts if spec else 1
        if error is None:
            row.status, row.last_error = "done", None
        elif give_up or row.attempts >= max_attempts:
            row.status, row.last_error = "failed", error[:2000]
        else:
            assert spec is not None
            row.status, row.last_error = "pending", error[:2000]
            row.run_at = tx.now + spec.backoff * 2 ** (row.attempts - 1)
        status = row.status
    if status == "failed" and spec is not None and spec.fallback:
        try:
            await resolve(spec.fallback)(kefu, row)
        except Exception:
            log.exception("job fallback failed", extra={"job_id": job.id, "kind": job.kind})
    return status


async def note_failure(kefu: Kefu, job: Job) -> None:
    """Staff see a follow-up that gave up: an internal note on its conversation."""
    if job.conversation_id is None:
        return
    spec = JOB_KINDS.get(job.kind)
    label = spec.label_zh if spec else job.kind
    async with transaction(kefu) as tx:
        await add_failure_note(
            tx, job, f"后台任务“{label}”重试 {job.attempts} 次后仍失败，请人工处理。"
        )


async def add_failure_note(tx: Tx, job: Job, text: str) -> None:
    conv = await tx.session.get(Conversation, job.conversation_id, with_for_update=True)
    if conv is None:
        return
    await append_event(
        tx,
        conv,
        EventType.NOTE,
        author_type=AuthorType.SYSTEM,
        body=text,
        visibility=Visibility.INTERNAL,
        data={},
    )


async def run_jobs_now(kefu: Kefu, job_ids: list[int]) -> None:
    """Run freshly enqueued jobs at once (a web endpoint's background task after it
    answered, e.g. WeChat's 5-second callbacks); a job already done is skipped."""
    for job_id in job_ids:
        async with kefu.db.read() as session:
            job = await session.get(Job, job_id)
        if job is not None and job.status == "pending":
            await run_job(kefu, job, counted=False)
