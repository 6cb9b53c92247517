"""End-to-end in Debian's Chromium (never a downloaded browser), against a live server
with the demo tenant loaded."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kefu.actions.context import Kefu
from kefu.clock import SystemClock
from kefu.demo import load_demo
from kefu.realtime.broker import InProcessBroker
from kefu.storage.database import Database
from kefu.storage.migrate import upgrade
from kefu.web.app import create_app
from tests.conftest import REQUIRE_SERVICES, make_settings
from tests.livesrv import live_server

CHROMIUM = "/usr/bin/chromium"
DEMO_PASSWORD = "kefu-demo-2026"
ARTIFACTS = Path(os.environ.get("KEFU_TEST_ARTIFACTS", "test-artifacts"))

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if REQUIRE_SERVICES or os.environ.get("CI"):
            pytest.fail(
                "Debian's chromium is required: run `make test` (scripts/ensure-chromium.sh)"
            )
        pytest.skip("chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield b
        b.close()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A live kefu on SQLite with the demo tenant: {"base": url, "settings": Settings}."""
    data_dir = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{data_dir / 'kefu.db'}"
    upgrade(url)
    settings = make_settings(url, data_dir, demo_password=DEMO_PASSWORD)

    async def seed() -> None:
        kefu = Kefu(settings, Database(url), InProcessBroker(), SystemClock())
        try:
            await load_demo(kefu, DEMO_PASSWORD)
        finally:
            await kefu.db.dispose()

    # Playwright's sync API keeps an event loop in this thread: seed from another one
    seeder = threading.Thread(target=lambda: asyncio.run(seed()))
    seeder.start()
    seeder.join()
    app = create_app(settings)
    with live_server(app) as base:
        yield {"base": base, "settings": settings, "app": app}


def shot(page: Any, name: str) -> Path:
    """Save a screenshot under test-artifacts/ (look at it: the file tool shows PNGs)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
