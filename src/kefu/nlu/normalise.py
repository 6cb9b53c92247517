"""Text normalisation before any matching, classification or search.

Steps, in order:

1. Unicode NFKC (full-width latin/digits/punctuation -> half-width) and lowercase latin.
2. Traditional -> simplified Chinese with OpenCC ``t2s``.
3. Pinyin spellings of the few phrases people type in pinyin (``zhuan ren gong`` ->
   转人工, ``tui kuan`` -> 退款 ...), including run-together forms.
4. Common typos and homophones of the domain (冲值 -> 充值, 到帐 -> 到账, 退欵 -> 退款 ...).
5. Emoji removed, runs of the same punctuation collapsed (``！！！`` -> ``!``), whitespace
   squeezed.

The function is pure and cheap (a few microseconds); OpenCC is loaded lazily once.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Any

_T2S: Any = None
_T2S_LOCK = threading.Lock()


def _t2s() -> Any:
    global _T2S
    if _T2S is None:
        with _T2S_LOCK:
            if _T2S is None:
                import opencc

                _T2S = opencc.OpenCC("t2s")
    return _T2S


def to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese (OpenCC t2s)."""
    if not text:
        return text
    return str(_t2s().convert(text))


# Pinyin phrases (space separated or run together) -> Chinese. Longest first.
PINYIN_PHRASES: dict[str, str] = {
    "zhuan ren gong": "转人工",
    "zhuan rengong": "转人工",
    "ren gong ke fu": "人工客服",
    "rengong kefu": "人工客服",
    "ren gong": "人工",
    "tui kuan": "退款",
    "tui qian": "退钱",
    "chong zhi": "充值",
    "mei dao zhang": "没到账",
    "dao zhang": "到账",
    "ka mi": "卡密",
    "dian ka": "点卡",
    "hua fei": "话费",
    "ti xian": "提现",
    "tou su": "投诉",
    "ke fu": "客服",
    "ding dan": "订单",
    "dong jie": "冻结",
    "bei dao": "被盗",
    "hui yuan": "会员",
    "guan fang": "官方",
    "pian zi": "骗子",
    "ni hao": "你好",
    "zai ma": "在吗",
    "zai bu zai": "在不在",
    "mi ma": "密码",
    "yan zheng ma": "验证码",
}

_PINYIN_RE = re.compile(
    r"(?<![a-z])("
    + "|".join(
        r"\s*".join(re.escape(syl) for syl in phrase.split())
        for phrase in sorted(PINYIN_PHRASES, key=len, reverse=True)
    )
    + r")(?![a-z])"
)


def _pinyin_sub(match: re.Match[str]) -> str:
    key = " ".join(_split_syllables(match.group(0)))
    return PINYIN_PHRASES.get(key, match.group(0))


def _split_syllables(text: str) -> list[str]:
    """Split a matched pinyin run back into the syllables of the phrase it matched."""
    squashed = re.sub(r"\s+", "", text)
    for phrase in sorted(PINYIN_PHRASES, key=len, reverse=True):
        if phrase.replace(" ", "") == squashed:
            return phrase.split()
    return text.split()


# Typos and homophones. Applied after t2s, longest first.
TYPOS: dict[str, str] = {
    "冲值": "充值",
    "重值": "充值",
    "冲钱": "充钱",
    "冲了": "充了",
    "冲的": "充的",
    "冲进": "充进",
    "冲话费": "充话费",
    "冲q币": "充q币",
    "到帐": "到账",
    "道账": "到账",
    "到涨": "到账",
    "退欵": "退款",
    "退宽": "退款",
    "推款": "退款",
    "退昆": "退款",
    "卡蜜": "卡密",
    "卡米": "卡密",
    "卡秘": "卡密",
    "点咔": "点卡",
    "帐号": "账号",
    "帐户": "账户",
    "账好": "账号",
    "客付": "客服",
    "课服": "客服",
    "刻服": "客服",
    "人公": "人工",
    "认工": "人工",
    "仁工": "人工",
    "投素": "投诉",
    "头诉": "投诉",
    "提先": "提现",
    "体现": "提现",
    "题现": "提现",
    "冻洁": "冻结",
    "东结": "冻结",
    "被到": "被盗",
    "会圆": "会员",
    "汇员": "会员",
    "定单": "订单",
    "订丹": "订单",
    "话废": "话费",
    "化费": "话费",
    "支负": "支付",
    "支附": "支付",
    "验正码": "验证码",
    "验症码": "验证码",
    "密马": "密码",
    "骗纸": "骗子",
    "扣扣": "qq",
    "企鹅号": "qq",
    "威信": "微信",
    "薇信": "微信",
    "徽信": "微信",
    "在马": "在吗",
    "在嘛": "在吗",
    "咋办": "怎么办",
    "肿么": "怎么",
    "怎莫": "怎么",
    "神马": "什么",
    "木有": "没有",
    "米有": "没有",
    "冇": "没",
}
_TYPO_RE = re.compile("|".join(re.escape(k) for k in sorted(TYPOS, key=len, reverse=True)))

# A few latin shorthands people type.
LATIN_WORDS: dict[str, str] = {
    "vx": "微信",
    "wx": "微信",
    "wechat": "微信",
    "weixin": "微信",
    "refund": "退款",
    "recharge": "充值",
    "top up": "充值",
    "topup": "充值",
    "human": "人工",
    "agent": "人工",
    "withdraw": "提现",
    "hello": "你好",
    "hi": "你好",
    "pwd": "密码",
    "password": "密码",
    "vip": "会员",
}
_LATIN_RE = re.compile(
    r"(?<![a-z])("
    + "|".join(re.escape(k) for k in sorted(LATIN_WORDS, key=len, reverse=True))
    + r")(?![a-z])"
)

# Emoji and pictographs, variation selectors, zero-width characters.
_EMOJI_RE = re.compile(
    "["
    "\U0001f000-\U0001faff"
    "\U00002600-\U000027bf"
    "\U0001f900-\U0001f9ff"
    "\ufe0f\u200b-\u200d\u2060\ufeff"
    "]+"
)
# Chinese emoticon codes such as [微笑] [捂脸] from WeChat/QQ.
_STICKER_RE = re.compile(r"\[[\u4e00-\u9fff]{1,4}\]")
_PUNCT_RUN_RE = re.compile(r"([!?.,~。，、；;:…\-_=*#])\1+")
_MIXED_EXCLAIM_RE = re.compile(r"[!?]{2,}")
_SPACE_RE = re.compile(r"\s+")
_CJK_SPACE_RE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")


def normalise(text: str, *, latin_words: bool = True) -> str:
    """Return the canonical form of a customer message (see module docstring)."""
    if not text:
        return ""
    out = unicodedata.normalize("NFKC", text).lower()
    out = out.replace("。", "。").replace("…", "...")
    out = to_simplified(out)
    out = _STICKER_RE.sub(" ", out)
    out = _EMOJI_RE.sub(" ", out)
    out = _PINYIN_RE.sub(_pinyin_sub, out)
    if latin_words:
        out = _LATIN_RE.sub(lambda m: LATIN_WORDS[m.group(0)], out)
    out = _TYPO_RE.sub(lambda m: TYPOS[m.group(0)], out)
    out = _PUNCT_RUN_RE.sub(r"\1", out)
    out = _MIXED_EXCLAIM_RE.sub(lambda m: "?" if "?" in m.group(0) else "!", out)
    out = _SPACE_RE.sub(" ", out).strip()
    out = _CJK_SPACE_RE.sub("", out)
    return out


_SHOUT_RE = re.compile(r"[!！]{2,}|[?？]{2,}|[!！?？]{3,}")


def punctuation_intensity(raw: str) -> int:
    """How many runs of repeated !/? the *raw* text has (normalisation erases them)."""
    return len(_SHOUT_RE.findall(raw))
