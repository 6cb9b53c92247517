"""The one interface every marketplace order adapter implements (docs/orders.md).

Channels know no conversation: an adapter speaks one marketplace's protocol and returns
kefu's normalised shapes (:class:`OrderSnapshot`, :class:`OrderEvent`, results). What to do
with them (mirror the order, write timeline events, answer the bot) is the actions layer's.

Errors are three kinds, so callers (the outbox) know whether to retry:

* :class:`AdapterTransient` — timeout, connection refused, 5xx, 429: try again later with
  the SAME idempotency key (the marketplace deduplicates by it).
* :class:`AdapterRejected` — the marketplace said no (4xx, a business error code): do not
  retry; show the reason to a person.
* :class:`AdapterUnsupported` — this marketplace has no such operation (dujiaoka has no
  refund API): do it by hand in the marketplace's back office.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable

from kefu.domain.vocabulary import MarketplaceKind, OrderStatus, RefundRoute


class Capability(StrEnum):
    LOOKUP = "lookup"  # read one order by its number
    WEBHOOK = "webhook"  # the marketplace pushes events (verified by parse_webhook)
    POLL = "poll"  # kefu asks for news (fallback when a webhook was lost)
    REFUND = "refund"
    REISSUE = "reissue"
    CARD_CODES = "card_codes"  # lookup returns the delivered codes (fetched on demand)


@dataclass(frozen=True, slots=True)
class OrderSnapshot:
    """An order as the marketplace reports it now, normalised.

    ``card_codes`` are secrets: never log them, never store them in clear, never put them
    in a timeline event; the caller encrypts or drops them (docs/orders.md, card codes).
    """

    order_no: str
    status: OrderStatus
    upstream_status: str  # the marketplace's own code, kept for people and audits
    product: str = ""
    amount: Decimal = Decimal("0")
    currency: str = "CNY"
    quantity: int = 1
    refunded_amount: Decimal = Decimal("0")
    customer_ref: str | None = None  # the marketplace's user id (customers.external_id)
    contact: str | None = None  # the e-mail / phone the order was placed with
    created_at: datetime | None = None
    paid_at: datetime | None = None
    delivered_at: datetime | None = None
    updated_at: datetime | None = None
    card_codes: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """Something happened to an order (from a webhook or a poll).

    ``event_id`` deduplicates: the same event delivered twice has the same id. A snapshot
    is present when the marketplace sent the whole order; otherwise call ``lookup``.
    """

    event_id: str
    order_no: str
    status: OrderStatus
    upstream_status: str
    occurred_at: datetime
    snapshot: OrderSnapshot | None = None


@dataclass(frozen=True, slots=True)
class EventBatch:
    """One poll's events and where the next poll continues (opaque to the caller)."""

    events: tuple[OrderEvent, ...]
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class RefundRequest:
    order_no: str
    amount: Decimal
    route: RefundRoute = RefundRoute.ORIGINAL
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RefundResult:
    """``duplicate``: the marketplace already had a refund under this idempotency key and
    returned it (no second refund happened)."""

    order_no: str
    refund_ref: str
    amount: Decimal
    status: OrderStatus  # the order's status after the refund
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class ReissueRequest:
    order_no: str
    quantity: int = 1
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReissueResult:
    order_no: str
    reissue_ref: str  # the marketplace's number for the new delivery
    status: OrderStatus
    duplicate: bool = False
    card_codes: tuple[str, ...] = field(default=(), repr=False)


class OrderAdapterError(Exception):
    """Base: ``code`` is stable, messages are Chinese first, then English."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


class AdapterTransient(OrderAdapterError):
    """Retry later with the same idempotency key."""


class AdapterRejected(OrderAdapterError):
    """The marketplace refused; retrying will not help."""


class AdapterUnsupported(OrderAdapterError):
    """This marketplace offers no such operation."""


class WebhookRejected(OrderAdapterError):
    """A pushed request failed verification (signature, clock, secret URL, body)."""


@runtime_checkable
class OrderAdapter(Protocol):
    """What kefu asks of a marketplace. Build one with ``channels.orders.build_adapter``."""

    kind: MarketplaceKind
    capabilities: frozenset[Capability]

    async def lookup(self, order_no: str) -> OrderSnapshot | None:
        """The order now, or None when the marketplace does not know it."""
        ...

    async def poll(self, order_nos: Sequence[str], cursor: str | None) -> EventBatch:
        """Events for these open orders since ``cursor`` (fallback for lost webhooks)."""
        ...

    def parse_webhook(
        self, headers: Mapping[str, str], path: str, body: bytes, now: datetime
    ) -> tuple[OrderEvent, ...]:
        """Verify a pushed request and return its events; raise WebhookRejected.

        ``headers`` keys are lower-case; ``path`` is the request path as received."""
        ...

    async def refund(self, request: RefundRequest, idempotency_key: str) -> RefundResult:
        """Refund once: the same key twice yields the first result (``duplicate=True``)."""
        ...

    async def reissue(self, request: ReissueRequest, idempotency_key: str) -> ReissueResult:
        """Deliver again once per key (a re-issue is its own marketplace order/record)."""
        ...

    async def aclose(self) -> None: ...
