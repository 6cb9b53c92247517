from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kefu.actions import queueing, sla_tracking
from kefu.actions.context import Kefu
from kefu.clock import FakeClock
from kefu.realtime.broker import InProcessBroker
from kefu.storage.database import Database
from tests.conftest import make_settings
from tests.routing.support import Desk, make_desk

#: Monday 2026-11-23 10:00 in Shanghai
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def routing_kefu(database_url: str, tmp_path: Path, clock: FakeClock) -> Kefu:
    return Kefu(
        make_settings(database_url, tmp_path / "var"),
        Database(database_url),
        InProcessBroker(),
        clock,
        subscribers=[queueing.on_timeline, sla_tracking.on_timeline],
    )


@pytest.fixture
async def desk(database_url: str, tmp_path: Path) -> AsyncIterator[Desk]:
    clock = FakeClock(T0)
    kefu = routing_kefu(database_url, tmp_path, clock)
    yield await make_desk(kefu, clock)
    await kefu.db.dispose()


# the API fixtures (app with a FakeClock, a tenant, clients speaking as each party)
from tests.api.conftest import (  # noqa: E402, F401
    alice,
    bob,
    client,
    customer,
    customer2,
    supervisor,
    world,
)
