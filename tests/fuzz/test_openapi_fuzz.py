"""Schema-driven fuzzing of the whole OpenAPI: no input may produce a 5xx."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from kefu.actions.context import Kefu
from kefu.clock import SystemClock
from kefu.realtime.broker import InProcessBroker
from kefu.storage.database import Database
from kefu.web.app import create_app
from tests.conftest import make_settings
from tests.livesrv import live_server
from tests.world import World, build_world


def make_world(database_url: str, data_dir: Path) -> World:
    async def run() -> World:
        kefu = Kefu(
            make_settings(database_url, data_dir),
            Database(database_url),
            InProcessBroker(),
            SystemClock(),
        )
        try:
            return await build_world(kefu)
        finally:
            await kefu.db.dispose()

    return asyncio.run(run())


@pytest.fixture(scope="module")
def fuzz_target(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("fuzz")
    world = make_world(database_url, data_dir)
    app = create_app(make_settings(database_url, data_dir))
    with live_server(app) as base:
        yield {"base": base, "world": world}


def test_no_server_errors(fuzz_target: dict[str, Any]) -> None:
    """Every operation, as a machine and as a customer, with generated input."""
    world: World = fuzz_target["world"]
    schema = schemathesis.openapi.from_url(f"{fuzz_target['base']}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: Any) -> None:
            for token in (world.machine_token, world.customer_tokens["m1"]):
                case.call_and_validate(
                    base_url=fuzz_target["base"],
                    headers={"Authorization": f"Bearer {token}"},
                    checks=[not_a_server_error],
                )

        run()
