"""Background work started with the app (settings.run_scheduler): one loop per process
that sweeps SLA clocks, overdue call-backs and agents gone away, runs queue passes
and due jobs. Every step claims its rows (SKIP LOCKED on PostgreSQL), so N processes
cooperate; on SQLite the one process does it all. Deadlines are data: a restart loses
nothing, the next tick picks up whatever became due meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from sqlalchemy import select

from kefu.actions.callbacks import sweep_callbacks
from kefu.actions.console_presence import sweep_dead_consoles
from kefu.actions.context import Kefu
from kefu.actions.escalation import SweepResult, sweep_all_due
from kefu.actions.order_polls import plan_order_polls
from kefu.actions.presence_watch import sweep_presence
from kefu.actions.queueing import run_queue_pass
from kefu.domain.conversation_state import Status
from kefu.domain.vocabulary import Presence
from kefu.jobs.queue import run_due_jobs
from kefu.storage.models import Agent, Conversation

log = logging.getLogger("kefu.jobs")

TICK_SECONDS = 1.0
JOB_BATCH = 20
JOB_BATCHES_PER_TICK = 10


@dataclass
class TickResult:
    sla: SweepResult = field(default_factory=SweepResult)
    callbacks_overdue: int = 0
    requeued: list[str] = field(default_factory=list)
    dead_consoles_requeued: list[str] = field(default_factory=list)
    assigned: int = 0
    jobs: int = 0
    order_polls: int = 0


async def tenants_needing_a_pass(kefu: Kefu) -> list[int]:
    """Tenants with someone waiting and an online agent (cheap; catches presence
    changes and anything a subscriber missed)."""
    async with kefu.db.read() as session:
        waiting = set(
            (
                await session.execute(
                    select(Conversation.tenant_id)
                    .where(Conversation.status == Status.QUEUED.value)
                    .distinct()
                )
            ).scalars()
        )
        if not waiting:
            return []
        online = set(
            (
                await session.execute(
                    select(Agent.tenant_id)
                    .where(Agent.presence == Presence.ONLINE.value)
                    .distinct()
                )
            ).scalars()
        )
    return sorted(waiting & online)


async def tick(kefu: Kefu) -> TickResult:
    """One round of every sweep. Tests call this directly after travelling in time."""
    result = TickResult()
    result.sla = await sweep_all_due(kefu)
    result.callbacks_overdue = await sweep_callbacks(kefu)
    result.dead_consoles_requeued = await sweep_dead_consoles(kefu)
    result.requeued = await sweep_presence(kefu)
    result.order_polls = await plan_order_polls(kefu)
    for tenant_id in await tenants_needing_a_pass(kefu):
        result.assigned += len(await run_queue_pass(kefu, tenant_id))
    for _ in range(JOB_BATCHES_PER_TICK):  # catch up on a backlog, a batch at a time
        ran = await run_due_jobs(kefu, limit=JOB_BATCH)
        result.jobs += ran
        if ran < JOB_BATCH:
            break
    return result


async def run_forever(kefu: Kefu, interval: float = TICK_SECONDS) -> None:
    while True:
        try:
            await tick(kefu)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background tick failed")
        await asyncio.sleep(interval)


def start_background(kefu: Kefu) -> list[asyncio.Task[None]]:
    return [asyncio.create_task(run_forever(kefu), name="kefu-background")]
