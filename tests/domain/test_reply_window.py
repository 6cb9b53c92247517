"""The WeChat reply window: 5 messages within 48 h of the user's last message."""

from __future__ import annotations

from datetime import timedelta

from kefu.clock import FakeClock
from kefu.domain.reply_window import window_state


def test_window_opens_counts_and_closes() -> None:
    clock = FakeClock()
    wrote = clock.now()
    assert window_state(None, 0, clock.now()).reason == "never_wrote"
    state = window_state(wrote, 0, clock.now())
    assert state.open and state.messages_left == 5
    assert state.seconds_left(clock.now()) == 48 * 3600
    assert window_state(wrote, 4, clock.now()).messages_left == 1
    used = window_state(wrote, 5, clock.now())
    assert not used.open and used.reason == "used_up" and used.seconds_left(clock.now()) == 0
    clock.advance(hours=47, minutes=59)
    assert window_state(wrote, 0, clock.now()).seconds_left(clock.now()) == 60
    clock.advance(timedelta(minutes=1))
    expired = window_state(wrote, 0, clock.now())
    assert not expired.open and expired.reason == "expired"
