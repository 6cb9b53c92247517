"""The classifier's view of one normalised message: polite openers stripped, entities
replaced by placeholders (``#ord``, ``#tel``, ``#amt`` ...), remaining digits -> ``0``,
then ``chars SEP words`` (the jieba words after the separator)."""

from __future__ import annotations

import re

from kefu.nlu.entities import extract_entities
from kefu.nlu.segment import segment

__all__ = ["char_view", "features", "strip_opener", "word_view"]

_SEP = "\x01"
_PLACEHOLDER = {
    "order_no": " #ord ",
    "phone": " #tel ",
    "amount": " #amt ",
    "qq": " #qq ",
    "wechat": " #wx ",
    "website": " #site ",
    "agent_id": " #job ",
    "time": " #time ",
}
_DIGITS_RE = re.compile(r"\d+")
# Polite openers carry no intent when something follows them ("你好，我要退款").
_OPENER_RE = re.compile(
    r"^(?:(?:你好|您好|(?:hello|hi|hey)(?![a-z])|你好呀|客服你好|打扰一下|打扰了|麻烦问一下|麻烦你|麻烦|请问一下|请问|亲|"
    r"在吗|在不在|喂|嗨|哈喽)[,.!?~\s]*)+"
)


def strip_opener(normalised: str) -> str:
    """Drop greeting openers when at least four characters of content follow."""
    rest = _OPENER_RE.sub("", normalised)
    return rest if len(rest) >= 4 else normalised


def features(normalised: str) -> str:
    """The model input for one normalised message: ``chars SEP words``."""
    text = strip_opener(normalised)
    for entity in sorted(extract_entities(text), key=lambda e: e.start, reverse=True):
        holder = _PLACEHOLDER.get(entity.kind)
        if holder is not None:
            text = text[: entity.start] + holder + text[entity.end :]
    text = _DIGITS_RE.sub("0", text)
    words = [w for w in segment(text) if w != "#"]
    return text + _SEP + " ".join(words)


def char_view(doc: str) -> str:
    return doc.split(_SEP, 1)[0]


def word_view(doc: str) -> str:
    return doc.split(_SEP, 1)[1] if _SEP in doc else ""
