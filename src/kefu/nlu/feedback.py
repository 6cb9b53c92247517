"""Dissatisfaction with the bot's last answer, by meaning rather than a fixed list.

A small binary model - character 1-3-gram TF-IDF + LogisticRegression - trained on the
phrasings in ``data/feedback_unhelpful.txt`` (zh, traditional, pinyin, English; written
for this purpose) against the intent corpus as negatives, plus a lexicon of unmistakable
stems. The policy only asks it about messages that follow a bot answer.

Deterministic (fixed data order, ``random_state=0``); trains in about a second; cached
with joblib next to the intent model.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kefu.nlu.normalise import normalise
from kefu.nlu.segment import cache_dir

__all__ = [
    "FEEDBACK_THRESHOLD",
    "FeedbackDetector",
    "load_unhelpful_phrasings",
    "refers_back",
]

FEEDBACK_VERSION = "feedback-v1"
FEEDBACK_THRESHOLD = 0.5
DATA = Path(__file__).resolve().parent / "data" / "feedback_unhelpful.txt"
_MAX_LEN = 60  # a long message is a new question, not a verdict on the last answer

# Stems that mean "that did not help" wherever they appear in a short message.
_LEXICON = re.compile(
    r"^[?？!！.。\s]+$|没用|没有用|没啥用|不管用|没解决|没有解决|答非所问|牛头不对马嘴|驴唇不对马嘴"
    r"|等于没说|等于白说|跟没说一样|白说|白问|废话|不是我(?:要|想)?问的|我问的不是|不是这个"
    r"|还是不行|还是没|试过了|没帮助|帮不上|鸡同鸭讲|对牛弹琴|文不对题|不相关|没关系吧"
    r"|搞不定|解决不了|没法解决|还是不会|还是不懂"
    r"|你(?:说|讲|让我(?:点|找|弄))的.{0,12}(?:没有|找不到|不存在|不行|没用)"
    r"|(?:照|按)(?:着)?你(?:说|讲)的.{0,10}(?:不行|没用|还是|没反应)|没得用|莫得用|不顶用"
    r"|mei ?(?:you ?)?yong|bu ?guan ?yong|mei ?jie ?jue|hai ?shi ?bu ?xing|gao ?bu ?ding"
    r"|(?:cannot|can'?t|could ?n[o']?t|did ?n[o']?t|does ?n[o']?t) (?:solve|fix|answer)"
    r"|not solved|still (?:cannot|can'?t|stuck|broken)|no use|not useful"
    r"|not helpful|unhelpful|useless|(?:doesn|didn|does not|did not)'?t? help|not what i asked"
    r"|wrong answer|irrelevant|already tried|still not|still doesn|pointless|nonsense"
)


# "I asked before / again": a first message can report an earlier answer that failed
_REFERS_BACK = re.compile(
    r"刚才|刚刚|之前|上次|前面|早上|昨天|又|再次|问过|说过|already|again|before|last time"
    r"|gang ?cai|zhi ?qian|you ?lai"
)


def refers_back(normalised: str) -> bool:
    return bool(_REFERS_BACK.search(normalised))


def load_unhelpful_phrasings() -> list[str]:
    lines = DATA.read_text(encoding="utf-8").splitlines()
    return [s.strip() for s in lines if s.strip() and not s.startswith("#")]


class FeedbackDetector:
    """``unhelpful(normalised) -> probability`` that the message rejects the last answer."""

    def __init__(self, model: Any) -> None:
        self._model = model

    @classmethod
    def train(
        cls, negatives: Sequence[str], *, cache: Path | bool | None = None
    ) -> FeedbackDetector:
        positives = [normalise(s) for s in load_unhelpful_phrasings()]
        pos_set = set(positives)
        negs = sorted({normalise(t) for t in negatives} - pos_set)
        digest = hashlib.sha256(FEEDBACK_VERSION.encode())
        for text in (*positives, "\x00", *negs):
            digest.update(text.encode() + b"\n")
        path: Path | None = None
        if cache is not False:
            base = cache_dir() if cache in (None, True) else Path(str(cache))
            path = base / f"feedback-{digest.hexdigest()[:16]}.joblib"
            if path.exists():
                import joblib

                try:
                    return cls(joblib.load(path))
                except Exception:
                    path.unlink(missing_ok=True)
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        model = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True),
            LogisticRegression(C=5.0, max_iter=2000, class_weight="balanced", random_state=0),
        )
        texts = positives + negs
        model.fit(texts, [1] * len(positives) + [0] * len(negs))
        if path is not None:
            import joblib

            tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
            joblib.dump(model, tmp)
            tmp.replace(path)
        return cls(model)

    def probability(self, normalised: str) -> float:
        text = normalised.strip()
        if not text:
            return 0.0
        if len(text) <= _MAX_LEN and _LEXICON.search(text):
            return 1.0
        if len(text) > _MAX_LEN:
            return 0.0
        return float(self._model.predict_proba([text])[0][1])

    def unhelpful(self, normalised: str) -> bool:
        return self.probability(normalised) >= FEEDBACK_THRESHOLD
