"""Marketplace order adapters behind one interface (docs/orders.md).

* :mod:`.adapter` — the OrderAdapter protocol, its value types and errors.
* :mod:`.status_mapping` — each marketplace's codes onto the one OrderStatus.
"""

from kefu.channels.orders.adapter import (
    AdapterRejected,
    AdapterTransient,
    AdapterUnsupported,
    Capability,
    EventBatch,
    OrderAdapter,
    OrderAdapterError,
    OrderEvent,
    OrderSnapshot,
    RefundRequest,
    RefundResult,
    ReissueRequest,
    ReissueResult,
    WebhookRejected,
)
from kefu.channels.orders.status_mapping import normalise_status
from kefu.domain.vocabulary import MarketplaceKind

__all__ = [
    "AdapterRejected",
    "AdapterTransient",
    "AdapterUnsupported",
    "Capability",
    "EventBatch",
    "MarketplaceKind",
    "OrderAdapter",
    "OrderAdapterError",
    "OrderEvent",
    "OrderSnapshot",
    "RefundRequest",
    "RefundResult",
    "ReissueRequest",
    "ReissueResult",
    "WebhookRejected",
    "normalise_status",
]
