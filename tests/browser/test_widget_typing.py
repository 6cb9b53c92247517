"""While the bot thinks, the widget shows 智能助手 正在输入…; the answer replaces it.

The bot's answer is held back on the socket (Playwright routes the widget's WebSocket
through the test and keeps bot_turn frames until the indicator has been seen), so the
test does not depend on how fast the bot is."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import shot

WAIT = 20_000  # ms: an upper bound for the page to catch up, never a timing assertion


def test_typing_indicator_while_the_bot_thinks(browser: Any, demo_server: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    held: list[str] = []
    routes: list[Any] = []

    def route(ws: Any) -> None:
        server = ws.connect_to_server()

        def from_server(message: str | bytes) -> None:
            if isinstance(message, str) and '"type":"bot_turn"' in message:
                held.append(message)
            else:
                ws.send(message)

        server.on_message(from_server)
        routes.append(ws)

    ctx = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN")
    try:
        page = ctx.new_page()
        page.route_web_socket(re.compile(r".*/ws$"), route)
        page.goto(f"{demo_server['base']}/demo/shop")
        page.get_by_test_id("kefu-launcher").click()
        typing = page.get_by_test_id("kefu-typing")
        expect(typing).to_be_hidden()
        page.get_by_test_id("kefu-input").fill("卡密提示已被使用怎么办")
        page.get_by_test_id("kefu-send").click()
        expect(typing).to_be_visible(timeout=WAIT)
        expect(typing).to_contain_text("智能助手")
        shot(page, "widget-bot-typing")
        bot = page.locator("[data-testid=kefu-message][data-author=bot]")
        assert bot.count() == 0
        page.wait_for_function("() => true")  # let the route see the held frame
        deadline = 0
        while not held and deadline < 200:
            page.wait_for_timeout(50)
            deadline += 1
        assert held, "the bot answered over the socket"
        for message in held:
            routes[-1].send(message)
        expect(bot.first).to_be_visible(timeout=WAIT)
        expect(typing).to_be_hidden(timeout=WAIT)
    finally:
        ctx.close()
