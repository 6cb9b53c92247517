"""Schema-driven fuzzing of the whole OpenAPI: no input may produce a 5xx."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
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
from tests.world import PASSWORD, World, build_world


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


def staff_headers(base: str, world: World) -> dict[str, str]:
    """An admin's session cookie and CSRF token, as the console sends them."""
    r = httpx.post(
        f"{base}/api/v1/auth/login",
        json={"email": world.emails["admin"], "password": PASSWORD},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return {
        "Cookie": f"kefu_session={r.cookies['kefu_session']}",
        "X-CSRF-Token": r.json()["csrf_token"],
    }


def test_no_server_errors(fuzz_target: dict[str, Any]) -> None:
    """Every operation, as a machine, as a customer and as signed-in staff (cookie +
    CSRF token), with generated input."""
    world: World = fuzz_target["world"]
    identities = [
        {"Authorization": f"Bearer {world.machine_token}"},
        {"Authorization": f"Bearer {world.customer_tokens['m1']}"},
        staff_headers(fuzz_target["base"], world),
    ]
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
            # signing the staff session out would leave the rest of the run anonymous
            staff_ok = case.operation.path != "/api/v1/auth/logout"
            for headers in identities if staff_ok else identities[:2]:
                case.call_and_validate(
                    base_url=fuzz_target["base"], headers=headers, checks=[not_a_server_error]
                )

        run()
