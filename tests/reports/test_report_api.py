"""/api/v1/reports over the hand-made week of tests/reports/seed.py. Each expected value
is worked out by hand in the comment beside it."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from kefu.clock import FakeClock
from tests.reports.seed import FIRST_DAY, LAST_DAY, NOW, seed_week
from tests.world import As, World

RANGE = f"start={FIRST_DAY}&end={LAST_DAY}"


@pytest.fixture
def seeded(client: TestClient, world: World, clock: FakeClock) -> World:
    clock.set(NOW)
    assert client.portal is not None
    client.portal.call(seed_week, client.app.state.kefu, world)  # type: ignore[attr-defined]
    return world


def test_figures_match_the_hand_computed_week(seeded: World, supervisor: As) -> None:
    r = supervisor.get(f"/api/v1/reports/summary?{RANGE}")
    assert r.status_code == 200, r.text
    body = r.json()
    fig = body["figures"]
    assert fig["conversations"] == 5  # C1..C5; C6 is on 30 November
    assert body["by_status"] == {"resolved": 3, "closed": 1, "assigned": 1}
    # first human reply after handoff (C1 10:01:02→10:01:42, C2 20:00:01→20:00:21) or
    # after the form (C5 09:30→10:30): 40, 20, 3600 s
    assert fig["first_response_median"] == 40
    assert fig["first_response_p90"] == 3600  # nearest rank: ceil(0.9·3) = 3rd of 3
    # business time (Mon–Fri 09–18): C2 is answered at 20:00, outside hours → 0 s
    assert fig["first_response_business_median"] == 40
    assert fig["unanswered"] == 1  # C3
    # created → first resolved: C1 602 s, C2 1801 s, C4 120 s
    assert fig["resolution_median"] == 602
    assert fig["resolution_p90"] == 1801
    assert fig["full_resolution_median"] == 602  # C1 602, C2 3600 (after reopen), C4 120
    assert fig["reopen_rate"] == pytest.approx(1 / 3)  # C2 of C1, C2, C4
    assert fig["reached_queue"] == 4  # C1, C2, C3, C5
    assert fig["abandoned"] == 1 and fig["missed"] == 1  # C3
    assert fig["abandon_wait_median"] == 900  # 23:30:05 → 23:45:05
    assert fig["with_bot"] == 4
    assert fig["containment"] == pytest.approx(0.25)  # C4 only
    assert fig["handoff_rate"] == pytest.approx(0.75)  # C1, C2, C3
    assert body["handoff_reasons"] == {"human_agent": 2, "account_security": 1}
    assert fig["flagged"] == 1 and fig["confident_wrong"] == 1  # C1: 0.9 then "没用"
    assert body["confident_wrong"][0]["intent"] == "recharge_not_received"
    assert fig["breaches"] == 1 and fig["escalations"] == 1  # C3
    assert fig["rated"] == 3
    assert fig["csat"] == pytest.approx(2 / 3)  # 5 and 4 of 5, 3, 4
    # rounds: C1 40 s ✓, 60 s ✓; C2 20 s ✓, 300 s ✗; C3 never answered ✗; C5 3600 s ✗
    assert body["rounds"] == {"rounds": 6, "within_3min": 3}
    assert fig["round_3min"] == pytest.approx(0.5)
    # chats: C1 (10:01, 40 s ✗), C2 (20:00, 20 s ✓); C3 starts 23:30 → left out
    assert body["answer_30s"] == {"chats": 2, "within_30s": 1}
    sla = {a["target"]: (a["met"], a["missed"]) for a in body["sla_attainment"]}
    assert sla == {
        "chat_first_response": (2, 1),  # C1, C2 met; C3 missed
        "message_first_response": (1, 0),  # C5
        "simple_resolution": (2, 1),  # C1, C2 met; C5 due 28 Nov 09:30, still open
    }
    agents = {a["name"]: a for a in body["agents"]}
    assert agents["alice"]["conversations"] == 2 and agents["alice"]["csat"] == 1.0
    assert agents["alice"]["first_response_median_seconds"] == 1820  # (40 + 3600) / 2
    assert agents["bob"]["csat"] == 0.0
    assert [c["comment"] for c in body["comments"]] == ["机器人就解决了", "很快，谢谢"]
    heat = body["heatmap"]["arrivals"]
    assert heat[0][10] == 1 and heat[1][20] == 1 and heat[2][23] == 1  # Mon 10, Tue 20, Wed 23
    assert heat[3][14] == 1 and heat[4][9] == 1 and sum(map(sum, heat)) == 5
    assert body["heatmap"]["mean_wait_seconds"][4][9] == 3600  # C5, Friday 09:xx


def test_filters_narrow_the_scope(seeded: World, supervisor: As) -> None:
    alice = seeded.agents["alice"]
    fig = supervisor.get(f"/api/v1/reports/summary?{RANGE}&agent={alice}").json()["figures"]
    assert fig["conversations"] == 2  # C1, C5
    fig = supervisor.get(f"/api/v1/reports/summary?{RANGE}&channel=ticket").json()["figures"]
    assert fig["conversations"] == 1 and fig["first_response_median"] == 3600
    fig = supervisor.get(f"/api/v1/reports/summary?{RANGE}&tier=gold").json()["figures"]
    assert fig["conversations"] == 0  # every seeded customer is m1 (normal)
    fig = supervisor.get(f"/api/v1/reports/summary?{RANGE}&tier=normal").json()["figures"]
    assert fig["conversations"] == 5


def test_csv_has_the_same_figures(seeded: World, admin: As) -> None:
    r = admin.get(f"/api/v1/reports/summary.csv?{RANGE}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    by_code = {row[2]: row for row in rows if len(row) >= 6}
    assert by_code["round_3min"][0] == "3分钟人工响应率"
    assert float(by_code["round_3min"][3]) == 0.5
    assert by_code["first_response_median"][5] == "40 秒"


def test_agents_and_bad_ranges_are_refused(seeded: World, alice: As, supervisor: As) -> None:
    r = alice.get(f"/api/v1/reports/summary?{RANGE}")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = supervisor.get(f"/api/v1/reports/summary?start={LAST_DAY}&end={FIRST_DAY}")
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_range"
    assert r.json()["error"]["message"] and r.json()["error"]["message_en"]
    r = supervisor.get("/api/v1/reports/summary?start=2025-01-01&end=2026-11-29")
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_range"
    r = supervisor.get("/api/v1/reports/summary?start=nonsense")
    assert r.status_code == 422


def test_another_tenant_sees_none_of_it(
    seeded: World, client: TestClient, other_world: World
) -> None:
    other = As.staff(client, other_world.emails["supervisor"])
    fig = other.get(f"/api/v1/reports/summary?{RANGE}").json()["figures"]
    assert fig["conversations"] == 0
