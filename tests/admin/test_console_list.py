"""The console's list shows the customer's problem in their words (not the bot's last
reply), the channel and category by their labels, and how long a queued customer has
waited."""

from __future__ import annotations

import re
from datetime import timedelta

from kefu.clock import FakeClock
from tests.world import As


def test_list_shows_the_problem_channel_and_wait(customer: As, alice: As, clock: FakeClock) -> None:
    conv = customer.post("/api/v1/conversations", json={"body": "充值了没到账，扣了钱"}).json()
    events = alice.get(f"/api/v1/conversations/{conv['id']}/events").json()["events"]
    bot = [e["body"] for e in events if e["type"] == "bot_turn" and e["body"]]
    assert bot, events  # the bot answered: its reply must not stand for the problem
    assert customer.post(f"/api/v1/conversations/{conv['id']}/handoff").status_code == 200
    clock.advance(timedelta(minutes=12))
    page = alice.get("/console/partials/list", params={"tab": "queued"}).text
    item = page[page.index(f'data-id="{conv["id"]}"') :].split("</li>")[0]
    (preview,) = re.findall(r'<div class="line2">([^<]*)</div>', item)
    assert preview.strip() == "充值了没到账，扣了钱"
    assert bot[-1][:20] not in item
    assert re.search(r'data-testid="console-item-channel">[^<a-z]+<', item)  # a label
    assert "已等待 12 分钟" in item
    assert "web" not in re.sub(r"<[^>]+>", "", item)  # no raw channel code
