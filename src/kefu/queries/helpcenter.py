"""Read models for the public help center and the tenants' public settings."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from sqlalchemy import select

from kefu.actions.context import Kefu
from kefu.storage.models import KbArticle, Tenant


async def published_articles_by_category(
    kefu: Kefu, tenant: Tenant
) -> OrderedDict[str, list[KbArticle]]:
    """The tenant's published articles grouped by category, in the order they were made."""
    async with kefu.db.read() as session:
        rows = (
            await session.execute(
                select(KbArticle)
                .where(KbArticle.tenant_id == tenant.id, KbArticle.published.is_(True))
                .order_by(KbArticle.category, KbArticle.id)
            )
        ).scalars()
        grouped: OrderedDict[str, list[KbArticle]] = OrderedDict()
        for row in rows:
            grouped.setdefault(row.category or "其他", []).append(row)
    return grouped


async def settings_by_tenant_slug(kefu: Kefu) -> list[tuple[str, dict[str, Any]]]:
    """(slug, raw settings) of every tenant, for process-wide caches such as CORS origins."""
    async with kefu.db.read() as session:
        rows = (await session.execute(select(Tenant.slug, Tenant.settings))).all()
    return [(str(slug), dict(settings or {})) for slug, settings in rows]


async def active_agent_numbers(kefu: Kefu, tenant_id: int) -> list[str]:
    """The 工号 of the tenant's active staff (each is an official contact point)."""
    from kefu.storage.models import Agent

    async with kefu.db.read() as session:
        rows = await session.execute(
            select(Agent.agent_no).where(Agent.tenant_id == tenant_id, Agent.is_active.is_(True))
        )
        return [no for (no,) in rows.all() if no]
