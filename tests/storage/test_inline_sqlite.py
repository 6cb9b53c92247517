"""The inline SQLite driver behaves like aiosqlite: same results, same errors."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kefu.storage.database import Database
from kefu.storage.migrate import upgrade
from kefu.storage.models import NumberCounter, Tenant


@pytest.mark.parametrize("driver", ["inline", "aiosqlite"])
def test_driver_round_trip_errors_and_rollback(tmp_path: Path, driver: str) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    upgrade(url)
    db = Database(url, sqlite_driver=driver)
    when = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

    async def scenario() -> None:
        async with db.write() as s:
            s.add(
                Tenant(
                    slug="a", name="甲", widget_secret="x", settings={"k": "值"}, created_at=when
                )
            )
        with pytest.raises(IntegrityError):
            async with db.write() as s:
                s.add(NumberCounter(day="20261123", value=1))
                s.add(
                    Tenant(slug="a", name="重复", widget_secret="y", settings={}, created_at=when)
                )
        async with db.read() as s:
            tenants = list((await s.execute(select(Tenant))).scalars())
            counters = list((await s.execute(select(NumberCounter))).scalars())
        assert [(t.slug, t.name, t.settings, t.created_at) for t in tenants] == [
            ("a", "甲", {"k": "值"}, when)
        ]
        assert counters == []  # the failed transaction left nothing behind
        await db.dispose()

    asyncio.run(scenario())
