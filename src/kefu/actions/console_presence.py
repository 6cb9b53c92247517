"""Use cases of presence that tells the truth (docs/presence.md): a console connection
opens, renews and closes its lease; an agent signs out; the sweeper finds the leases of
dead processes. Each is one transaction; requeued conversations reach the queue pass
through the timeline subscribers."""

from __future__ import annotations

from sqlalchemy import delete, exists, false, or_, select

from kefu.actions import presence_leases as leases
from kefu.actions.context import Actor, Kefu, transaction
from kefu.domain.vocabulary import Presence
from kefu.storage.models import Agent, ConsoleLease

CONNECTION_LOST = leases.CONNECTION_LOST


def _console_agent(actor: Actor) -> int | None:
    return actor.agent_id if actor.is_staff else None


async def do_open_console(
    kefu: Kefu, actor: Actor, connection_id: str, heartbeat_seconds: float
) -> None:
    """A staff socket said hello: the agent is reachable from now on (routable when
    their presence is online, so the queue gets a pass)."""
    if await _hold_lease(kefu, actor, connection_id, heartbeat_seconds):
        from kefu.actions import queueing  # queueing reads leases; import at use

        await queueing.on_presence_changed(kefu, actor.tenant_id)


async def do_renew_console(
    kefu: Kefu, actor: Actor, connection_id: str, heartbeat_seconds: float
) -> None:
    """The connection answered its heartbeat: extend its lease."""
    await _hold_lease(kefu, actor, connection_id, heartbeat_seconds)


async def _hold_lease(
    kefu: Kefu, actor: Actor, connection_id: str, heartbeat_seconds: float
) -> bool:
    """Write (or extend) the connection's lease; True when its agent is online."""
    agent_id = _console_agent(actor)
    if agent_id is None:
        return False
    async with transaction(kefu) as tx:
        await leases.open_lease(
            tx, connection_id, actor.tenant_id, agent_id, leases.lease_length(heartbeat_seconds)
        )
        agent = await tx.session.get(Agent, agent_id)
        return agent is not None and agent.presence == Presence.ONLINE.value


async def do_close_console(
    kefu: Kefu, actor: Actor, connection_id: str, reason: str = CONNECTION_LOST
) -> list[str]:
    """The socket closed (tab closed, heartbeat missed, server stopping). When it was the
    agent's last console, they go offline and their waiting assignments are requeued."""
    agent_id = _console_agent(actor)
    if agent_id is None:
        return []
    async with transaction(kefu) as tx:
        await leases.drop_leases(tx, agent_id, connection_id)
        if await leases.has_live_console(tx, agent_id):
            return []
        agents = await leases.agents_by_id(tx, [agent_id])
        requeued: list[str] = []
        for agent in agents:
            requeued += await leases.go_offline(tx, agent, reason)
    return requeued


async def sweep_dead_consoles(kefu: Kefu, *, limit: int = 200) -> list[str]:
    """Leases past their expiry belong to processes that died (or a network that
    vanished): delete them, and set their agents offline unless another console of theirs
    is live. Agents marked present without any console for longer than
    NO_CONSOLE_ALLOWANCE go offline too. Returns the public ids requeued."""
    now = kefu.clock.now()
    async with kefu.db.read() as session:
        expired = set(
            (
                await session.execute(
                    select(ConsoleLease.agent_id).where(ConsoleLease.expires_at <= now).limit(limit)
                )
            ).scalars()
        )
        live = exists().where(ConsoleLease.agent_id == Agent.id, ConsoleLease.expires_at > now)
        absent = set(
            (
                await session.execute(
                    select(Agent.id)
                    .where(
                        Agent.presence != leases.OFFLINE,
                        ~live,
                        or_(
                            Agent.id.in_(expired) if expired else false(),
                            Agent.presence_changed_at.is_(None),
                            Agent.presence_changed_at <= now - leases.NO_CONSOLE_ALLOWANCE,
                        ),
                    )
                    .limit(limit)
                )
            ).scalars()
        )
    if not expired and not absent:
        return []
    requeued: list[str] = []
    async with transaction(kefu) as tx:
        if expired:
            await tx.session.execute(
                delete(ConsoleLease).where(
                    ConsoleLease.expires_at <= now, ConsoleLease.agent_id.in_(expired)
                )
            )
        for agent in await leases.agents_by_id(tx, absent):
            if agent.presence == leases.OFFLINE or await leases.has_live_console(tx, agent.id):
                continue  # changed meanwhile
            requeued += await leases.go_offline(tx, agent, CONNECTION_LOST)
    return requeued
