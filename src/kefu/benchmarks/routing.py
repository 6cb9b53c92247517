"""`kefu bench routing`: one assignment decision with 10,000 waiting and 500 agents.

    kefu bench routing [--waiting 10000] [--agents 500] [--decisions 2000]

"board" = kefu.domain.routing.RoutingBoard (heaps per department, static keys);
"naive" = baseline measured in the same run: sort every waiting conversation by
effective priority, then scan the agents for the first conversation that fits.
A decision includes applying it; after each one the load is kept steady (the
agent finishes a conversation, a new customer arrives), outside the timed part.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from kefu.domain.priority import effective_priority
from kefu.domain.routing import (
    AgentState,
    RoutingBoard,
    WaitingConversation,
    agent_key,
)
from kefu.domain.vocabulary import Presence

DEPTS = ["presales", "recharge", "refund", "security", "merchant"]
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def make_conv(rng: random.Random, i: int, now: datetime, n_agents: int) -> WaitingConversation:
    tier = rng.choice([0] * 8 + [1, 3, 5])
    exclusive = f"ag{rng.randrange(n_agents)}" if tier >= 3 and rng.random() < 0.5 else None
    return WaitingConversation(
        id=f"cv{i}",
        department=rng.choice(DEPTS),
        priority=rng.choice([20.0, 26.0, 38.0, 50.0, 70.0]),
        enqueued_at=now - timedelta(seconds=rng.randrange(3600)),
        customer_tier=tier,
        exclusive_agent_id=exclusive,
    )


def make_agents(rng: random.Random, n: int) -> list[AgentState]:
    agents = []
    for i in range(n):
        depts = frozenset(rng.sample(DEPTS, rng.choice([1, 1, 2])))
        presence = rng.choice(
            [Presence.ONLINE] * 7 + [Presence.BUSY, Presence.AWAY, Presence.OFFLINE]
        )
        capacity = rng.choice([3, 4, 5])
        agents.append(
            AgentState(
                f"ag{i}",
                depts,
                presence,
                capacity,
                capacity,
                T0 - timedelta(seconds=rng.randrange(3600)),
            )
        )
    return agents


def naive_decision(
    waiting: dict[str, WaitingConversation], agents: dict[str, AgentState], now: datetime
) -> tuple[str, str] | None:
    ordered = sorted(
        waiting.values(),
        key=lambda c: (
            -effective_priority(c.priority, now - c.enqueued_at),
            -c.customer_tier,
            c.enqueued_at,
            c.id,
        ),
    )
    free = [a for a in agents.values() if a.can_take]
    for conv in ordered:
        if conv.exclusive_agent_id is not None:
            ex = agents.get(conv.exclusive_agent_id)
            if ex is not None and ex.can_take:
                return conv.id, ex.id
        fitting = [a for a in free if conv.department in a.departments]
        if fitting:
            return conv.id, min(fitting, key=agent_key).id
    return None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(n_waiting: int, n_agents: int, decisions: int, naive_decisions: int) -> None:
    rng = random.Random(42)
    agents = make_agents(rng, n_agents)
    online = [a for a in agents if a.presence is Presence.ONLINE]
    waiting = [make_conv(rng, i, T0, n_agents) for i in range(n_waiting)]
    next_id = n_waiting

    # -- board
    board = RoutingBoard.build(waiting, agents)
    board_times: list[float] = []
    now = T0
    for _ in range(decisions):
        # steady state: one agent finishes a conversation, one customer arrives
        finisher = board.agent(rng.choice(online).id)
        assert finisher is not None
        board.upsert_agent(replace(finisher, active=max(0, finisher.active - 1)))
        board.add_conversation(make_conv(rng, next_id, now, n_agents))
        next_id += 1
        now += timedelta(seconds=1)
        t = time.perf_counter()
        board.pop_next(now)
        board_times.append(time.perf_counter() - t)

    # -- naive baseline, same workload shape
    rng = random.Random(42)
    agents_map = {a.id: a for a in make_agents(rng, n_agents)}
    waiting_map = {c.id: c for c in (make_conv(rng, i, T0, n_agents) for i in range(n_waiting))}
    naive_times: list[float] = []
    now = T0
    for _ in range(naive_decisions):
        fid = rng.choice(online).id
        fin = agents_map[fid]
        agents_map[fid] = replace(fin, active=max(0, fin.active - 1))
        c = make_conv(rng, next_id, now, n_agents)
        waiting_map[c.id] = c
        next_id += 1
        now += timedelta(seconds=1)
        t = time.perf_counter()
        decision = naive_decision(waiting_map, agents_map, now)
        if decision is not None:
            conv_id, agent_id = decision
            del waiting_map[conv_id]
            a = agents_map[agent_id]
            agents_map[agent_id] = replace(a, active=a.active + 1, idle_since=now)
        naive_times.append(time.perf_counter() - t)

    def fmt(name: str, values: list[float]) -> str:
        ms = [v * 1000 for v in values]
        return (
            f"{name:6s} n={len(ms):5d}  p50={statistics.median(ms):8.3f} ms  "
            f"p99={percentile(ms, 0.99):8.3f} ms  max={max(ms):8.3f} ms"
        )

    print(
        f"routing: {n_waiting} waiting, {n_agents} agents ({len(online)} online), "
        f"{len(DEPTS)} departments"
    )
    print(fmt("board", board_times))
    print(fmt("naive", naive_times))
    speedup = statistics.median(naive_times) / statistics.median(board_times)
    print(
        f"board is {speedup:.0f}x faster at p50; target: p99 < 5 ms -> "
        f"{'OK' if percentile(board_times, 0.99) < 0.005 else 'MISSED'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kefu bench routing", description=__doc__)
    parser.add_argument("--waiting", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--decisions", type=int, default=2_000)
    parser.add_argument("--naive-decisions", type=int, default=200)
    args = parser.parse_args(argv)
    run(args.waiting, args.agents, args.decisions, args.naive_decisions)
    return 0
