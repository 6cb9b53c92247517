from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.domain.priority import (
    PriorityLabel,
    amount_points,
    effective_priority,
    label_for,
    priority_score,
    raise_priority,
    static_queue_key,
    vip_level,
)
from kefu.domain.vocabulary import Urgency
from kefu.errors import InvalidInput


def test_default_is_normal() -> None:
    score = priority_score()
    assert score.points == 20
    assert score.label is PriorityLabel.NORMAL


def test_account_security_is_urgent_and_funds_at_risk_high() -> None:
    assert priority_score(urgencies=[Urgency.ACCOUNT_SECURITY]).label is PriorityLabel.URGENT
    assert priority_score(urgencies=["funds_at_risk"]).label is PriorityLabel.HIGH
    # the same urgency twice counts once
    assert priority_score(urgencies=["funds_at_risk", "funds_at_risk"]).points == 50


def test_tiers() -> None:
    assert vip_level("diamond") == 5
    assert vip_level("黄金") == 3
    assert vip_level("VIP2") == 2
    assert vip_level(9) == 5
    assert vip_level(-1) == 0
    with pytest.raises(InvalidInput):
        vip_level("emperor")
    assert priority_score(tier="vip5").label is PriorityLabel.HIGH
    assert priority_score(tier=3).points > priority_score(tier=2).points


def test_amount_points() -> None:
    assert amount_points(None) == 0
    assert amount_points(0) == 0
    assert amount_points(Decimal("90")) == pytest.approx(10.0)
    assert amount_points(990) == pytest.approx(20.0)
    assert amount_points(10**9) == 30


@given(st.floats(min_value=0, max_value=1e7), st.floats(min_value=0, max_value=1e7))
def test_amount_points_monotonic_and_capped(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert 0 <= amount_points(low) <= amount_points(high) <= 30


def test_labels_and_raise() -> None:
    assert label_for(0) is PriorityLabel.LOW
    assert label_for(44.9) is PriorityLabel.NORMAL
    assert label_for(45) is PriorityLabel.HIGH
    assert label_for(150) is PriorityLabel.URGENT
    assert raise_priority(20, 1).label is PriorityLabel.HIGH
    assert raise_priority(20, 5).label is PriorityLabel.URGENT
    assert raise_priority(60, 0).points == 60
    assert priority_score(base_label="low").label is PriorityLabel.LOW


def test_ageing() -> None:
    assert effective_priority(20, timedelta(minutes=30)) == 50
    assert effective_priority(20, timedelta(minutes=-5)) == 20
    # a normal conversation waiting 50 minutes catches up with a fresh urgent one
    assert effective_priority(20, timedelta(minutes=50)) >= effective_priority(70, timedelta(0))


@given(
    st.floats(min_value=0, max_value=200),
    st.floats(min_value=0, max_value=200),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=10_000),
)
def test_static_key_orders_like_effective_priority(
    base_a: float, base_b: float, enq_a: int, enq_b: int, later: int
) -> None:
    t0 = datetime(2026, 11, 23, tzinfo=UTC)
    at_a, at_b = t0 + timedelta(seconds=enq_a), t0 + timedelta(seconds=enq_b)
    now = max(at_a, at_b) + timedelta(seconds=later)
    eff_a = effective_priority(base_a, now - at_a)
    eff_b = effective_priority(base_b, now - at_b)
    key_a, key_b = static_queue_key(base_a, at_a), static_queue_key(base_b, at_b)
    if abs(eff_a - eff_b) > 1e-6:
        assert (eff_a > eff_b) == (key_a > key_b)
