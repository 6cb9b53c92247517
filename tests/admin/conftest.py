"""Admin-console fixtures: the API world (SQLite + PostgreSQL) and a form poster."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kefu.clock import FakeClock
from kefu.settings import Settings
from kefu.web.app import create_app
from tests.api.conftest import (  # noqa: F401
    admin,
    alice,
    customer,
    kefu_of,
    machine,
    other_world,
    supervisor,
    world,
)


@pytest.fixture
def client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock), follow_redirects=False) as c:
        yield c
