"""/reports in Chromium over the hand-made week of tests/reports/seed.py: the figures on
the page are the ones worked out by hand there. Screenshots at desktop and phone width
go to test-artifacts/ (the good ones are in docs/img/)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from kefu.actions.context import Kefu
from kefu.clock import FakeClock
from kefu.realtime.broker import InProcessBroker
from kefu.storage.database import Database
from kefu.storage.migrate import upgrade
from kefu.web.app import create_app
from tests.browser.conftest import shot
from tests.conftest import make_settings
from tests.livesrv import live_server
from tests.reports.seed import FIRST_DAY, LAST_DAY, NOW, seed_week
from tests.world import PASSWORD, World, build_world

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms: an upper bound for the page to load, never a timing assertion


@pytest.fixture(scope="module")
def report_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("reports")
    url = f"sqlite:///{data_dir / 'kefu.db'}"
    upgrade(url)
    settings = make_settings(url, data_dir, run_scheduler=False)
    clock = FakeClock(NOW)
    worlds: list[World] = []

    async def seed() -> None:
        kefu = Kefu(settings, Database(url), InProcessBroker(), clock)
        try:
            world = await build_world(kefu)
            await seed_week(kefu, world)
            worlds.append(world)
        finally:
            await kefu.db.dispose()

    seeder = threading.Thread(target=lambda: asyncio.run(seed()))
    seeder.start()
    seeder.join()
    with live_server(create_app(settings, clock=clock)) as base:
        yield {"base": base, "world": worlds[0]}


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/console/login")
    page.get_by_test_id("console-login-email").fill(email)
    page.get_by_test_id("console-login-password").fill(PASSWORD)
    page.get_by_test_id("console-login-submit").click()
    page.wait_for_url(f"{base}/console", timeout=WAIT)


def test_reports_page_shows_the_hand_computed_figures(
    browser: Any, report_server: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    base, world = report_server["base"], report_server["world"]
    for name, viewport in (("desk", (1280, 900)), ("phone", (390, 844))):
        ctx = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN"
        )
        try:
            page = ctx.new_page()
            errors: list[str] = []
            page.on(
                "console", lambda m, seen=errors: seen.append(m.text) if m.type == "error" else None
            )
            sign_in(page, base, world.emails["supervisor"])
            errors.clear()  # the console's own page is tested elsewhere
            page.goto(f"{base}/reports?start={FIRST_DAY}&end={LAST_DAY}")
            expect(page.get_by_test_id("fig-round_3min")).to_contain_text("50.0 %", timeout=WAIT)
            # by hand (tests/reports/seed.py): 3 of 6 rounds, 1 of 2 daytime chats,
            # 2 of 3 ratings at 4–5 stars, first responses 20 / 40 / 3600 s
            expect(page.get_by_test_id("fig-answer_30s")).to_contain_text("50.0 %")
            expect(page.get_by_test_id("fig-csat")).to_contain_text("66.7 %")
            expect(page.get_by_test_id("fig-first_response_median")).to_contain_text("40 秒")
            expect(page.get_by_test_id("fig-first_response_median")).to_contain_text("P90 1 小时")
            expect(page.get_by_test_id("row-reopen_rate")).to_contain_text("33.3 %")
            expect(page.get_by_test_id("row-abandon_wait_median")).to_contain_text("15 分钟")
            expect(page.get_by_test_id("row-containment")).to_contain_text("25.0 %")
            expect(page.get_by_test_id("sla-chat_first_response")).to_contain_text("66.7 %")
            expect(page.get_by_test_id("agent-KF8002")).to_contain_text("100.0 %")  # alice
            expect(page.get_by_test_id("report-comments")).to_contain_text("很快，谢谢")
            cell = page.locator("[data-testid=chart-arrivals] rect[data-day='0'][data-hour='10']")
            expect(cell).to_have_attribute("data-value", "1")
            expect(page.locator("[data-testid=chart-arrivals] rect[data-value='1']")).to_have_count(
                5
            )
            page.get_by_test_id("report-agents").scroll_into_view_if_needed()
            if name == "phone":  # nothing wider than the screen but the scrollable charts
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 390, width
            shot(page, f"reports-{name}")
            assert not errors, errors
        finally:
            ctx.close()


def test_public_status_page_on_a_phone(browser: Any, report_server: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    base, world = report_server["base"], report_server["world"]
    for name, viewport in (("phone", (390, 844)), ("desk", (1280, 900))):
        ctx = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN"
        )
        try:
            page = ctx.new_page()
            errors: list[str] = []
            page.on(
                "console", lambda m, seen=errors: seen.append(m.text) if m.type == "error" else None
            )
            page.goto(f"{base}/status/{world.slug}")
            # by hand: 30 days, chat first response kept for C1 and C2 of C1–C3
            expect(page.get_by_test_id("promise-chat_first_response")).to_contain_text(
                "近 30 天 66.7 % 做到（2/3），中位 30 秒", timeout=WAIT
            )
            expect(page.get_by_test_id("status-channels")).to_contain_text("客服不会索要密码")
            if name == "phone":
                assert page.evaluate("document.documentElement.scrollWidth") <= 390
            shot(page, f"status-{name}")
            assert not errors, errors
        finally:
            ctx.close()
