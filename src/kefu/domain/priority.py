"""Priority: a score in points, its label, and ageing so nobody starves.

Score (see docs/routing.md)::

    score = LABEL_FLOOR[base_label]                        # normal = 20
          + TIER_POINTS * vip_level                        # vip 0..5 -> 0..30
          + sum(URGENCY_POINTS[u] for u in urgencies)      # account_security 50, funds_at_risk 30
          + min(30, 10 * log10(1 + amount_yuan / 10))      # money at stake, capped

    effective(score, waited) = score + AGEING_POINTS_PER_MINUTE * waited_minutes

Labels from the score: < 20 low, < 45 normal, < 70 high, else urgent. Ageing is
linear and uncapped, so any waiting conversation eventually overtakes any newly
arriving one (base scores are bounded). Because ageing is linear, the queue order
does not depend on "now": ``effective = (score - r * enqueued_minutes) + r * now``;
routing exploits that to keep static heap keys.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from kefu.clock import ensure_aware
from kefu.domain.conversation_state import Priority
from kefu.domain.vocabulary import Urgency, category_info
from kefu.errors import InvalidInput


class PriorityLabel(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


LABEL_ORDER: tuple[PriorityLabel, ...] = (
    PriorityLabel.LOW,
    PriorityLabel.NORMAL,
    PriorityLabel.HIGH,
    PriorityLabel.URGENT,
)
#: The lowest score that carries each label.
LABEL_FLOOR: dict[PriorityLabel, float] = {
    PriorityLabel.LOW: 0.0,
    PriorityLabel.NORMAL: 20.0,
    PriorityLabel.HIGH: 45.0,
    PriorityLabel.URGENT: 70.0,
}
MAX_VIP_LEVEL = 5
TIER_POINTS = 6.0
URGENCY_POINTS: dict[Urgency, float] = {
    Urgency.ACCOUNT_SECURITY: 50.0,
    Urgency.FUNDS_AT_RISK: 30.0,
}
AMOUNT_POINTS_CAP = 30.0
AGEING_POINTS_PER_MINUTE = 1.0
#: Customers at or above this VIP level get 秒接 treatment (exclusive agent, VIP queue).
VIP_THRESHOLD = 3

#: Named tiers some platforms use, mapped onto VIP levels.
TIER_NAMES: dict[str, int] = {
    "normal": 0,
    "普通": 0,
    "silver": 1,
    "白银": 1,
    "gold": 3,
    "黄金": 3,
    "platinum": 4,
    "铂金": 4,
    "diamond": 5,
    "钻石": 5,
}


def vip_level(tier: str | int) -> int:
    """A VIP level 0..5 from a level number (``3``, ``"vip3"``) or a tier name."""
    if isinstance(tier, int):
        level = tier
    else:
        key = tier.strip().lower()
        if key in TIER_NAMES:
            level = TIER_NAMES[key]
        elif key.removeprefix("vip").isdigit():
            level = int(key.removeprefix("vip"))
        else:
            raise InvalidInput(
                "unknown_member_tier", f"未知的会员等级：{tier}", f"unknown member tier: {tier}"
            )
    return max(0, min(MAX_VIP_LEVEL, level))


def amount_points(amount_yuan: Decimal | float | None) -> float:
    """Points for the money at stake: 10 元 -> 3, 100 元 -> 10.4, 1000 元 -> 20, cap 30."""
    if amount_yuan is None or amount_yuan <= 0:
        return 0.0
    return min(AMOUNT_POINTS_CAP, 10.0 * math.log10(1.0 + float(amount_yuan) / 10.0))


def urgencies_for(category: str | None) -> tuple[Urgency, ...]:
    """The urgencies a category carries (account security, funds at risk)."""
    info = category_info(category)
    return info.urgencies if info is not None else ()


def initial_priority(category: str | None, *, urgent: bool = False) -> int:
    """The stored priority level (conversation_state.Priority) a conversation starts
    with: 紧急 for an urgent category (账号安全) or when the bot said so, else 普通. The same
    for every channel, so a 账号安全 ticket and an account_security chat match."""
    info = category_info(category)
    if urgent or (info is not None and info.urgent):
        return Priority.URGENT
    return Priority.NORMAL


def label_for(score: float) -> PriorityLabel:
    label = PriorityLabel.LOW
    for candidate in LABEL_ORDER:
        if score >= LABEL_FLOOR[candidate]:
            label = candidate
    return label


@dataclass(frozen=True)
class PriorityScore:
    points: float
    label: PriorityLabel


def priority_score(
    *,
    tier: str | int = 0,
    urgencies: Iterable[Urgency | str] = (),
    amount_yuan: Decimal | float | None = None,
    base_label: PriorityLabel | str = PriorityLabel.NORMAL,
) -> PriorityScore:
    """The base priority of a conversation when it enters the queue."""
    points = LABEL_FLOOR[PriorityLabel(base_label)]
    points += TIER_POINTS * vip_level(tier)
    points += sum(URGENCY_POINTS[Urgency(u)] for u in set(urgencies))
    points += amount_points(amount_yuan)
    points = round(points, 3)
    return PriorityScore(points, label_for(points))


def raise_priority(points: float, steps: int) -> PriorityScore:
    """Escalation: move up `steps` labels (to that label's floor, never down)."""
    index = LABEL_ORDER.index(label_for(points))
    target = LABEL_ORDER[min(len(LABEL_ORDER) - 1, index + max(0, steps))]
    new_points = max(points, LABEL_FLOOR[target])
    return PriorityScore(new_points, label_for(new_points))


def effective_priority(
    base: float, waited: timedelta, *, ageing_per_minute: float = AGEING_POINTS_PER_MINUTE
) -> float:
    """Base score plus linear ageing; waiting time below zero counts as zero."""
    minutes = max(0.0, waited.total_seconds() / 60.0)
    return base + ageing_per_minute * minutes


_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def static_queue_key(
    base: float, enqueued_at: datetime, *, ageing_per_minute: float = AGEING_POINTS_PER_MINUTE
) -> float:
    """``effective_priority`` minus the part that depends on "now" (same for everyone).

    Higher key = served first; comparing keys gives the same order as comparing
    effective priorities at any common instant after both enqueue times.
    """
    minutes = (ensure_aware(enqueued_at) - _EPOCH).total_seconds() / 60.0
    return base - ageing_per_minute * minutes
