"""Reassignment when an agent goes offline or away (docs/routing.md).

An agent who has been offline/away for longer than the grace period
(``TenantSettings.routing.reassign_grace_seconds``, default 120 s) gives their
`assigned` conversations back to the queue: a `status_change` to `queued` with reason
`agent_offline` on each timeline; the queue pass then hands them to someone online.
Conversations waiting for the customer stay with the agent until the customer writes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from kefu.actions.context import Kefu, transaction
from kefu.actions.conversation_status import set_status
from kefu.clock import ensure_aware
from kefu.domain.conversation_state import AuthorType, Status
from kefu.domain.tenant_settings import RoutingSettings, parse_tenant_settings
from kefu.domain.vocabulary import Presence
from kefu.storage.models import Agent, Conversation, Tenant

DEFAULT_GRACE = RoutingSettings().reassign_grace
GONE = tuple(p.value for p in Presence if p.gone)
BATCH = 200


def grace_period(settings: dict[str, Any] | None) -> timedelta:
    return parse_tenant_settings(settings).routing.reassign_grace


async def sweep_presence(kefu: Kefu, *, limit: int = BATCH) -> list[str]:
    """Requeue the assigned conversations of agents gone for longer than the grace period.
    Returns the public ids requeued (the status change triggers the queue pass)."""
    now = kefu.clock.now()
    async with kefu.db.read() as session:
        candidates = (
            await session.execute(
                select(Conversation.id, Agent.presence_changed_at, Tenant.settings)
                .join(Agent, Agent.id == Conversation.assignee_id)
                .join(Tenant, Tenant.id == Conversation.tenant_id)
                .where(
                    Conversation.status == Status.ASSIGNED.value,
                    Agent.presence.in_(GONE),
                    Agent.presence_changed_at <= now - timedelta(seconds=1),
                )
                .limit(limit)
            )
        ).all()
    due = [
        cid
        for cid, changed_at, settings in candidates
        if changed_at is not None and ensure_aware(changed_at) + grace_period(settings) <= now
    ]
    if not due:
        return []
    requeued: list[str] = []
    async with transaction(kefu) as tx:
        stmt = (
            select(Conversation)
            .where(Conversation.id.in_(due), Conversation.status == Status.ASSIGNED.value)
            .order_by(Conversation.id)
            .with_for_update(skip_locked=True)
        )
        for conv in (await tx.session.execute(stmt)).scalars():
            agent = await tx.session.get(Agent, conv.assignee_id)
            if agent is None or agent.presence not in GONE:
                continue  # came back meanwhile
            await set_status(
                tx, conv, Status.QUEUED, AuthorType.SYSTEM, None, reason="agent_offline"
            )
            requeued.append(conv.public_id)
    return requeued
