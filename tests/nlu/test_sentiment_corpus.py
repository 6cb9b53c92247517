from __future__ import annotations

import json

from kefu.nlu.classifier import DATA_DIR
from kefu.nlu.intents import INTENT_CODES
from kefu.nlu.normalise import normalise
from kefu.nlu.sentiment import detect_sentiment


def test_strong_negative() -> None:
    for text in [
        "垃圾平台",
        "你们这群骗子",
        "再不处理我就报警",
        "我要去315曝光你们",
        "我要疯了",
        "怎么还没到！！！",
        "人呢？？？",
    ]:
        assert detect_sentiment(normalise(text), text).strong_negative, text
    for text in ["充值没到账", "谢谢", "请问退款多久到账？"]:
        assert not detect_sentiment(normalise(text), text).strong_negative, text


def test_corpus_shape() -> None:
    splits = {}
    for name in ("train", "dev"):
        rows = [json.loads(x) for x in (DATA_DIR / f"{name}.jsonl").read_text("utf-8").splitlines()]
        splits[name] = rows
        assert {r["intent"] for r in rows} == set(INTENT_CODES)
        assert {r["style"] for r in rows} == {
            "plain",
            "colloquial",
            "typo",
            "short",
            "long",
            "traditional",
            "mixed",
            "implicit",
            "angry",
        }
        assert any(r["sensitive"] for r in rows)
    assert len(splits["train"]) >= 2000 and len(splits["dev"]) >= 500
    assert not {r["text"] for r in splits["train"]} & {r["text"] for r in splits["dev"]}
