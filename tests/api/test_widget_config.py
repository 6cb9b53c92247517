"""What the widget shows before the first message: open hours come from the tenant's
business calendar (7x24 unless configured)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from kefu.clock import FakeClock
from tests.bot.conftest import set_tenant_settings
from tests.world import World

# 2026-11-23 is a Monday (no holiday); Asia/Shanghai is UTC+8
MONDAY_10_SHANGHAI = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
MONDAY_22_SHANGHAI = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def open_now(client: TestClient, world: World) -> bool:
    r = client.get("/api/v1/widget/config", params={"tenant": world.slug})
    assert r.status_code == 200, r.text
    value: bool = r.json()["open_now"]
    return value


def test_open_now_follows_the_business_calendar(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    clock.set(MONDAY_22_SHANGHAI)
    assert open_now(client, world) is True  # default: 7x24
    set_tenant_settings(
        client,
        world.tenant_id,
        {"business_calendar": {"weekdays": ["09:00-18:00"], "saturday": [], "sunday": []}},
    )
    assert open_now(client, world) is False
    clock.set(MONDAY_10_SHANGHAI)
    assert open_now(client, world) is True
