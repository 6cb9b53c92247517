"""Knowledge base (stub until the bot area fills it in)."""

from __future__ import annotations

from kefu.actions.context import Kefu


async def seed_default_articles(kefu: Kefu, tenant_id: int) -> int:
    """Load the shipped articles for a tenant; idempotent. Returns how many were added."""
    return 0
