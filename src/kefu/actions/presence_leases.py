"""Presence that tells the truth: the leases of console connections (docs/presence.md).

An agent is *routable* only while their presence is `online` **and** at least one of
their console connections holds a live lease (a `console_leases` row whose
`expires_at` is in the future). The socket handler opens the lease, renews it on every
heartbeat and deletes it on close; a lease of a process that died simply expires.

When an agent's last lease goes (socket closed, heartbeat missed, lease expired,
sign-out), the agent is set `offline` at once and their *waiting* assignments
(assigned, no reply from them yet) go back to the queue; conversations already in
progress stay with them for the tenant's grace period (actions/presence_watch.py).

These steps run inside a caller's transaction; the use cases are in
actions/console_presence.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.actions.context import Tx
from kefu.actions.conversation_status import set_status
from kefu.domain.conversation_state import AuthorType, EventType, Status
from kefu.domain.vocabulary import Presence
from kefu.realtime.broker import tenant_channel
from kefu.storage.models import Agent, ConsoleLease, Conversation, Event

OFFLINE = Presence.OFFLINE.value
CONNECTION_LOST = "connection_lost"
SIGNED_OUT = "signed_out"
# a presence set without any console connection (e.g. through the REST API) is given
# this long for a console to connect before the sweeper sets the agent offline
NO_CONSOLE_ALLOWANCE = timedelta(seconds=30)


def lease_length(heartbeat_seconds: float) -> timedelta:
    """Two heartbeats and a margin: a live connection renews its lease every heartbeat,
    so only a dead process lets it run out."""
    return timedelta(seconds=2 * heartbeat_seconds + 5)


async def live_agent_ids(session: AsyncSession, tenant_id: int, now: datetime) -> set[int]:
    """Agents of a tenant with at least one live console connection."""
    rows = await session.execute(
        select(ConsoleLease.agent_id)
        .where(ConsoleLease.tenant_id == tenant_id, ConsoleLease.expires_at > now)
        .distinct()
    )
    return {int(agent_id) for agent_id in rows.scalars()}


async def has_live_console(tx: Tx, agent_id: int, exclude: str | None = None) -> bool:
    live = exists().where(ConsoleLease.agent_id == agent_id, ConsoleLease.expires_at > tx.now)
    if exclude is not None:
        live = live.where(ConsoleLease.id != exclude)
    return bool((await tx.session.execute(select(live))).scalar())


async def open_lease(
    tx: Tx, connection_id: str, tenant_id: int, agent_id: int, length: timedelta
) -> None:
    """Insert or renew (a renewal whose row was swept meanwhile puts it back: the
    connection just proved it is alive)."""
    lease = await tx.session.get(ConsoleLease, connection_id)
    if lease is None:
        tx.session.add(
            ConsoleLease(
                id=connection_id,
                tenant_id=tenant_id,
                agent_id=agent_id,
                opened_at=tx.now,
                expires_at=tx.now + length,
            )
        )
    else:
        lease.expires_at = tx.now + length


async def drop_leases(tx: Tx, agent_id: int, connection_id: str | None = None) -> None:
    stmt = delete(ConsoleLease).where(ConsoleLease.agent_id == agent_id)
    if connection_id is not None:
        stmt = stmt.where(ConsoleLease.id == connection_id)
    await tx.session.execute(stmt)


async def waiting_assignments(tx: Tx, agent_id: int) -> list[Conversation]:
    """Assigned to the agent and not answered by them since the assignment."""
    replied = exists().where(
        Event.conversation_id == Conversation.id,
        Event.type == EventType.MESSAGE.value,
        Event.author_type == AuthorType.AGENT.value,
        Event.author_id == agent_id,
        Event.created_at >= Conversation.assigned_at,
    )
    stmt = (
        select(Conversation)
        .where(
            Conversation.assignee_id == agent_id,
            Conversation.status == Status.ASSIGNED.value,
            ~replied,
        )
        .order_by(Conversation.id)
        .with_for_update()
    )
    return list((await tx.session.execute(stmt)).scalars())


async def go_offline(tx: Tx, agent: Agent, reason: str) -> list[str]:
    """Set the agent offline (if not already) and give their waiting assignments back
    to the queue. Returns the public ids requeued."""
    if agent.presence != OFFLINE:
        agent.presence = OFFLINE
        agent.presence_changed_at = tx.now
        tx.notify(
            tenant_channel(agent.tenant_id),
            {"type": "presence", "agent_id": agent.id, "presence": OFFLINE, "reason": reason},
        )
    requeued: list[str] = []
    for conv in await waiting_assignments(tx, agent.id):
        await set_status(tx, conv, Status.QUEUED, AuthorType.SYSTEM, None, reason=reason)
        requeued.append(conv.public_id)
    return requeued


async def agents_by_id(tx: Tx, agent_ids: Iterable[int]) -> list[Agent]:
    ids = sorted(set(agent_ids))
    if not ids:
        return []
    stmt = select(Agent).where(Agent.id.in_(ids)).order_by(Agent.id).with_for_update()
    return list((await tx.session.execute(stmt)).scalars())
