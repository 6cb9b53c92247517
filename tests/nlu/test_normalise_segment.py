from __future__ import annotations

import pytest

from kefu.nlu.normalise import normalise
from kefu.nlu.segment import segment


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＫＭ２０２６", "km2026"),
        ("我的訂單還沒到賬", "我的订单还没到账"),
        ("冲值没到帐", "充值没到账"),
        ("我要退欵", "我要退款"),
        ("zhuan ren gong", "转人工"),
        ("zhuanrengong", "转人工"),
        ("ZHUAN REN GONG", "转人工"),
        ("ren gong", "人工"),
        ("我要 tui kuan", "我要退款"),
        ("怎么还没到账！！！😡😡", "怎么还没到账!"),
        ("在吗？？？", "在吗?"),
        ("加我vx", "加我微信"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_normalise_empty() -> None:
    assert normalise("") == ""


@pytest.mark.parametrize("word", ["转人工", "到账", "卡密", "跑路", "点卡", "话费"])
def test_segment_keeps_domain_words_whole(word: str) -> None:
    assert word in segment(f"我的{word}怎么回事")


def test_segment_drops_punctuation() -> None:
    assert segment("卡密无效，转人工！") == ["卡密", "无效", "转人工"]
