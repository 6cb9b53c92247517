"""Queue position and expected wait, honest when there is not enough data.

Model (docs/routing.md): each online agent works `capacity` conversations in
parallel; a slot frees up on average every `H` seconds, where `H` is an
exponentially weighted moving average of recent handling times. With `S` slots
on line and `F` of them free, the customer at position `p` (1 = next) waits

    0                          if p <= F
    (p - F) * H / S            otherwise

The estimate is "unknown" (None) when fewer than `min_samples` handling times have
been seen or no agent is online: we say so instead of inventing a number, and
offer the alternatives (留言 / 回拨).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from kefu.domain.routing import AgentState
from kefu.domain.vocabulary import Presence

DEFAULT_ALPHA = 0.2
DEFAULT_MIN_SAMPLES = 5
#: Above this expected wait the widget offers leave-a-message / call-back
#: (the first-response promise for chat is 10 minutes).
DEFAULT_OFFER_THRESHOLD = timedelta(minutes=10)


@dataclass(frozen=True)
class HandlingStats:
    """EWMA of handling time per conversation (assignment -> resolved/closed)."""

    ewma_seconds: float | None = None
    samples: int = 0
    alpha: float = DEFAULT_ALPHA

    def observe(self, handling_time: timedelta) -> HandlingStats:
        seconds = max(0.0, handling_time.total_seconds())
        if self.ewma_seconds is None:
            value = seconds
        else:
            value = self.alpha * seconds + (1.0 - self.alpha) * self.ewma_seconds
        return HandlingStats(value, self.samples + 1, self.alpha)


def stats_from(samples: Iterable[timedelta], alpha: float = DEFAULT_ALPHA) -> HandlingStats:
    """Fold handling times, oldest first."""
    stats = HandlingStats(alpha=alpha)
    for sample in samples:
        stats = stats.observe(sample)
    return stats


@dataclass(frozen=True)
class Capacity:
    online_agents: int
    slots: int  # sum of capacities of online agents
    free_slots: int


def capacity_of(agents: Iterable[AgentState], department: str | None = None) -> Capacity:
    online = [
        a
        for a in agents
        if a.presence is Presence.ONLINE and (department is None or department in a.departments)
    ]
    slots = sum(max(0, a.capacity) for a in online)
    free = sum(max(0, a.capacity - a.active) for a in online)
    return Capacity(len(online), slots, free)


RANGE_LOW = 0.75
RANGE_HIGH = 1.5


class WaitReason(StrEnum):
    ESTIMATED = "estimated"
    NO_AGENT_ONLINE = "no_agent_online"
    NOT_ENOUGH_DATA = "not_enough_data"


@dataclass(frozen=True)
class WaitEstimate:
    position: int
    expected_wait: timedelta | None  # None = unknown
    reason: WaitReason
    offer_alternatives: bool  # offer 留言 / 回拨

    @property
    def known(self) -> bool:
        return self.expected_wait is not None

    def wait_range(self) -> tuple[timedelta, timedelta] | None:
        """The expected wait as a range people can trust: handling times scatter around
        their average, so say from 3/4 to 3/2 of it (whole minutes); None = unknown."""
        if self.expected_wait is None:
            return None
        seconds = self.expected_wait.total_seconds()
        if seconds <= 0:
            return timedelta(0), timedelta(0)
        low = max(1, math.floor(seconds * RANGE_LOW / 60))
        high = max(low + 1, math.ceil(seconds * RANGE_HIGH / 60))
        return timedelta(minutes=low), timedelta(minutes=high)

    def describe_zh(self) -> str:
        ahead = max(0, self.position - 1)
        head = f"您前面还有 {ahead} 位" if ahead else "您是下一位"
        if self.expected_wait is None:
            if self.reason is WaitReason.NO_AGENT_ONLINE:
                tail = "当前没有客服在线，可以留言或预约回电"
            else:
                tail = "暂时无法估计等待时间"
            return f"{head}，{tail}"
        low, high = self.wait_range() or (timedelta(0), timedelta(0))
        if high <= timedelta(0):
            return f"{head}，马上为您接入"
        low_m, high_m = int(low.total_seconds() // 60), int(high.total_seconds() // 60)
        text = f"{head}，预计等待 {low_m}–{high_m} 分钟"
        if self.offer_alternatives:
            text += "，您也可以留言或预约回电"
        return text


def estimate_wait(
    position: int,
    stats: HandlingStats,
    capacity: Capacity,
    *,
    min_samples: int = DEFAULT_MIN_SAMPLES,
    offer_threshold: timedelta = DEFAULT_OFFER_THRESHOLD,
) -> WaitEstimate:
    """Expected wait for the customer at `position` (1 = next to be served)."""
    position = max(1, position)
    if capacity.online_agents == 0 or capacity.slots == 0:
        return WaitEstimate(position, None, WaitReason.NO_AGENT_ONLINE, True)
    if position <= capacity.free_slots:
        return WaitEstimate(position, timedelta(0), WaitReason.ESTIMATED, False)
    if stats.ewma_seconds is None or stats.samples < min_samples:
        # agents are on line but all busy and we cannot say how fast they work
        return WaitEstimate(position, None, WaitReason.NOT_ENOUGH_DATA, True)
    seconds = (position - capacity.free_slots) * stats.ewma_seconds / capacity.slots
    wait = timedelta(seconds=round(seconds))
    return WaitEstimate(position, wait, WaitReason.ESTIMATED, wait > offer_threshold)
