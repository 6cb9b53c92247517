"""Strong negative sentiment: insults, scam accusations, threats to go public or to the
police, despair, and shouting (repeated ！！！ / ？？？).

Only *strong* negativity matters to the policy (it hands the customer to a person), so
this is a high-precision lexicon with weights, not a general polarity model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Sentiment", "detect_sentiment"]

# term -> weight. Score >= 1.0 is "strong negative". Terms are matched on normalised text.
NEGATIVE_TERMS: dict[str, float] = {
    # insults
    "垃圾": 1.0,
    "傻逼": 1.0,
    "sb": 0.6,
    "煞笔": 1.0,
    "脑残": 1.0,
    "妈的": 1.0,
    "他妈": 1.0,
    "tmd": 1.0,
    "nmsl": 1.0,
    "狗屎": 1.0,
    "废物": 1.0,
    "滚": 0.5,
    "去死": 1.0,
    "操你": 1.0,
    "王八蛋": 1.0,
    "坑爹": 0.7,
    "坑人": 0.8,
    "恶心": 0.7,
    "无耻": 1.0,
    "吃屎": 1.0,
    # scam / fraud accusations
    "骗子": 1.0,
    "诈骗": 1.0,
    "骗钱": 1.0,
    "黑平台": 1.0,
    "黑店": 1.0,
    "跑路": 0.8,
    "坑钱": 1.0,
    "骗人": 0.8,
    "黑心": 1.0,
    # going public / authorities
    "报警": 1.0,
    "315": 1.0,
    "12315": 1.0,
    "消协": 1.0,
    "曝光": 1.0,
    "起诉": 1.0,
    "律师": 0.8,
    "工商局": 1.0,
    "黑猫投诉": 1.0,
    "媒体": 0.6,
    "微博": 0.5,
    # despair / anger
    "要疯了": 1.0,
    "气死": 1.0,
    "崩溃": 0.8,
    "受不了": 0.7,
    "忍无可忍": 1.0,
    "太过分": 0.8,
    "什么破": 0.8,
    "破平台": 1.0,
    "烂平台": 1.0,
    "还我钱": 1.0,
    "退我钱": 0.6,
    "再不": 0.4,
    "最后一次": 0.5,
    "火大": 0.8,
    "太差": 0.7,
    "差劲": 0.7,
}
_TERM_RE = re.compile("|".join(re.escape(t) for t in sorted(NEGATIVE_TERMS, key=len, reverse=True)))
_SHOUT_RE = re.compile(r"[!！]{3,}|[?？]{3,}|[!！?？]{4,}")
_WORDS_RE = re.compile(r"[\u4e00-\u9fffA-Za-z]{2}")
_SHOUT2_RE = re.compile(r"(?<![!！?？])[!！?？]{2}(?![!！?？])")


@dataclass(frozen=True, slots=True)
class Sentiment:
    score: float
    strong_negative: bool
    cues: tuple[str, ...]


def detect_sentiment(normalised: str, raw: str | None = None) -> Sentiment:
    """Score ``normalised`` text; ``raw`` (before normalisation) is used for shouting."""
    cues: list[str] = []
    score = 0.0
    for m in _TERM_RE.finditer(normalised):
        term = m.group(0)
        if term in cues:
            continue
        cues.append(term)
        score += NEGATIVE_TERMS[term]
    source = raw if raw is not None else normalised
    if not _WORDS_RE.search(source):
        # punctuation alone ("？？？") is confusion about the last answer, not anger: the
        # policy treats it as "did not help" (rephrase once, then a person)
        return Sentiment(round(score, 2), score >= 1.0, tuple(cues))
    shouts = len(_SHOUT_RE.findall(source))
    doubles = len(_SHOUT2_RE.findall(source))
    if shouts or doubles:
        cues.append("!!!" if shouts else "!!")
        score += 1.0 * shouts + 0.4 * doubles
    return Sentiment(round(score, 2), score >= 1.0, tuple(cues))
