"""/status/{tenant} and /api/v1/public/{tenant}/commitments over the hand-made week of
tests/reports/seed.py (now = 1 December 20:00 in Shanghai). Expected values by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from kefu.actions.context import Kefu, transaction
from kefu.clock import FakeClock
from kefu.storage.models import Tenant
from tests.reports.seed import HOURS, NOW, seed_week
from tests.world import World


@pytest.fixture
def seeded(client: TestClient, world: World, clock: FakeClock) -> World:
    clock.set(NOW)
    assert client.portal is not None
    client.portal.call(seed_week, client.app.state.kefu, world)  # type: ignore[attr-defined]
    return world


def _promises(body: dict) -> dict:  # type: ignore[type-arg]
    return {p["kind"]: {m["days"]: m for m in p["measured"]} for p in body["promises"]}


def test_promises_beside_the_measured_week(seeded: World, client: TestClient) -> None:
    r = client.get(f"/api/v1/public/{seeded.slug}/commitments")
    assert r.status_code == 200, r.text
    assert "max-age=60" in r.headers["cache-control"]
    body = r.json()
    p = _promises(body)
    # 30 days (2–30 Nov … 1 Dec): chat first response C1, C2 kept, C3 broken
    assert (p["chat_first_response"][30]["kept"], p["chat_first_response"][30]["decided"]) == (2, 3)
    assert p["chat_first_response"][30]["median_seconds"] == 30  # chats only: 20 and 40 s
    # 7 days (25 Nov – 1 Dec): only C3, broken; no chat answered by a person
    assert (p["chat_first_response"][7]["kept"], p["chat_first_response"][7]["decided"]) == (0, 1)
    assert p["chat_first_response"][7]["median_seconds"] is None
    assert (p["message_first_response"][7]["kept"], p["message_first_response"][7]["decided"]) == (
        1,
        1,
    )
    assert (p["simple_resolution"][30]["kept"], p["simple_resolution"][30]["decided"]) == (2, 3)
    assert p["callback_first_response"][30]["decided"] == 0
    chat = next(x for x in body["promises"] if x["kind"] == "chat_first_response")
    assert chat["text"] == "承诺 10 分钟内响应"
    assert chat["measured_text"][1] == "近 30 天 66.7 % 做到（2/3），中位 30 秒"
    # waits by hour (30 days): 20h 20 s, 10h 40 s, 09h 3600 s; arrivals 10h twice (C1, C6)
    assert body["best_hours"] == [9, 10, 20]
    assert body["busiest_hours"][0:3] == [9, 10, 14]
    assert body["queue"]["online_agents"] == 0 and body["queue"]["expected_wait_seconds"] is None
    assert "refund" not in p
    text = r.text
    for personal in ("KF-2026", "alice", "很快", "13800001234", "账号被盗"):
        assert personal not in text  # aggregates only


def test_cached_for_a_minute(seeded: World, client: TestClient, clock: FakeClock) -> None:
    url = f"/api/v1/public/{seeded.slug}/commitments"
    assert "refund" not in _promises(client.get(url).json())

    async def promise_refund(kefu: Kefu) -> None:
        async with transaction(kefu) as tx:
            await tx.session.execute(
                update(Tenant)
                .where(Tenant.id == seeded.tenant_id)
                .values(
                    settings={
                        "business_calendar": HOURS,
                        "sla_policy": {"refund_promise_hours": 24},
                    }
                )
            )

    assert client.portal is not None
    client.portal.call(promise_refund, client.app.state.kefu)  # type: ignore[attr-defined]
    assert "refund" not in _promises(client.get(url).json())  # still the cached answer
    clock.advance(timedelta(seconds=61))
    body = client.get(url).json()
    refund = next(x for x in body["promises"] if x["kind"] == "refund")
    assert refund["text"] == "承诺 24 小时内退款到账" and refund["measured_text"] == ["尚未测量"]


def test_the_page_reads_on_a_phone(seeded: World, client: TestClient) -> None:
    r = client.get(f"/status/{seeded.slug}")
    assert r.status_code == 200
    html = r.text
    assert 'name="viewport"' in html
    assert "承诺 10 分钟内响应" in html and "近 30 天 66.7 % 做到（2/3），中位 30 秒" in html
    assert "客服不会索要密码、验证码" in html
    assert "当前没有客服在线" in html
