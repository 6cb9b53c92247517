"""Mask secrets in a customer message before it is stored or shown (pure, no I/O).

Secrets are found by their *shape and context*, not by checksums: a hurried customer
mistypes a digit, and a scammer's made-up card number fails Luhn just as well — both
must still be masked. Masked kinds (``Redaction.kinds``):

- ``password``     the value after 密码 / 密碼 / 口令 / mima / password / passwd / pwd / pw
                   (with 是 / 为 / : / = or without, when the value has a digit)
- ``sms_code``     4–8 digits within a few characters of 验证码 / 驗證碼 / 校验码 / 动态码 /
                   短信码 / 确认码 / code / OTP (words may stand between: "验证码是刚收到的
                   483920"), or just before "是验证码"
- ``card_secret``  card codes (卡密, 兑换码, 激活码, cdkey): bearer secrets
- ``id_number``    18-character PRC ID numbers with a plausible birth date (checksum not
                   required); the last 4 stay visible
- ``bank_card``    runs of 15–19 digits (spaces / dashes allowed) in a payment context
                   (银行卡, 卡号, 信用卡, card, 尾号 …) or shaped like a card (starting 3–6);
                   the last 4 stay visible (``**** **** **** 1234``)

Never masked: order numbers (letter prefix + digits, date-prefixed digit runs such as
``2026112512345678901`` also typed with spaces, or anything right after 订单 / 单号),
phone numbers (11-digit mobiles, +86, 400 / 800 numbers, landlines), QQ numbers,
amounts, dates and times, and a lone last-4 of a card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

__all__ = ["MASK", "Redaction", "id_checksum_ok", "luhn_ok", "plausible_id_number", "redact"]

MASK = "******"

# Full-width digits/latin/punctuation -> ASCII, so "６２２２..." is caught too.
_FULLWIDTH = {
    cp: cp - 0xFEE0
    for lo, hi in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for cp in range(lo, hi + 1)
} | {0x3000: 0x20, 0xFF1A: ord(":"), 0xFF1D: ord("=")}


@dataclass(frozen=True, slots=True)
class Redaction:
    text: str
    kinds: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.kinds)


def luhn_ok(digits: str) -> bool:
    """Luhn (mod 10) check of a digit string (kept for callers that want it; redaction
    itself does not require it)."""
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
    if not plausible_id_number(number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def plausible_id_number(number: str) -> bool:
    """18 characters shaped like a PRC ID: region code, a real birth date between 1900
    and 2030, sequence, and a digit or X — whatever the checksum says."""
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in "0123456789Xx":
        return False
    if number[0] == "0":
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2030


_SEP = (
    r"(?:\s*(?:是|为|係|系|(?i:shi)\b|是:|改成了?|改为|设置成|设成|设为|设的是|就是|发你|给你"
    r"|:|=|is)\s*)"
)

_PASSWORD_KEY = (
    r"(?:支付|登录|登陆|游戏|账号|帐号|賬號|帳號|qq|QQ|原|新)?(?:密码|密碼|密马|秘码|口令)"
    r"|(?<![A-Za-z])(?i:mima|mi ma|password|passwd|passcode|pwd|pw)(?![A-Za-z])"
)
# words that may stand between the key and the value ("密码一直是", "之前设的是", "印象中是")
_PASSWORD_GAP_RE = re.compile(
    r"[^。！？!?\n]{0,14}?(?:是|为|係|系|成|:|=|is|was|shi|用的|设的|设了|试了|试过|tried)"
    r"(?:是|为|:)?\s*"
)
# a value shaped like a password: printable ASCII with a digit, or letters with a symbol
_PASSWORD_VALUE_RE = re.compile(
    r"(?<![!-~])(?=[!-~]*[0-9])(?=[!-~]*[A-Za-z])[!-~]{5,40}(?![!-~])"
    r"|(?<![!-~])(?=[!-~]*[A-Za-z])(?=[!-~]*[._@#$%&*!][!-~])[A-Za-z][!-~]{5,39}(?![!-~])"
)
_NOT_A_PASSWORD_GAP_RE = re.compile(
    r"订单|訂單|单号|單號|(?i:qq|order|wechat|wx|vx|id)|微信|手机|電話|电话|工号|工號|账号|帐号|賬號|网址|官网"
)
_ORDER_LIKE_RE = re.compile(r"^[A-Za-z]{1,3}\d{12,24}$")
# more candidates joined to a masked one ("Lily0808 或者 lily_0808", "****** and qq778899")
_ALTERNATE_RE = re.compile(
    r"(?P<pre>\*{6}\s*(?:或者|或是|或|还是|和|跟|、|/|,|，|and|or)\s*)"
    r"(?P<val>(?=[!-~]*[0-9])(?=[!-~]*[A-Za-z])[!-~]{5,40})(?![!-~])"
)
# "我输的是 huahua0521 ... 进不去": a typed value in a log-in failure
_TYPED_RE = re.compile(
    r"(?:输的是|输入的是|填的是|打的是|i typed|i entered|typed in)\s*"
    r"(?P<val>(?=[!-~]*[0-9])(?=[!-~]*[A-Za-z])[!-~]{5,40})(?![!-~])"
    r"(?=[^。！？!?\n]{0,24}(?:进不去|登不上|不对|错误|登录不了|登陆不了|不行|wrong|fail))"
)
# with an explicit separator any 4–40 printable characters; without one the value must
# contain a digit ("密码abc123", "pwd 9988aa"), so "password reset" stays readable
_PASSWORD_RE = re.compile(
    r"(?P<key>" + _PASSWORD_KEY + r")"
    r"(?:" + _SEP + r"(?P<val>(?=[!-~]*(?:[0-9]|[a-z][A-Z]|[A-Za-z][._@#$%&*!~^+\-][A-Za-z0-9]))"
    r"[!-~]{4,40})"
    r"|\s*(?P<val2>(?=[!-~]*\d)[!-~]{4,40}))"
)
_CODE_KEY = (
    r"验证码|驗證碼|验证吗|验正码|验症码|驗正碼|校验码|校驗碼|动态码|動態碼|动态密码|短信码|确认码"
    r"|安全码|短信(?:里|上|中)?的?(?:那串|那个|那组)?(?:数字|号码|码)|(?:发来|收到|发过来|发的)的?(?:那个)?码"
    r"|\d\s?位(?:数字?|的码|码)|(?<![A-Za-z])(?i:code|otp|sms|yanzhengma|yzm|pin)(?![A-Za-z])"
)
_CODE_RE = re.compile(
    r"(?P<key>" + _CODE_KEY + r")"
    r"(?:(?!订单|訂單|单号|單號|工号|手机|电话|(?i:qq|order|phone|tel))[^\d。！？!?\n]){0,36}?"
    r"(?<!\d)(?P<val>\d{4,8})(?![\d\-/.:年月日号元块分秒次个])"
)
_CODE_BEFORE_RE = re.compile(
    r"(?<![\d\-])(?P<val>\d{4,8})(?!\d)\s*(?:就是|是|这个是|为)?\s*(?:短信)?(?:" + _CODE_KEY + r")"
)
_CARD_SECRET_RE = re.compile(
    r"(?P<key>卡密|卡秘|卡蜜|卡號密碼|卡号密码|卡号和密码|充值卡密码|兑换码|兌換碼|激活码|激活碼"
    r"|(?<![A-Za-z])(?i:cd-?key|kami|pin|redeem code|gift code)(?![A-Za-z]))"
    + r"(?:"
    + _SEP
    + r"|\s*)"
    + r"(?P<val>(?=[A-Za-z0-9\-]*\d)[A-Za-z0-9][A-Za-z0-9\-]{5,63}"
    r"(?:[\s/,，]+(?=[A-Za-z0-9\-]*\d)[A-Za-z0-9\-]{4,64})?)"
)
# a card code typed in groups: "7HQ2-PX9L-44RT-M0ZE", "8812 0034 5567 9921" (3+ groups of
# 4-5 letters/digits, with digits): whatever the words around it, it is a bearer secret
_GROUPED_CODE_RE = re.compile(
    r"(?<![A-Za-z0-9\-])[A-Za-z0-9]{4,5}(?:[\- ][A-Za-z0-9]{4,5}){2,4}(?![A-Za-z0-9])"
)
# the number of a prepaid card ("卡号 1802 6655 3321 密码 …"): secret with its password
_CARD_NUMBER_RE = re.compile(
    r"(?P<key>卡号|卡號|(?i:card (?:no\.?|number)))\s*(?:是|为|:|：)?\s*"
    r"(?P<val>[A-Za-z0-9](?:[ \-]?[A-Za-z0-9]){7,30})(?![A-Za-z0-9])"
    r"(?=[^。！？!?\n]{0,6}(?:密码|密碼|卡密|pin|password))"
)
# digit runs: digits with single spaces or dashes between them
_DIGIT_RUN_RE = re.compile(r"(?<![A-Za-z0-9\-])[0-9](?:[ \-]?[0-9]){12,22}[Xx]?(?![A-Za-z0-9])")
_ORDER_CONTEXT_RE = re.compile(
    r"(订单|訂單|单号|單號|流水|交易号|交易號|编号|編號|工单|工單|order|no\.?)\s*[号號]?\s*[:是为]?\s*$",
    re.IGNORECASE,
)
_PAYMENT_CONTEXT_RE = re.compile(
    r"(银行卡|銀行卡|卡号|卡號|信用卡|储蓄卡|儲蓄卡|借记卡|借記卡|银联|銀聯|尾号|尾號|扣款卡|绑定的卡|"
    r"綁定的卡|付款卡|收款卡|账户|賬戶|帐户|提现到|提現到|(?i:card|visa|master|bank|account))"
)
_DATE_PREFIX_RE = re.compile(r"^20[2-3]\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")
_MOBILE_RE = re.compile(r"^(?:86)?1[3-9]\d{9}$")


def _mask_key_value(pattern: re.Pattern[str], kind: str, text: str, found: list[str]) -> str:
    def sub(m: re.Match[str]) -> str:
        group = "val" if m.groupdict().get("val") is not None else "val2"
        value = m.group(group)
        trimmed = value.rstrip(",.;:!?)]}'\"，。")
        if not trimmed:
            return m.group(0)
        found.append(kind)
        base = m.start()
        start = m.start(group) - base
        end = start + len(trimmed)
        whole = m.group(0)
        return whole[:start] + MASK + whole[end:]

    return pattern.sub(sub, text)


def _is_order_like(compact: str, before: str) -> bool:
    if _ORDER_CONTEXT_RE.search(before):
        return True
    # a letter prefix glued to the run ("D2026…", "KM…") is excluded by the run pattern;
    # date-prefixed numbers are the marketplaces' order and trade numbers
    return bool(_DATE_PREFIX_RE.match(compact))


def _mask_numbers(text: str, found: list[str]) -> str:
    def sub(m: re.Match[str]) -> str:
        raw = m.group(0)
        before = text[max(0, m.start() - 12) : m.start()]
        compact = re.sub(r"[ \-]", "", raw)
        if _is_order_like(compact, before[-8:]):
            return raw
        if len(compact) == 18 and plausible_id_number(compact):
            found.append("id_number")
            return "*" * 14 + compact[-4:]
        if not compact.isdigit() or not 15 <= len(compact) <= 19 or _MOBILE_RE.match(compact):
            return _mask_parts(raw, found)
        card_shaped = compact[0] in "3456" or luhn_ok(compact)
        if card_shaped or _PAYMENT_CONTEXT_RE.search(before):
            found.append("bank_card")
            return "**** **** **** " + compact[-4:]
        return raw

    return _DIGIT_RUN_RE.sub(sub, text)


def _mask_parts(raw: str, found: list[str]) -> str:
    """A long run may be two numbers typed side by side ("13800138000 6222…"): look at
    its space-separated parts on their own."""
    parts = raw.split(" ")
    if len(parts) < 2:
        return raw
    out = []
    for part in parts:
        compact = part.replace("-", "")
        card_like = compact.isdigit() and 15 <= len(compact) <= 19 and compact[0] in "3456"
        if card_like and not _DATE_PREFIX_RE.match(compact):
            found.append("bank_card")
            out.append("**** **** **** " + compact[-4:])
            continue
        out.append(part)
    return " ".join(out)


def _mask_card_numbers(text: str, found: list[str]) -> str:
    def sub(m: re.Match[str]) -> str:
        compact = re.sub(r"[ \-]", "", m.group("val"))
        if compact.isdigit() and 15 <= len(compact) <= 19:
            return m.group(0)  # a bank card: masked below, last 4 kept
        found.append("card_secret")
        return m.group(0)[: m.start("val") - m.start()] + MASK

    return _CARD_NUMBER_RE.sub(sub, text)


def _mask_grouped_codes(text: str, found: list[str]) -> str:
    def sub(m: re.Match[str]) -> str:
        raw = m.group(0)
        groups = re.split(r"[ \-]", raw)
        compact = "".join(groups)
        before = text[max(0, m.start() - 12) : m.start()]
        if _ORDER_CONTEXT_RE.search(before[-8:]) or _DATE_PREFIX_RE.match(
            compact.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        ):
            return raw  # an order number typed in groups
        if sum(any(c.isdigit() for c in g) for g in groups) < 2:
            return raw  # words, not a code
        if " " in raw and any(c.islower() for c in raw):
            return raw  # a sentence with numbers in it
        if compact.isdigit():
            if len(compact) != 16 or _MOBILE_RE.match(compact):
                return raw
            if compact[0] in "3456" or luhn_ok(compact) or _PAYMENT_CONTEXT_RE.search(before):
                return raw  # a bank card: masked below, last 4 kept
        found.append("card_secret")
        return MASK

    return _GROUPED_CODE_RE.sub(sub, text)


def _mask_passwords_in_context(text: str, found: list[str]) -> str:
    """Passwords a few words after the key, alternates of a masked one, typed values."""
    out: list[str] = []
    pos = 0
    for key in re.finditer(_PASSWORD_KEY, text):
        if key.start() < pos:
            continue
        gap = _PASSWORD_GAP_RE.match(text, key.end())
        start = gap.end() if gap else key.end()
        if gap is not None and _NOT_A_PASSWORD_GAP_RE.search(gap.group(0)):
            continue  # "密码错误，订单号是 …": the value belongs to another word
        value = _PASSWORD_VALUE_RE.match(text, start)
        if value is None or MASK in value.group(0) or _ORDER_LIKE_RE.match(value.group(0)):
            continue
        out.append(text[pos : value.start()] + MASK)
        pos = value.end()
        found.append("password")
    text = "".join(out) + text[pos:]
    for pattern in (_ALTERNATE_RE, _TYPED_RE):
        text = _mask_key_value(pattern, "password", text, found)
    return text


def redact(text: str) -> Redaction:
    """Mask secrets in ``text``; return the masked text and the kinds masked (in order)."""
    if not text:
        return Redaction(text or "", ())
    out = text.translate(_FULLWIDTH)
    found: list[str] = []
    out = _mask_key_value(_CARD_SECRET_RE, "card_secret", out, found)
    out = _mask_card_numbers(out, found)
    out = _mask_grouped_codes(out, found)
    out = _mask_key_value(_PASSWORD_RE, "password", out, found)
    out = _mask_passwords_in_context(out, found)
    out = _mask_key_value(_CODE_RE, "sms_code", out, found)
    out = _mask_key_value(_CODE_BEFORE_RE, "sms_code", out, found)
    out = _mask_numbers(out, found)
    if not found:
        return Redaction(text, ())
    kinds = tuple(dict.fromkeys(found))
    return Redaction(out, kinds)
