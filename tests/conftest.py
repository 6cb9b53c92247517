"""Shared fixtures: the suite runs on SQLite always, and on PostgreSQL (+ Redis) when
KEFU_TEST_DATABASE_URL / KEFU_TEST_REDIS_URL are set. With KEFU_TEST_REQUIRE_SERVICES=1
a missing service is a failure, not a skip."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kefu.clock import FakeClock
from kefu.settings import Settings
from kefu.storage.database import sync_url
from kefu.storage.migrate import upgrade

REQUIRE_SERVICES = os.environ.get("KEFU_TEST_REQUIRE_SERVICES") == "1"

# One trained-model cache for the whole run, shared by server subprocesses (it is keyed
# by a hash of the training examples): otherwise every server started in a fresh data
# directory trains the classifier again before it answers /healthz.
os.environ.setdefault(
    "KEFU_NLU_CACHE_DIR", str(Path(tempfile.gettempdir()) / "kefu-test-nlu-cache")
)


def service_url(env_name: str) -> str:
    url = os.environ.get(env_name)
    if not url:
        if REQUIRE_SERVICES:
            pytest.fail(f"{env_name} must be set when KEFU_TEST_REQUIRE_SERVICES=1")
        pytest.skip(f"{env_name} is not set")
    return url


def reset_postgres(url: str) -> None:
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    except Exception as exc:
        if REQUIRE_SERVICES:
            pytest.fail(f"PostgreSQL at {url} is required but unusable: {exc}")
        pytest.skip(f"PostgreSQL unusable: {exc}")
    finally:
        engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'kefu.db'}"
    else:
        url = service_url("KEFU_TEST_DATABASE_URL")
        reset_postgres(url)
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = service_url("KEFU_TEST_REDIS_URL")
    import redis

    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError as exc:
        if REQUIRE_SERVICES:
            pytest.fail(f"Redis at {url} is required but unreachable: {exc}")
        pytest.skip(f"Redis unreachable: {exc}")
    return url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


def make_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "database_url": database_url,
        "data_dir": data_dir,
        "secret_key": "test-secret-key-which-is-long-enough-0123456789",
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
        "log_json": False,
        "run_scheduler": False,
        "gc_thresholds": None,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Iterator[Settings]:
    yield make_settings(database_url, tmp_path / "var")


@pytest.fixture(scope="session", autouse=True)
def bot_engine_ready() -> None:
    """Every app start warms the bot (web/app.py); train or load the shipped engine once,
    before any live server's start-up timeout is running."""
    from kefu.nlu.pipeline import NluEngine

    NluEngine.default()
