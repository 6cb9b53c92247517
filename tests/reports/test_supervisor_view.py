"""/console/supervisor over the hand-made week (now = 1 December): C5 (alice, due to be
resolved by 28 November 09:30) is past its SLA; one click hands it to bob through the
assignment action."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kefu.clock import FakeClock
from tests.reports.seed import NOW, Seeded, seed_week
from tests.world import As, World


@pytest.fixture
def seeded(client: TestClient, world: World, clock: FakeClock) -> Seeded:
    clock.set(NOW)
    assert client.portal is not None
    return client.portal.call(seed_week, client.app.state.kefu, world)  # type: ignore[attr-defined]


def test_supervisor_sees_the_breach_and_reassigns_it(
    seeded: Seeded, world: World, supervisor: As, alice: As
) -> None:
    r = supervisor.get("/console/supervisor")
    assert r.status_code == 200, r.text
    c5 = seeded.numbers["C5"]
    assert f'data-testid="sup-risk-{c5}"' in r.text
    row = r.text.split(f'data-testid="sup-risk-{c5}"', 1)[1].split("</tr>", 1)[0]
    assert "已超时" in row and "alice" in row and "11月28日 09:30" in row
    assert 'data-testid="sup-agent-KF8003"' in r.text  # bob is listed with his load
    bob = world.agents["bob"]
    r = supervisor.post(
        "/console/supervisor/reassign",
        data={"csrf": "wrong", "conversation": seeded.public_ids["C5"], "agent_id": str(bob)},
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
    r = supervisor.post(
        "/console/supervisor/reassign",
        data={
            "csrf": supervisor.csrf,
            "conversation": seeded.public_ids["C5"],
            "agent_id": str(bob),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = supervisor.get("/console/supervisor").text
    row = page.split(f'data-testid="sup-risk-{c5}"', 1)[1].split("</tr>", 1)[0]
    assert "bob" in row and "alice" not in row.split("<select", 1)[0]
    assert alice.get("/console/supervisor").status_code == 403
