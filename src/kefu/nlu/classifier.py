"""Intent classifier: a scikit-learn model plus a small high-precision rule layer.

Model: two TF-IDF views of the *normalised* message, joined -
  * character 1–3-grams of the text with entities replaced by placeholders
    (``KM2026…`` -> ``#ord``, ``13812345678`` -> ``#tel``, amounts -> ``#amt`` ...), so
    digits never become features;
  * jieba words (unigrams and bigrams) from the domain-dictionary segmenter;
- into a multinomial LogisticRegression (lbfgs, fixed random_state, class_weight balanced).
Its probabilities are the confidence.

Training is deterministic and takes well under a second; the fitted model is cached with
joblib under :func:`kefu.nlu.segment.cache_dir`, keyed by a SHA-256 of the training
examples and :data:`MODEL_VERSION`. Tenants add intents/examples by passing extra
``(text, intent)`` pairs to :meth:`IntentClassifier.train` (the key changes with them).

Rules (applied to normalised text) win over the model only where they are nearly always
right: explicit 转人工/人工客服, 投诉/举报, 被盗/盗号/被骗, 冻结/解冻 ...
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kefu.nlu.entities import extract_entities
from kefu.nlu.normalise import normalise
from kefu.nlu.segment import cache_dir, segment

__all__ = ["MODEL_VERSION", "IntentClassifier", "Prediction", "features", "load_examples"]

MODEL_VERSION = "intent-v3"
DATA_DIR = Path(__file__).resolve().parent / "data"
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
    r"^(?:(?:你好|您好|hello|你好呀|客服你好|打扰一下|打扰了|麻烦问一下|麻烦你|麻烦|请问一下|请问|亲|"
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


# (intent, pattern) in priority order. Matched against normalised text.
RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "account_security",
        re.compile(
            r"被盗|盗号|号被盗|盗刷|被骗|骗走|被人(?:登录|登陆|转走|盗|改了?密码|换绑|绑定)"
            r"|(?:假|冒充)客服.{0,12}(?:骗|坑|转账|验证码|钱)|不是我(?:本人)?(?:操作|花|买|弄)"
            r"|异地登录.{0,6}不是我|陌生设备登录|验证码.{0,8}(?:发给|告诉|给了|报给)"
            r"|(?:余额|钱).{0,4}(?:全)?(?:没了|不见了|被转走)"
            r"|(?:转账|转了钱|转完|付了钱).{0,10}(?:联系不上|拉黑|删了我|不回)"
        ),
    ),
    (
        "human_agent",
        re.compile(
            r"转人工|人工客服|转接人工|^(?:找|要|转|请)?人工[!?.,]*$|找人工|要人工|接通人工"
            r"|不要机器人|别(?:让)?机器人|^真人[!?.,]*$|找个真人|有没有活人"
        ),
    ),
    ("complaint", re.compile(r"投诉(?!.{0,3}(?:在哪|怎么|流程|电话|渠道))|举报|差评")),
    (
        "channel_verify",
        re.compile(
            r"(?:是|是不是)(?:你们)?(?:的)?官方|官方的吗|真假客服|辨别.{0,4}客服|核实客服|验证客服"
            r"|(?:客服|官网).{0,6}(?:是真的|真的假的|是不是你们)"
        ),
    ),
    (
        "account_access",
        re.compile(r"冻结|解冻|封号|被封|登不上|登录不了|登陆不了|忘记密码|找回密码"),
    ),
)


@dataclass(frozen=True, slots=True)
class Prediction:
    intent: str
    confidence: float
    top: tuple[tuple[str, float], ...]
    rule: str | None = None


def load_examples(path: Path | None = None) -> list[tuple[str, str]]:
    """(text, intent) pairs from a corpus JSONL file (default: the shipped train split)."""
    path = path or DATA_DIR / "train.jsonl"
    pairs: list[tuple[str, str]] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                pairs.append((str(row["text"]), str(row["intent"])))
    return pairs


def _build_model() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    chars = TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), preprocessor=char_view, sublinear_tf=True, min_df=1
    )
    words = TfidfVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        preprocessor=word_view,
        token_pattern=r"\S+",
        sublinear_tf=True,
    )
    return Pipeline(
        [
            ("features", FeatureUnion([("chars", chars), ("words", words)])),
            (
                "model",
                LogisticRegression(C=20.0, max_iter=3000, class_weight="balanced", random_state=0),
            ),
        ]
    )


class IntentClassifier:
    """Fitted model + rules. Immutable after construction; safe to share across threads."""

    def __init__(self, model: Any, key: str) -> None:
        self._model = model
        self.key = key
        self.intents: tuple[str, ...] = tuple(str(c) for c in model.classes_)

    @staticmethod
    def training_key(examples: Sequence[tuple[str, str]]) -> str:
        digest = hashlib.sha256(MODEL_VERSION.encode())
        for text, intent in examples:
            digest.update(f"{intent}\t{text}\n".encode())
        return digest.hexdigest()[:16]

    @classmethod
    def train(
        cls,
        extra_examples: Iterable[tuple[str, str]] = (),
        *,
        base_examples: Sequence[tuple[str, str]] | None = None,
        cache: Path | bool | None = None,
    ) -> IntentClassifier:
        """Fit on the shipped corpus plus ``extra_examples`` (tenant intents/examples).

        ``cache``: a directory, ``None`` for the default cache dir, ``False`` for none.
        """
        examples = list(base_examples if base_examples is not None else load_examples())
        examples.extend((str(t), str(i)) for t, i in extra_examples)
        key = cls.training_key(examples)
        path: Path | None = None
        if cache is None or cache is True:
            path = cache_dir() / f"intent-{key}.joblib"
        elif cache is not False:
            path = Path(cache) / f"intent-{key}.joblib"
        if path is not None and path.exists():
            import joblib

            try:
                return cls(joblib.load(path), key)
            except Exception:  # corrupt or incompatible cache: retrain
                path.unlink(missing_ok=True)
        model = _build_model()
        model.fit([features(normalise(t)) for t, _ in examples], [i for _, i in examples])
        if path is not None:
            import joblib

            tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
            joblib.dump(model, tmp)
            tmp.replace(path)
        return cls(model, key)

    def predict(self, normalised: str, *, feats: str | None = None) -> Prediction:
        """Classify one normalised message."""
        doc = feats if feats is not None else features(normalised)
        probs = self._model.predict_proba([doc])[0]
        ranked = sorted(
            zip(self.intents, (float(p) for p in probs), strict=True),
            key=lambda kv: kv[1],
            reverse=True,
        )
        top = tuple((i, round(p, 4)) for i, p in ranked[:3])
        rule = self.rule_intent(normalised)
        if rule is not None and rule in self.intents:
            prob = dict(ranked).get(rule, 0.0)
            top = ((rule, round(max(prob, 0.95), 4)), *(kv for kv in top if kv[0] != rule))
            return Prediction(rule, max(prob, 0.95), top[:3], rule=rule)
        return Prediction(ranked[0][0], ranked[0][1], top)

    def predict_batch(self, normalised: Sequence[str]) -> list[Prediction]:
        return [self.predict(n) for n in normalised]

    @staticmethod
    def rule_intent(normalised: str) -> str | None:
        for intent, pattern in RULES:
            if pattern.search(normalised):
                return intent
        return None
