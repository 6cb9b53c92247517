"""Every marketplace code maps onto the one OrderStatus; nothing unknown looks hopeful."""

from __future__ import annotations

import pytest

from kefu.channels.orders import MarketplaceKind, normalise_status
from kefu.channels.orders.status_mapping import DUJIAO_NEXT, DUJIAOKA
from kefu.domain.vocabulary import OrderStatus
from kefu.domain.vocabulary.labels import label


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("pending_payment", OrderStatus.PENDING_PAYMENT),
        ("paid", OrderStatus.PAID),
        ("fulfilling", OrderStatus.PROCESSING),
        ("partially_delivered", OrderStatus.PARTIALLY_DELIVERED),
        ("partially_refunded", OrderStatus.PARTIALLY_REFUNDED),
        ("delivered", OrderStatus.DELIVERED),
        ("completed", OrderStatus.COMPLETED),
        ("canceled", OrderStatus.CANCELLED),
        ("refunded", OrderStatus.REFUNDED),
    ],
)
def test_dujiao_next_statuses(code: str, status: OrderStatus) -> None:
    assert normalise_status(MarketplaceKind.DUJIAO_NEXT, code) is status


@pytest.mark.parametrize(
    ("code", "status", "zh"),
    [
        (1, OrderStatus.PENDING_PAYMENT, "待支付"),
        (2, OrderStatus.PAID, "已支付"),
        (3, OrderStatus.PROCESSING, "处理中"),
        (4, OrderStatus.COMPLETED, "已完成"),
        (5, OrderStatus.FAILED, "失败"),
        (6, OrderStatus.ABNORMAL, "异常"),
        (-1, OrderStatus.EXPIRED, "已过期"),
    ],
)
def test_dujiaoka_statuses(code: int, status: OrderStatus, zh: str) -> None:
    assert normalise_status(MarketplaceKind.DUJIAOKA, code) is status
    assert label("order_status", status, "zh") == zh


def test_kefu_api_speaks_the_vocabulary() -> None:
    for s in OrderStatus:
        assert normalise_status(MarketplaceKind.KEFU_API, s.value) is s


@pytest.mark.parametrize("kind", list(MarketplaceKind))
def test_unknown_code_is_abnormal_never_hopeful(kind: MarketplaceKind) -> None:
    assert normalise_status(kind, "shipped_to_mars") is OrderStatus.ABNORMAL
    assert normalise_status(kind, "") is OrderStatus.ABNORMAL


def test_every_known_code_is_mapped() -> None:
    assert len(DUJIAO_NEXT) >= 9 and len(DUJIAOKA) == 7


def test_status_properties() -> None:
    assert OrderStatus.PARTIALLY_DELIVERED.in_progress
    assert not OrderStatus.COMPLETED.in_progress
    assert OrderStatus.PARTIALLY_REFUNDED.paid and not OrderStatus.REFUNDED.paid
    assert not OrderStatus.EXPIRED.paid and not OrderStatus.PENDING_PAYMENT.paid
    assert OrderStatus.COMPLETED.delivered_something
    assert not OrderStatus.FAILED.delivered_something


def test_the_bot_has_words_for_every_status() -> None:
    from kefu.nlu.replies import ORDER_STATUS

    missing = {s.value for s in OrderStatus} - set(ORDER_STATUS)
    assert not missing, f"the bot cannot describe {missing}"
