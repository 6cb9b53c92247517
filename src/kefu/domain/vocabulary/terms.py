"""Presence, order status and channel: one definition each, with their labels."""

from __future__ import annotations

from enum import StrEnum


class Presence(StrEnum):
    """An agent's availability (``agents.presence``)."""

    ONLINE = "online"  # takes new conversations
    BUSY = "busy"  # logged in, not taking new conversations
    AWAY = "away"
    OFFLINE = "offline"

    @property
    def takes_work(self) -> bool:
        return self is Presence.ONLINE

    @property
    def gone(self) -> bool:
        """Not at the desk: their assigned conversations go back after the grace period."""
        return self in (Presence.AWAY, Presence.OFFLINE)

    @classmethod
    def parse(cls, value: str | None) -> Presence:
        """A stored value; anything unknown counts as offline (never as available)."""
        try:
            return cls(value or "")
        except ValueError:
            return cls.OFFLINE


class OrderStatus(StrEnum):
    """An order's status, normalised from every marketplace (``orders.status``).

    Each adapter maps its own codes onto this one set (channels/orders/status_mapping.py,
    table in docs/orders.md); the marketplace's raw code is kept in ``upstream_status``.
    """

    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    PROCESSING = "processing"
    PARTIALLY_DELIVERED = "partially_delivered"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    FAILED = "failed"
    ABNORMAL = "abnormal"  # the marketplace flagged it for a person (dujiaoka 6 异常)
    REFUNDING = "refunding"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # never paid, the payment window closed (dujiaoka -1 过期)

    @property
    def in_progress(self) -> bool:
        """Paid, the goods are still on their way (the bot gives the expected time)."""
        return self in (
            OrderStatus.PAID,
            OrderStatus.PROCESSING,
            OrderStatus.PARTIALLY_DELIVERED,
        )

    @property
    def paid(self) -> bool:
        """Money was taken and not (entirely) given back: a refund may be asked for."""
        return self not in (
            OrderStatus.PENDING_PAYMENT,
            OrderStatus.REFUNDED,
            OrderStatus.CANCELLED,
            OrderStatus.EXPIRED,
        )

    @property
    def delivered_something(self) -> bool:
        """Card codes or goods went out (a re-issue, not a first delivery, is the remedy)."""
        return self in (
            OrderStatus.PARTIALLY_DELIVERED,
            OrderStatus.DELIVERED,
            OrderStatus.COMPLETED,
            OrderStatus.PARTIALLY_REFUNDED,
        )


class RefundRoute(StrEnum):
    """Where refunded money goes: back the way it was paid, or to the site balance."""

    ORIGINAL = "original"
    BALANCE = "balance"


class MarketplaceKind(StrEnum):
    """Which protocol a tenant's order source speaks (TenantSettings.order_source.kind)."""

    KEFU_API = "kefu_api"
    DUJIAO_NEXT = "dujiao_next"
    DUJIAOKA = "dujiaoka"


class OrderUpdateSource(StrEnum):
    """How kefu learnt of an order change (order_update events)."""

    WEBHOOK = "webhook"  # the marketplace pushed it
    POLL = "poll"  # kefu asked (fallback)
    LOOKUP = "lookup"  # an agent or the bot refreshed the order
    API = "api"  # the machine upsert API (PUT /api/v1/orders)
    REFUND = "refund"  # a refund kefu sent through the adapter
    REISSUE = "reissue"


class PromiseKind(StrEnum):
    """Which first-response promise applies: chat 10 分钟, message 30 分钟, call-back 1 小时."""

    CHAT = "chat"
    MESSAGE = "message"
    CALLBACK = "callback"


class Channel(StrEnum):
    """How a conversation reached us (``conversations.channel``)."""

    WEB = "web"  # the widget (live chat)
    TICKET = "ticket"  # the help-center form
    EMAIL = "email"
    WECHAT = "wechat"
    API = "api"

    @property
    def promise(self) -> PromiseKind:
        return PromiseKind.MESSAGE if self in (Channel.TICKET, Channel.EMAIL) else PromiseKind.CHAT

    @property
    def replies_by_email(self) -> bool:
        """Agents' public replies are also sent to the customer by e-mail."""
        return self in (Channel.TICKET, Channel.EMAIL)
