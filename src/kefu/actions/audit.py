"""The audit log: every configuration change, written in the transaction that makes it.

``record_change`` is called by the actions that change configuration (tenant settings
today, through ``do_update_tenant_settings``; departments, agents and tokens the same
way), so a change and its audit row commit together or not at all. The row keeps who
(the agent's name and 工号, or the token's name, as they read then), when (UTC; pages
show it in the tenant's zone with the date), the section and the value before and after.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kefu.actions.context import Actor, ActorKind, Kefu
from kefu.storage.models import Agent, ApiToken, AuditEntry


async def actor_label(session: AsyncSession, actor: Actor) -> str:
    if actor.kind is ActorKind.STAFF and actor.agent_id is not None:
        agent = await session.get(Agent, actor.agent_id)
        if agent is not None:
            return f"{agent.display_name}（工号 {agent.agent_no}）"
    if actor.kind is ActorKind.MACHINE and actor.token_id is not None:
        token = await session.get(ApiToken, actor.token_id)
        if token is not None:
            return f"接口令牌 {token.name}"
    return "系统"


async def record_change(
    kefu: Kefu,
    session: AsyncSession,
    actor: Actor,
    section: str,
    before: Any,
    after: Any,
    *,
    target: str = "",
) -> AuditEntry:
    entry = AuditEntry(
        tenant_id=actor.tenant_id,
        actor_agent_id=actor.agent_id if actor.kind is ActorKind.STAFF else None,
        actor_token_id=actor.token_id if actor.kind is ActorKind.MACHINE else None,
        actor_label=await actor_label(session, actor),
        section=section,
        target=target[:200],
        before=before,
        after=after,
        created_at=kefu.clock.now(),
    )
    session.add(entry)
    return entry


async def record_settings_changes(
    kefu: Kefu,
    session: AsyncSession,
    actor: Actor,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
) -> list[AuditEntry]:
    """One row per top-level settings key whose value changed (section = the key)."""
    rows = []
    for key in sorted(set(before) | set(after)):
        if key == "version" or before.get(key) == after.get(key):
            continue
        rows.append(await record_change(kefu, session, actor, key, before.get(key), after.get(key)))
    return rows
