"""The conversation (= ticket) state machine. Illegal transitions raise."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from kefu.domain.vocabulary.terms import Channel
from kefu.errors import IllegalTransition

__all__ = [
    "OPEN_STATUSES",
    "STATUS_LABELS_ZH",
    "AuthorType",
    "Channel",
    "EventType",
    "Priority",
    "Status",
    "Visibility",
    "can_transition",
    "check_transition",
    "is_reopen",
    "parse_status",
]


class Status(StrEnum):
    BOT = "bot"
    QUEUED = "queued"
    ASSIGNED = "assigned"
    WAITING_CUSTOMER = "waiting_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = frozenset({Status.BOT, Status.QUEUED, Status.ASSIGNED, Status.WAITING_CUSTOMER})

_ALLOWED: dict[Status, frozenset[Status]] = {
    Status.BOT: frozenset({Status.QUEUED, Status.ASSIGNED, Status.RESOLVED, Status.CLOSED}),
    Status.QUEUED: frozenset({Status.ASSIGNED, Status.RESOLVED, Status.CLOSED}),
    Status.ASSIGNED: frozenset(
        {Status.QUEUED, Status.WAITING_CUSTOMER, Status.RESOLVED, Status.CLOSED}
    ),
    Status.WAITING_CUSTOMER: frozenset(
        {Status.ASSIGNED, Status.QUEUED, Status.RESOLVED, Status.CLOSED}
    ),
    # reopen: back to the assignee, or to the queue
    Status.RESOLVED: frozenset({Status.CLOSED, Status.ASSIGNED, Status.QUEUED}),
    Status.CLOSED: frozenset({Status.QUEUED, Status.ASSIGNED}),
}

STATUS_LABELS_ZH: dict[Status, str] = {
    Status.BOT: "机器人接待",
    Status.QUEUED: "排队中",
    Status.ASSIGNED: "处理中",
    Status.WAITING_CUSTOMER: "等待客户回复",
    Status.RESOLVED: "已解决",
    Status.CLOSED: "已关闭",
}


def parse_status(value: str) -> Status:
    try:
        return Status(value)
    except ValueError:
        raise IllegalTransition("?", value) from None


def can_transition(current: Status, target: Status) -> bool:
    return target in _ALLOWED[current]


def check_transition(current: str, target: str) -> Status:
    """Validate a status change and return the target status."""
    cur = parse_status(current)
    tgt = parse_status(target)
    if not can_transition(cur, tgt):
        raise IllegalTransition(cur.value, tgt.value)
    return tgt


def is_reopen(current: str, target: str) -> bool:
    return current in (Status.RESOLVED, Status.CLOSED) and target in (
        Status.QUEUED,
        Status.ASSIGNED,
    )


class EventType(StrEnum):
    MESSAGE = "message"
    BOT_TURN = "bot_turn"
    HANDOFF = "handoff"
    ASSIGNMENT = "assignment"
    TRANSFER = "transfer"
    NOTE = "note"
    STATUS_CHANGE = "status_change"
    SLA_WARNING = "sla_warning"
    SLA_BREACH = "sla_breach"
    RATING = "rating"
    ORDER_UPDATE = "order_update"  # an order linked to the conversation changed
    CARD_CODES = "card_codes"  # an agent revealed / the customer was re-sent card codes


class Visibility(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"


class AuthorType(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    BOT = "bot"
    SYSTEM = "system"


class Priority:
    LOW = 0
    NORMAL = 1
    HIGH = 2
    URGENT = 3
    LABELS: ClassVar[dict[int, str]] = {0: "low", 1: "normal", 2: "high", 3: "urgent"}
