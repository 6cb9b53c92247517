from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.domain.queue_estimate import (
    Capacity,
    HandlingStats,
    WaitReason,
    capacity_of,
    estimate_wait,
    stats_from,
)
from kefu.domain.routing import AgentState, Presence

FIVE_MIN = [timedelta(minutes=5)] * 6


def test_ewma_moves_towards_recent_samples() -> None:
    stats = stats_from([timedelta(minutes=10)] * 5)
    assert stats.ewma_seconds == pytest.approx(600)
    faster = stats.observe(timedelta(minutes=5))
    assert faster.ewma_seconds == pytest.approx(0.2 * 300 + 0.8 * 600)
    assert faster.samples == 6
    assert HandlingStats().observe(timedelta(seconds=-3)).ewma_seconds == 0


def test_capacity_counts_only_online_agents() -> None:
    agents = [
        AgentState("a", frozenset({"recharge"}), Presence.ONLINE, 3, 1),
        AgentState("b", frozenset({"refund"}), Presence.ONLINE, 2, 2),
        AgentState("c", frozenset({"recharge"}), Presence.AWAY, 5, 0),
    ]
    assert capacity_of(agents) == Capacity(2, 5, 2)
    assert capacity_of(agents, "recharge") == Capacity(1, 3, 2)


def test_free_slot_means_no_wait() -> None:
    est = estimate_wait(2, HandlingStats(), Capacity(1, 3, 2))
    assert est.expected_wait == timedelta(0)
    assert not est.offer_alternatives
    assert "马上" in est.describe_zh()


def test_expected_wait_from_handling_rate() -> None:
    # 3 agents x 3 slots, all busy, 5 minutes per conversation: a slot frees every 33 s
    est = estimate_wait(10, stats_from(FIVE_MIN), Capacity(3, 9, 0))
    assert est.reason is WaitReason.ESTIMATED
    assert est.expected_wait == timedelta(seconds=round(10 * 300 / 9))
    assert not est.offer_alternatives
    assert est.describe_zh() == "您前面还有 9 位，预计等待 4–9 分钟"  # 333 s × 3/4 … × 3/2
    assert est.wait_range() == (timedelta(minutes=4), timedelta(minutes=9))


def test_long_wait_offers_message_or_callback() -> None:
    # the seeds' shop: 3 agents for 5000+ inquiries a day, a queue of 100
    est = estimate_wait(100, stats_from(FIVE_MIN), Capacity(3, 9, 0))
    assert est.expected_wait is not None and est.expected_wait > timedelta(minutes=30)
    assert est.offer_alternatives
    assert "留言" in est.describe_zh()


def test_unknown_when_no_data() -> None:
    est = estimate_wait(4, stats_from(FIVE_MIN[:2]), Capacity(2, 6, 0))
    assert est.expected_wait is None
    assert not est.known
    assert est.reason is WaitReason.NOT_ENOUGH_DATA
    assert est.offer_alternatives
    assert "无法估计" in est.describe_zh()


def test_unknown_when_nobody_online() -> None:
    est = estimate_wait(1, stats_from(FIVE_MIN), Capacity(0, 0, 0))
    assert est.expected_wait is None
    assert est.reason is WaitReason.NO_AGENT_ONLINE
    assert est.offer_alternatives
    assert est.describe_zh() == "您是下一位，当前没有客服在线，可以留言或预约回电"


def test_threshold_is_configurable() -> None:
    est = estimate_wait(
        10, stats_from(FIVE_MIN), Capacity(3, 9, 0), offer_threshold=timedelta(minutes=1)
    )
    assert est.offer_alternatives
