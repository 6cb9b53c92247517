"""Entity extraction from lightly normalised text (:func:`entity_text`: width, case,
traditional -> simplified, nothing else: the full normalisation rewrites latin words
such as "kefu" and would truncate ids like ``Kefu-Service_88``).

Formats (the contract with the marketplace):

- ``order_no``  letters + 12–24 digits (``KM20261122153012345``, ``D202611250001234``), a
  date-prefixed 16–24 digit number (``2026112512345678901``), or 12–24 digits (spaces
  allowed) right after 订单 / 单号 / 订单号 / 流水号; every one in the message, in order.
  Value upper-cased, spaces removed.
- ``amount``    ``¥100`` / ``100元`` / ``100.5块`` / ``一百块``; value is the number as a string.
- ``time``      今天/昨天/前天/刚才, ``3点`` / ``下午3点半``, ``10分钟前`` / ``2小时前``,
                ``2026-11-22 15:30``; value is the surface text (ISO for absolute dates).
- ``phone``     mobile numbers with or without +86 and separators (``138 0013 8000``),
                400 / 800 service numbers, landlines (``021-61234567``); value digits only.
- ``qq``        5–11 digits after QQ / 扣扣 / 企鹅.
- ``wechat``    an id (letters, digits, ``_``, ``-``) after 微信 / vx / wx / weixin / V信.
- ``website``   a domain such as ``kameng.com`` or ``https://pay.example.cn/x``.
- ``agent_id``  工号 8012 / ``KF8012``; value upper-cased (``KF8012`` or ``8012``).
- ``product``   a gazetteer of games and goods; value is the canonical name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kefu.nlu.normalise import to_simplified

__all__ = ["PRODUCTS", "Entity", "all_of", "entity_text", "extract_entities", "first"]


@dataclass(frozen=True, slots=True)
class Entity:
    kind: str
    value: str
    start: int
    end: int


# canonical name -> aliases (all lower-case, simplified).
PRODUCTS: dict[str, tuple[str, ...]] = {
    "王者荣耀": ("王者荣耀", "王者", "农药", "点券"),
    "和平精英": ("和平精英", "吃鸡", "刺激战场"),
    "原神": ("原神", "创世结晶"),
    "英雄联盟": ("英雄联盟", "lol"),
    "穿越火线": ("穿越火线", "cf"),
    "地下城与勇士": ("地下城与勇士", "dnf"),
    "梦幻西游": ("梦幻西游",),
    "网易": ("网易一卡通", "网易点卡", "网易"),
    "Steam": ("steam", "蒸汽平台"),
    "Q币": ("q币", "qb"),
    "QQ会员": ("qq会员", "超级会员", "svip"),
    "腾讯视频会员": ("腾讯视频会员", "腾讯视频", "腾讯会员"),
    "爱奇艺会员": ("爱奇艺会员", "爱奇艺", "奇异果"),
    "优酷会员": ("优酷会员", "优酷"),
    "芒果TV会员": ("芒果tv", "芒果会员"),
    "哔哩哔哩大会员": ("b站大会员", "大会员", "哔哩哔哩"),
    "话费": ("话费", "手机费", "电话费"),
    "流量": ("流量包", "流量"),
    "京东E卡": ("京东e卡", "京东卡"),
    "加油卡": ("加油卡", "中石化", "中石油"),
    "骏网一卡通": ("骏网", "一卡通"),
}
_ALIAS_TO_PRODUCT = {alias: name for name, aliases in PRODUCTS.items() for alias in aliases}
_PRODUCT_RE = re.compile(
    "|".join(
        (re.escape(a) if not a.isascii() else r"(?<![a-z])" + re.escape(a) + r"(?![a-z])")
        for a in sorted(_ALIAS_TO_PRODUCT, key=len, reverse=True)
    )
)

_ORDER_PREFIXED_RE = re.compile(
    r"(?<![a-z0-9_\-])(?!qq|kf|vx|wx|id|tel|no)(?P<p>[a-z]{1,3})(?P<d>\d{12,24})(?!\d)"
)
_ORDER_PLAIN_RE = re.compile(
    r"(?:订单号?|单号|流水号|交易号|订单编号|order\s*(?:no\.?|number|#)?)\s*(?:是|为|:|：|#)?\s*"
    r"(?P<no>\d(?:[ \-]?\d){11,23})(?!\d)"
)
# typed in groups: "D2026 1201 0099 001", "D 2026 1128 0045 671", "2026 1123 4567 8901 234"
_ORDER_SPACED_RE = re.compile(
    r"(?<![a-z0-9_\-])(?!qq|kf|vx|wx|id|tel|no)(?P<p>[a-z]{1,3})?[ \-]?"
    r"(?P<d>20[2-3]\d(?:[ \-]?\d){8,20})(?![\d\-])"
)
_DATE8_RE = re.compile(r"20[2-3]\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
_ORDER_DATED_RE = re.compile(
    r"(?<![a-z0-9\-])(?P<no>20[2-3]\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{8,16})(?!\d)"
)
_PHONE_RE = re.compile(
    r"(?<![\d\-])(?:\+?86[ \-]?)?(?P<v>1[3-9]\d(?:[ \-]?\d){8})(?![\d\-])"
    r"|(?<![\d\-])(?P<s>[48]00[ \-]?\d{3}[ \-]?\d{4})(?![\d\-])"
    r"|(?<![\d\-])(?P<l>0\d{2,3}-\d{7,8})(?![\d\-])"
)
_QQ_RE = re.compile(
    r"(?:qq|扣扣|企鹅|q号)\s*(?:号码?|号是|是|为|号:|:)?\s*[:：]?\s*(?P<v>[1-9]\d{4,10})(?!\d)"
)
_WECHAT_RE = re.compile(
    r"(?:微信|威信|薇信|v信|vx|wx|weixin|wechat)\s*(?:号|id)?\s*(?:是|为|:)?\s*[:：]?\s*"
    r"(?P<v>[a-z][-_a-z0-9]{5,19}|1[3-9]\d{9})(?![a-z0-9_\-])"
)
_SITE_RE = re.compile(
    r"(?<![a-z0-9@.])(?:https?://)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"(?:com|cn|net|org|top|xyz|vip|cc|shop|store|io|co|me|info|club|site|online|ltd|wang)"
    r"(?![a-z0-9])(?:/[\w\-./?=&%#]*)?"
)
_AGENT_RE = re.compile(
    r"工号\s*(?:是|为)?\s*[:：]?\s*(?P<v>(?:kf)?\d{3,6})(?!\d)|(?<![a-z0-9])(?P<kf>kf\d{3,6})(?!\d)"
)
_AMOUNT_RE = re.compile(
    r"(?:[¥￥]\s*(?P<a>\d+(?:\.\d{1,2})?))"
    r"|(?:(?P<b>\d+(?:\.\d{1,2})?)\s*(?:元|块钱|块|rmb|人民币))"
    r"|(?:(?P<c>[一二两三四五六七八九十百千万]+)\s*(?:元|块钱|块))"
)
_ABS_TIME_RE = re.compile(
    r"(?P<y>20\d{2})[-/.年](?P<mo>\d{1,2})[-/.月](?P<d>\d{1,2})日?"
    r"(?:\s*(?P<h>\d{1,2})[:点时](?P<mi>\d{1,2})?分?)?"
)
_REL_TIME_RE = re.compile(
    r"(?:\d+|[一二两三四五六七八九十半]+)\s*(?:个)?\s*(?:分钟|小时|钟头|天|秒)(?:前|之前|以前|了)"
    r"|(?:今天|昨天|前天|昨晚|今早|今晚|刚才|刚刚|上午|下午|晚上|凌晨|中午)"
    r"(?:\s*\d{1,2}\s*[点:时](?:\s*\d{1,2}分?|半)?)?"
    r"|(?<![\d.])\d{1,2}\s*点(?:\s*\d{1,2}分?|半)?"
)

_CN_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}


def chinese_number(text: str) -> int | None:
    """一百五十 -> 150; returns None for something that is not a simple numeral."""
    total, section, digit = 0, 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            unit = _CN_UNITS[ch]
            if unit == 10000:
                total += (section + digit) * unit
                section, digit = 0, 0
            else:
                section += (digit or 1) * unit
                digit = 0
        else:
            return None
    return total + section + digit


def extract_entities(text: str) -> list[Entity]:
    """All entities in normalised ``text``, ordered by position; spans never overlap."""
    found: list[Entity] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, value: str, start: int, end: int) -> None:
        if any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        found.append(Entity(kind, value, start, end))

    for m in _ORDER_PREFIXED_RE.finditer(text):
        add("order_no", m.group(0).upper(), m.start(), m.end())
    for m in _ORDER_PLAIN_RE.finditer(text):
        add("order_no", re.sub(r"[ \-]", "", m.group("no")), m.start("no"), m.end("no"))
    for m in _ORDER_DATED_RE.finditer(text):
        add("order_no", m.group("no"), m.start("no"), m.end("no"))
    for m in _ORDER_SPACED_RE.finditer(text):
        digits = re.sub(r"[ \-]", "", m.group("d"))
        prefixed = m.group("p") is not None
        if not (12 <= len(digits) <= 24 and _DATE8_RE.match(digits)):
            continue
        if not prefixed and len(digits) < 16:
            continue
        value = (m.group("p") or "").upper() + digits
        add("order_no", value, m.start("p") if m.group("p") else m.start("d"), m.end("d"))
    for m in _SITE_RE.finditer(text):
        add("website", m.group(0).rstrip("./"), m.start(), m.end())
    for m in _AGENT_RE.finditer(text):
        group = "v" if m.group("v") else "kf"
        add("agent_id", m.group(group).upper(), m.start(group), m.end(group))
    for m in _QQ_RE.finditer(text):
        add("qq", m.group("v"), m.start("v"), m.end("v"))
    for m in _WECHAT_RE.finditer(text):
        add("wechat", m.group("v"), m.start("v"), m.end("v"))
    for m in _PHONE_RE.finditer(text):
        group = next(g for g in ("v", "s", "l") if m.group(g))
        add("phone", re.sub(r"\D", "", m.group(group)), m.start(group), m.end(group))
    for m in _ABS_TIME_RE.finditer(text):
        iso = f"{m.group('y')}-{int(m.group('mo')):02d}-{int(m.group('d')):02d}"
        if m.group("h"):
            iso += f"T{int(m.group('h')):02d}:{int(m.group('mi') or 0):02d}"
        add("time", iso, m.start(), m.end())
    for m in _AMOUNT_RE.finditer(text):
        if m.group("c"):
            number = chinese_number(m.group("c"))
            if number is None:
                continue
            add("amount", str(number), m.start(), m.end())
        else:
            add("amount", m.group("a") or m.group("b"), m.start(), m.end())
    for m in _REL_TIME_RE.finditer(text):
        add("time", m.group(0).replace(" ", ""), m.start(), m.end())
    for m in _PRODUCT_RE.finditer(text):
        add("product", _ALIAS_TO_PRODUCT[m.group(0)], m.start(), m.end())
    found.sort(key=lambda e: e.start)
    return found


def entity_text(raw: str) -> str:
    """The text entities are read from: full-width folded, lower case, simplified
    Chinese, runs of spaces collapsed. Unlike ``normalise`` it leaves latin words and
    ids alone."""
    out = unicodedata.normalize("NFKC", raw or "").lower()
    out = to_simplified(out)
    return re.sub(r"\s+", " ", out).strip()


def all_of(entities: list[Entity] | tuple[Entity, ...], kind: str) -> list[str]:
    """Values of every entity of ``kind``, in order, without repeats."""
    return list(dict.fromkeys(e.value for e in entities if e.kind == kind))


def first(entities: list[Entity] | tuple[Entity, ...], kind: str) -> str | None:
    """Value of the first entity of ``kind``, or None."""
    for entity in entities:
        if entity.kind == kind:
            return entity.value
    return None
