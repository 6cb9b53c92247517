from __future__ import annotations

from kefu.domain.redaction import id_checksum_ok, luhn_ok, redact

VALID_CARD = "6222021234567890128"  # passes Luhn
VALID_ID = "11010519491231002X"  # checksum X


def test_luhn() -> None:
    assert luhn_ok(VALID_CARD)
    assert not luhn_ok("6222021234567890123")


def test_id_checksum() -> None:
    assert id_checksum_ok(VALID_ID)
    assert not id_checksum_ok("110105194912310021")


def test_bank_card_masked_keeps_last_four() -> None:
    r = redact(f"卡号 {VALID_CARD} 付的")
    assert r.kinds == ("bank_card",)
    assert "**** **** **** 0128" in r.text
    assert VALID_CARD not in r.text


def test_bank_card_with_spaces() -> None:
    r = redact("卡 6222 0212 3456 7890 128 扣了两次")
    assert r.kinds == ("bank_card",)


def test_luhn_invalid_number_untouched() -> None:
    assert not redact("卡 6222021234567890123").changed


def test_id_number() -> None:
    r = redact(f"身份证 {VALID_ID}")
    assert r.kinds == ("id_number",)
    assert VALID_ID not in r.text
    assert not redact("身份证 110105194912310021").changed


def test_password_and_code() -> None:
    r = redact("我的密码是abc12345，验证码 384756")
    assert set(r.kinds) == {"password", "sms_code"}
    assert "abc12345" not in r.text and "384756" not in r.text
    assert r.text.startswith("我的密码是******，")


def test_card_secret() -> None:
    r = redact("订单 KM20261122153012345 卡密 ABCD-EFGH-1234-5678 无效")
    assert r.kinds == ("card_secret",)
    assert "KM20261122153012345" in r.text
    assert "ABCD-EFGH" not in r.text


def test_order_phone_qq_amount_untouched() -> None:
    for text in [
        "订单号 2026112215301234567 没到账",
        "订单KM20261122153012345，手机 13812345678，qq 123456789，充了100元",
        "卡尾号1234",
        "密码忘了",
        "验证码收不到，等了10分钟",
        "卡密是多少",
    ]:
        assert not redact(text).changed, text
