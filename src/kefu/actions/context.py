"""What every action needs: the database, the broker, the clock, the settings, the actor."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kefu.actions.event_wire import event_payload
from kefu.clock import Clock
from kefu.realtime.broker import Broker, conversation_channel, tenant_channel
from kefu.settings import Settings
from kefu.storage.database import Database
from kefu.storage.models import Conversation, Event, Job


class ActorKind(StrEnum):
    STAFF = "staff"
    MACHINE = "machine"
    CUSTOMER = "customer"


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    tenant_id: int
    agent_id: int | None = None
    role: Role | None = None
    customer_id: int | None = None
    token_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.kind is ActorKind.STAFF

    @property
    def is_customer(self) -> bool:
        return self.kind is ActorKind.CUSTOMER

    @property
    def is_supervisor(self) -> bool:
        """Supervisors, admins and machines may act on anyone's conversations."""
        if self.kind is ActorKind.MACHINE:
            return True
        return self.role in (Role.SUPERVISOR, Role.ADMIN)


log = logging.getLogger("kefu.actions")


@dataclass(frozen=True)
class TimelineFact:
    """What subscribers learn about an event once its transaction has committed."""

    tenant_id: int
    conversation_id: int
    conversation_public_id: str
    seq: int
    type: str
    author_type: str
    author_id: int | None
    visibility: str
    data: dict[str, Any]
    status: str  # the conversation's status once the transaction committed


# A follow-up planner: given the events a transaction appended, it enqueues the jobs they
# call for (actions/outbox.py) in that same transaction, before it commits.
Subscriber = Callable[["Kefu", "Tx", list[TimelineFact]], Awaitable[None]]


@dataclass
class Kefu:
    """The application's shared services, created once per process."""

    settings: Settings
    db: Database
    broker: Broker
    clock: Clock
    subscribers: list[Subscriber] = field(default_factory=list)
    # job ids a handler marked done in its own commit (the fast path skips one write)
    jobs_done: set[int] = field(default_factory=set)


@dataclass
class Tx:
    """One write transaction: the follow-up jobs it enqueued and the notifications to
    publish once it commits. Nested ``transaction()`` calls share it."""

    session: AsyncSession
    now: datetime
    notifications: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    appended: list[tuple[Conversation, Event]] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    fast_jobs: list[Job] = field(default_factory=list)
    done_jobs: list[int] = field(default_factory=list)
    owner: int = 0  # id() of the Database it writes to
    open: bool = True

    def notify(self, channel: str, message: dict[str, Any]) -> None:
        self.notifications.append((channel, message))


_current_tx: ContextVar[Tx | None] = ContextVar("kefu_current_tx", default=None)


@asynccontextmanager
async def transaction(kefu: Kefu) -> AsyncIterator[Tx]:
    """Run do_* writes in one transaction. Called inside another (same task, same
    database) it joins the outer one: one use case = one transaction, and what follows
    the commit happens once, when the outermost commits. Before the commit the
    subscribers enqueue the follow-up jobs of the new events (in this transaction);
    after it (only) the notifications are published and the fast path runs the jobs."""
    outer = _current_tx.get()
    if outer is not None and outer.open and outer.owner == id(kefu.db):
        yield outer
        return
    async with kefu.db.write() as session:
        tx = Tx(session=session, now=kefu.clock.now(), owner=id(kefu.db))
        token = _current_tx.set(tx)
        try:
            yield tx
            await _plan_follow_ups(kefu, tx)
        finally:
            tx.open = False
            _current_tx.reset(token)
    kefu.jobs_done.update(tx.done_jobs)
    for channel, message in [*_event_notifications(tx.appended), *tx.notifications]:
        try:
            await kefu.broker.publish(channel, message)
        except Exception:  # the database is the truth; clients catch up by seq
            log.exception("broker publish failed", extra={"channel": channel})
    if tx.fast_jobs:
        from kefu.actions.outbox import run_fast  # outbox builds on this module

        await run_fast(kefu, tx.fast_jobs)


async def _plan_follow_ups(kefu: Kefu, tx: Tx) -> None:
    if not tx.appended or not kefu.subscribers:
        return
    await tx.session.flush()
    facts = [_fact(conv, event) for conv, event in tx.appended]
    for subscriber in kefu.subscribers:
        await subscriber(kefu, tx, facts)
    await tx.session.flush()


def _fact(conv: Conversation, event: Event) -> TimelineFact:
    return TimelineFact(
        tenant_id=conv.tenant_id,
        conversation_id=conv.id,
        conversation_public_id=conv.public_id,
        seq=event.seq,
        type=event.type,
        author_type=event.author_type,
        author_id=event.author_id,
        visibility=event.visibility,
        data=dict(event.data or {}),
        status=conv.status,
    )


def _event_notifications(
    appended: list[tuple[Conversation, Event]],
) -> list[tuple[str, dict[str, Any]]]:
    """Each committed event travels whole (serialised after commit, so late additions
    such as linked attachments are in it); a listener that sees a gap in seq reads the
    database instead."""
    out: list[tuple[str, dict[str, Any]]] = []
    for conv, event in appended:
        out.append(
            (
                conversation_channel(conv.public_id),
                {
                    "type": "event",
                    "conversation_id": conv.public_id,
                    "seq": event.seq,
                    "event_type": event.type,
                    "visibility": event.visibility,
                    "event": event_payload(conv.public_id, event),
                },
            )
        )
        out.append(
            (
                tenant_channel(conv.tenant_id),
                {"type": "conversation", "conversation_id": conv.public_id, "seq": event.seq},
            )
        )
    return out
