"""Each marketplace's order codes onto kefu's one OrderStatus (table: docs/orders.md).

An unknown upstream code maps to ABNORMAL, never to a hopeful status: a person looks."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from kefu.domain.vocabulary import MarketplaceKind, OrderStatus

S = OrderStatus

# dujiao-next (Go): order.status strings
DUJIAO_NEXT: Mapping[str, OrderStatus] = MappingProxyType(
    {
        "pending_payment": S.PENDING_PAYMENT,
        "paid": S.PAID,
        "fulfilling": S.PROCESSING,
        "partially_delivered": S.PARTIALLY_DELIVERED,
        "delivered": S.DELIVERED,
        "completed": S.COMPLETED,
        "partially_refunded": S.PARTIALLY_REFUNDED,
        "refunded": S.REFUNDED,
        "canceled": S.CANCELLED,
        "cancelled": S.CANCELLED,
    }
)

# dujiaoka (PHP/Laravel): orders.status integers (App\Models\Order::STATUS_*)
DUJIAOKA: Mapping[str, OrderStatus] = MappingProxyType(
    {
        "1": S.PENDING_PAYMENT,  # 待支付 STATUS_WAIT_PAY
        "2": S.PAID,  # 待处理 STATUS_PENDING (paid, waiting for delivery)
        "3": S.PROCESSING,  # 处理中 STATUS_PROCESSING
        "4": S.COMPLETED,  # 已完成 STATUS_COMPLETED (codes delivered)
        "5": S.FAILED,  # 处理失败 STATUS_FAILURE
        "6": S.ABNORMAL,  # 异常 STATUS_ABNORMAL
        "-1": S.EXPIRED,  # 过期 STATUS_EXPIRED
    }
)

# kefu's own API speaks OrderStatus values directly.
KEFU_API: Mapping[str, OrderStatus] = MappingProxyType({s.value: s for s in OrderStatus})

TABLES: Mapping[MarketplaceKind, Mapping[str, OrderStatus]] = MappingProxyType(
    {
        MarketplaceKind.KEFU_API: KEFU_API,
        MarketplaceKind.DUJIAO_NEXT: DUJIAO_NEXT,
        MarketplaceKind.DUJIAOKA: DUJIAOKA,
    }
)


def normalise_status(kind: MarketplaceKind, upstream: str | int) -> OrderStatus:
    """The one status for a marketplace's code; unknown codes are ABNORMAL."""
    return TABLES[kind].get(str(upstream).strip().lower(), S.ABNORMAL)
