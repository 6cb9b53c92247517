"""The reply window of a messaging channel: WeChat lets a business send at most 5
messages within 48 h of the user's last message (kf ``send_msg`` and OA ``custom/send``
alike). Pure: the console shows it, the sender checks it before calling WeChat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

WECHAT_WINDOW = timedelta(hours=48)
WECHAT_WINDOW_MESSAGES = 5


@dataclass(frozen=True)
class WindowState:
    open: bool
    closes_at: datetime | None
    messages_left: int
    reason: str  # "" | "expired" | "used_up" | "never_wrote"

    def seconds_left(self, now: datetime) -> int:
        if not self.open or self.closes_at is None:
            return 0
        return max(0, int((self.closes_at - now).total_seconds()))


def window_state(
    last_user_at: datetime | None,
    sent_since: int,
    now: datetime,
    *,
    length: timedelta = WECHAT_WINDOW,
    limit: int = WECHAT_WINDOW_MESSAGES,
) -> WindowState:
    if last_user_at is None:
        return WindowState(False, None, 0, "never_wrote")
    closes_at = last_user_at + length
    left = max(0, limit - sent_since)
    if now >= closes_at:
        return WindowState(False, closes_at, 0, "expired")
    if left == 0:
        return WindowState(False, closes_at, 0, "used_up")
    return WindowState(True, closes_at, left, "")
