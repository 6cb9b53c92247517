"""Who plans follow-ups of committed timeline events, in order: the bot answers, routing
assigns, SLA deadlines are recomputed, notifications go out. Each enqueues jobs in the
transaction that appended the events (actions/outbox.py)."""

from __future__ import annotations

from kefu.actions import (
    bot_turns,
    notifications,
    queueing,
    sla_tracking,
    webhook_delivery,
    wechat_delivery,
)
from kefu.actions.context import Subscriber


def default_subscribers() -> list[Subscriber]:
    return [
        bot_turns.on_timeline,
        queueing.on_timeline,
        sla_tracking.on_timeline,
        notifications.on_timeline,
        wechat_delivery.on_timeline,
        webhook_delivery.on_timeline,
    ]
