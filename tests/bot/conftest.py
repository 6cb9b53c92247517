"""The bot tests run through the real API with the fixtures of tests/api (SQLite always,
PostgreSQL when KEFU_TEST_DATABASE_URL is set)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from kefu.actions.context import transaction
from kefu.actions.knowledge import seed_default_articles
from kefu.storage.models import Tenant
from tests.api.conftest import *  # noqa: F403  (client, world, customer, alice, ...)
from tests.api.conftest import kefu_of
from tests.world import World

OFFICIAL_CHANNELS = [
    {"type": "qq", "value": "800012345", "label": "官方客服 QQ"},
    {"type": "wechat", "value": "xingchen_kefu", "label": "官方微信公众号"},
    {"type": "phone", "value": "400-820-1234", "label": "客服热线"},
    {"type": "site", "value": "xingchen-kamen.example", "label": "官方网站"},
]


def set_tenant_settings(client: TestClient, tenant_id: int, settings: dict[str, Any]) -> None:
    async def run() -> None:
        async with transaction(kefu_of(client)) as tx:
            await tx.session.execute(
                update(Tenant).where(Tenant.id == tenant_id).values(settings=settings)
            )

    assert client.portal is not None
    client.portal.call(run)


def seed_kb(client: TestClient, tenant_id: int) -> int:
    assert client.portal is not None
    added: int = client.portal.call(seed_default_articles, kefu_of(client), tenant_id)
    return added


@pytest.fixture
def bot_world(client: TestClient, world: World) -> World:
    """The world tenant with the shipped articles and demo-like official channels."""
    seed_kb(client, world.tenant_id)
    set_tenant_settings(client, world.tenant_id, {"official_channels": OFFICIAL_CHANNELS})
    return world
