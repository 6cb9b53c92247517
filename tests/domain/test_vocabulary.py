"""The vocabulary: every code has a label in both languages, the form maps onto the
taxonomy, one phone rule."""

from __future__ import annotations

import pytest

from kefu.domain.conversation_state import AuthorType, EventType, Status
from kefu.domain.priority import initial_priority, urgencies_for
from kefu.domain.sla import SlaPolicy
from kefu.domain.vocabulary import (
    CATEGORIES,
    FORM_CATEGORIES,
    Category,
    Channel,
    Department,
    OrderStatus,
    PhoneNumber,
    Presence,
    PromiseKind,
    RefundRoute,
    Urgency,
    category_info,
)
from kefu.domain.vocabulary.labels import TABLES, label, label_catalogue
from kefu.errors import InvalidInput

ENUMS = {
    "status": Status,
    "presence": Presence,
    "order_status": OrderStatus,
    "refund_route": RefundRoute,
    "channel": Channel,
    "promise": PromiseKind,
    "category": Category,
    "department": Department,
    "urgency": Urgency,
    "author": AuthorType,
    "event": EventType,
}


@pytest.mark.parametrize("kind", sorted(ENUMS))
def test_every_code_has_a_label_in_both_languages(kind: str) -> None:
    for code in ENUMS[kind]:
        zh, en = label(kind, code), label(kind, code, "en")
        assert zh and zh != "未知" and zh != code.value, (kind, code)
        assert en and en != "Unknown", (kind, code)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), (kind, code, zh)
    assert set(TABLES[kind]) == {c.value for c in ENUMS[kind]}


def test_unknown_codes_never_show_raw() -> None:
    assert label("status", "exploded") == "未知"
    assert label_catalogue("en")["presence"]["online"] == "Online"


def test_categories_are_the_intent_codes() -> None:
    assert [c.code for c in CATEGORIES] == [c.value for c in Category]
    from kefu.nlu.intents import INTENT_CODES, URGENT_INTENTS

    assert tuple(c.value for c in Category) == INTENT_CODES
    assert {"account_security"} == URGENT_INTENTS


def test_every_form_choice_maps_onto_a_category() -> None:
    for choice in FORM_CATEGORIES:
        assert choice.category in Category
        assert choice.order_required == category_info(choice.category.value).order_related  # type: ignore[union-attr]
    account = next(f for f in FORM_CATEGORIES if f.key == "account")
    assert account.category is Category.ACCOUNT_SECURITY and account.label_zh == "账号安全"


def test_a_legacy_form_code_has_the_properties_of_its_category() -> None:
    """Tickets stored before the mapping carry ``account``; they are read as 账号安全."""
    assert category_info("account") == category_info("account_security")
    assert urgencies_for("account") == (Urgency.ACCOUNT_SECURITY,)
    assert initial_priority("account") == initial_priority("account_security") == 3
    assert SlaPolicy().is_complex("account")


def test_intent_properties_live_on_the_category() -> None:
    security = category_info("account_security")
    assert security is not None
    assert (security.department, security.urgent, security.complex, security.handoff) == (
        "security",
        True,
        True,
        True,
    )
    assert urgencies_for("recharge_not_received") == (Urgency.FUNDS_AT_RISK,)
    assert urgencies_for("greeting") == ()
    assert category_info("tenant_topic") is not None  # tenant-defined intents still work
    assert urgencies_for("tenant_topic") == ()


@pytest.mark.parametrize(
    ("text", "stored", "masked"),
    [
        ("13812345678", "13812345678", "138****5678"),
        ("138 0000 5678", "13800005678", "138****5678"),
        ("+86 139-1234-5678", "13912345678", "139****5678"),
        ("021-12345678", "02112345678", "021****5678"),
        ("400-820-1234", "4008201234", "400****1234"),
        ("+852 9123 4567", "+85291234567", "852****4567"),
    ],
)
def test_one_phone_rule(text: str, stored: str, masked: str) -> None:
    phone = PhoneNumber.parse(text)
    assert (phone.value, phone.masked, phone.last4) == (stored, masked, stored[-4:])


@pytest.mark.parametrize("text", ["12345", "1234567", "23812345678", "abc", "", "1381234567x"])
def test_bad_phones_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as err:
        PhoneNumber.parse(text)
    assert err.value.code == "invalid_phone"


def test_channel_decides_the_promise() -> None:
    assert Channel.TICKET.promise is PromiseKind.MESSAGE
    assert Channel.WEB.promise is PromiseKind.CHAT
    assert Presence.parse("on-holiday") is Presence.OFFLINE
