"""One vocabulary for kefu: each concept is defined once, here, with its labels.

* :mod:`.categories` — Category (= the bot's intent codes) with department, urgency,
  urgent, complex, order-related and handoff; the ticket form's choices mapped onto them.
* :mod:`.terms` — Presence, OrderStatus, RefundRoute, Channel (and the SLA promise it implies).
* :mod:`.phone` — PhoneNumber: one validation, one masking.
* :mod:`.labels` — zh-CN / en labels for every code shown to people.

See docs/vocabulary.md.
"""

from kefu.domain.vocabulary.categories import (
    CATEGORIES,
    FORM_CATEGORIES,
    FORM_CATEGORY_BY_KEY,
    Category,
    CategoryInfo,
    Department,
    FormCategory,
    Urgency,
    category_info,
    category_label,
)
from kefu.domain.vocabulary.phone import PhoneNumber, mask_phone
from kefu.domain.vocabulary.terms import (
    Channel,
    MarketplaceKind,
    OrderStatus,
    OrderUpdateSource,
    Presence,
    PromiseKind,
    RefundRoute,
)

__all__ = [
    "CATEGORIES",
    "FORM_CATEGORIES",
    "FORM_CATEGORY_BY_KEY",
    "Category",
    "CategoryInfo",
    "Channel",
    "Department",
    "FormCategory",
    "MarketplaceKind",
    "OrderStatus",
    "OrderUpdateSource",
    "PhoneNumber",
    "Presence",
    "PromiseKind",
    "RefundRoute",
    "Urgency",
    "category_info",
    "category_label",
    "mask_phone",
]
