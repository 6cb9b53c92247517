"""Which language to answer in: ``zh`` or ``en``.

Any Chinese character -> ``zh``. Latin text is English unless it reads as pinyin (most
words split into pinyin syllables and none is a common English word): a buyer typing
``wo de chong zhi mei dao`` is Chinese and gets a Chinese answer. Text with no letters
(order numbers, ``???``, emoji) follows the hint (the widget's language), else ``zh``.
"""

from __future__ import annotations

import re

__all__ = ["detect_language", "is_pinyin_word"]

_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD_RE = re.compile(r"[a-zA-Z]+")
_INITIALS = "(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
_FINALS = (
    "(?:iang|iong|uang|ang|eng|ing|ong|uai|iao|ian|uan|van|ai|ei|ao|ou|an|en|er|in|un|vn"
    "|ia|ie|iu|ua|uo|ui|ue|ve|a|o|e|i|u|v)"
)
_PINYIN_RE = re.compile(f"^(?:{_INITIALS}{_FINALS})+$")
_INITIALS_ONLY_RE = re.compile(r"^[bcdfghjklmnpqrstwxz]{1,4}$")
# Short English words that also split into pinyin syllables.
_ENGLISH = frozenset(
    """a an the i me my we our you your he she it is are was were be been am do does did
    not no can cant could would should will to of in on at for from with and or but if
    so this that what why how when where who which please help hi hello hey thanks thank
    order refund money pay paid card code account login password human agent person real
    talk speak want need get got have has had just still yet any some one time long hour
    make use used buy bought top up charge charged wrong again here there now they them
    ok okay yes sure sorry bad good fine""".split()  # noqa: SIM905
)


def is_pinyin_word(word: str) -> bool:
    return bool(_PINYIN_RE.match(word.lower()))


def detect_language(text: str, hint: str | None = None) -> str:
    """``zh`` or ``en`` for the answer to ``text``; ``hint`` decides when text cannot."""
    fallback = hint if hint in ("zh", "en") else "zh"
    if _CJK_RE.search(text or ""):
        return "zh"
    words = [w.lower() for w in _WORD_RE.findall(text or "")]
    words = [w for w in words if w not in ("qq", "vx", "wx", "km", "vip", "id", "app", "ok")]
    # pinyin initials ("rg" 人工, "zrg", "tk" 退款) are no language: the hint decides
    words = [w for w in words if not _INITIALS_ONLY_RE.match(w)]
    if not words:
        return fallback
    english = sum(1 for w in words if w in _ENGLISH or not is_pinyin_word(w))
    return "en" if english * 2 > len(words) or (english and len(words) <= 2) else "zh"
