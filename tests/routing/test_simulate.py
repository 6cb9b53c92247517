"""`kefu simulate`: a small day through the real code, and the staffing twin."""

from __future__ import annotations

import pytest

from kefu import simulate


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_small_day_through_the_real_code(anyio_backend: str) -> None:
    cfg = simulate.Config(inquiries=40, agents=1, capacity=1, seed=3)
    day = simulate.make_day(cfg)
    report = await simulate.run_real(cfg, day)
    assert report.contained + report.human == 40
    assert 0 < report.human < 40  # the real bot contains some and hands off some
    assert report.abandoned + len(report.waits) == report.human
    assert report.sla_breaches is not None
    # simulated agents are really routed to (their consoles hold presence leases): with
    # one agent for 40 inquiries a day most customers handed over are served
    assert len(report.waits) > report.abandoned, (len(report.waits), report.abandoned)
    assert any(inq.resolved is not None for inq in day)


def test_twin_more_agents_never_wait_longer() -> None:
    cfg = simulate.Config(inquiries=1500, agents=1, seed=5)
    day = simulate.make_day(cfg)
    contained = {i.n: i.n % 2 == 0 for i in day}
    p90 = []
    for agents in (1, 2, 4, 8):
        twin = simulate.run_twin(
            simulate.Config(**{**cfg.__dict__, "agents": agents}), day, contained
        )
        assert twin.contained == 750
        p90.append(twin.metrics()["wait_p90"])
    assert p90 == sorted(p90, reverse=True) and p90[0] > p90[-1]


def test_target_parsing() -> None:
    report = simulate.Report(agents=1, inquiries=10, human=10, waits=[30.0] * 10)
    assert simulate.parse_target("wait_p90<=600")(report)
    assert not simulate.parse_target("wait_p90<=10")(report)
    with pytest.raises(SystemExit):
        simulate.parse_target("p99 < 3")
