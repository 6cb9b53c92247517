"""Report fixtures: the API world (SQLite + PostgreSQL) of tests/api."""

from __future__ import annotations

from tests.api.conftest import (  # noqa: F401
    admin,
    alice,
    client,
    kefu_of,
    other_world,
    supervisor,
    world,
)
