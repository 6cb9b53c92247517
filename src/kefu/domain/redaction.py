"""Mask secrets in a customer message before it is stored or shown (pure, no I/O).

Masked kinds (``Redaction.kinds``):

- ``password``     value after 密码 / 口令 / pwd / password (``密码是 abc123`` -> ``密码是 ******``)
- ``sms_code``     4–8 digits after 验证码 / 校验码 / 动态码 / code
- ``card_secret``  card codes (卡密, 兑换码, 激活码, cdkey): bearer secrets
- ``id_number``    18-character PRC ID numbers with a valid ISO 7064 mod 11-2 checksum
- ``bank_card``    13–19 digit numbers (spaces/dashes allowed) passing Luhn; the last 4
                   digits stay visible (``**** **** **** 1234``)

Never masked: order numbers (``KM`` + digits, or digits right after 订单/单号), phone
numbers (11 digits, too short for a card and never after a secret keyword unless the
customer says it is a password), QQ numbers, amounts, and a lone last-4 of a card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Redaction", "id_checksum_ok", "luhn_ok", "redact"]

MASK = "******"

# Full-width digits/latin -> ASCII, so "６２２２..." is caught too.
_FULLWIDTH = {
    cp: cp - 0xFEE0
    for lo, hi in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for cp in range(lo, hi + 1)
}


@dataclass(frozen=True, slots=True)
class Redaction:
    text: str
    kinds: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.kinds)


def luhn_ok(digits: str) -> bool:
    """Luhn (mod 10) check of a digit string."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_checksum_ok(number: str) -> bool:
    """ISO 7064 mod 11-2 checksum of an 18-character PRC resident ID number."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != number[17].upper():
        return False
    year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    return 1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31


_ORDER_TOKEN = r"(?!km\d{8})(?!KM\d{8})"
_FILLER = r"(?:\s*(?:是|为|是:|是：|改成了?|改为|设置成|设成|设为|就是|发你|给你|:|：|=)\s*|\s*)"

_PASSWORD_RE = re.compile(
    r"(?P<key>(?:支付|登录|登陆|游戏|账号|帐号|qq|QQ)?(?:密码|口令)|(?i:pwd|passwd|password|pass))"
    + _FILLER
    + r"(?P<val>"
    + _ORDER_TOKEN
    + r"[!-~]{4,40})"
)
_CODE_RE = re.compile(
    r"(?P<key>验证码|校验码|动态码|短信码|确认码|(?i:code))"
    r"[^\d。！？!?\n]{0,6}?"
    r"(?<!\d)(?P<val>\d{4,8})(?![\d])"
)
_CARD_SECRET_RE = re.compile(
    r"(?P<key>卡密|卡号密码|卡号和密码|充值卡密码|兑换码|激活码|(?i:cd-?key))"
    + _FILLER
    + r"(?P<val>"
    + _ORDER_TOKEN
    + r"[A-Za-z0-9][A-Za-z0-9\-]{5,63}"
    r"(?:[\s/,，]+" + _ORDER_TOKEN + r"(?=[A-Za-z0-9\-]*\d)[A-Za-z0-9\-]{4,64})?)"
)
_DIGIT_RUN_RE = re.compile(r"(?<![A-Za-z0-9])[0-9](?:[ \-]?[0-9]){12,22}[0-9Xx]?(?![A-Za-z0-9])")
_ORDER_CONTEXT_RE = re.compile(r"(订单|单号|流水|交易号|编号|工单)[号]?\s*[:：是为]?\s*$")


def _mask_key_value(pattern: re.Pattern[str], kind: str, text: str, found: list[str]) -> str:
    def sub(m: re.Match[str]) -> str:
        found.append(kind)
        start, end = m.span("val")
        value = m.group("val")
        end -= len(value) - len(value.rstrip(",.;:!?)]}'\""))
        base = m.start()
        whole = m.group(0)
        return whole[: start - base] + MASK + whole[end - base :]

    return pattern.sub(sub, text)


def _mask_numbers(text: str, found: list[str]) -> str:
    def sub(m: re.Match[str]) -> str:
        raw = m.group(0)
        before = text[max(0, m.start() - 8) : m.start()]
        if _ORDER_CONTEXT_RE.search(before):
            return raw
        compact = re.sub(r"[ \-]", "", raw)
        if len(compact) == 18 and id_checksum_ok(compact):
            found.append("id_number")
            return "*" * 14 + compact[-4:]
        if compact.isdigit() and 13 <= len(compact) <= 19 and luhn_ok(compact):
            found.append("bank_card")
            return "**** **** **** " + compact[-4:]
        return raw

    return _DIGIT_RUN_RE.sub(sub, text)


def redact(text: str) -> Redaction:
    """Mask secrets in ``text``; return the masked text and the kinds masked (in order)."""
    if not text:
        return Redaction(text or "", ())
    out = text.translate(_FULLWIDTH)
    found: list[str] = []
    out = _mask_key_value(_CARD_SECRET_RE, "card_secret", out, found)
    out = _mask_key_value(_PASSWORD_RE, "password", out, found)
    out = _mask_key_value(_CODE_RE, "sms_code", out, found)
    out = _mask_numbers(out, found)
    if not found:
        return Redaction(text, ())
    kinds = tuple(dict.fromkeys(found))
    return Redaction(out, kinds)
