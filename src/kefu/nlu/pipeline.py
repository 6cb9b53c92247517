"""``understand(text)``: redact -> normalise -> segment -> entities -> classify ->
sentiment -> language -> feedback.

One :class:`NluEngine` per process (``NluEngine.default()``) holds the trained models; it
is immutable after construction, so ``understand`` is safe to call from many threads.
``understand`` blocks for the sentence embedding (milliseconds): async callers run it in
a thread. ``warm()`` loads or trains everything and runs one message, so the server does
it at start-up instead of on the first customer's message.
Tenants with their own intents/examples get their own engine via
:meth:`NluEngine.with_examples` (cached on disk by training-data hash).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from sklearn import config_context

from kefu.domain.redaction import redact
from kefu.nlu.classifier import IntentClassifier, load_examples
from kefu.nlu.entities import Entity, entity_text, extract_entities
from kefu.nlu.features import features
from kefu.nlu.feedback import FeedbackDetector
from kefu.nlu.language import detect_language
from kefu.nlu.normalise import normalise
from kefu.nlu.segment import segment
from kefu.nlu.sentiment import Sentiment, detect_sentiment

__all__ = ["NluEngine", "Understanding", "understand"]


@dataclass(frozen=True, slots=True)
class Understanding:
    raw: str
    redacted_text: str
    redaction_kinds: tuple[str, ...]
    normalised: str
    tokens: tuple[str, ...]
    intent: str
    confidence: float
    top: tuple[tuple[str, float], ...]
    entities: tuple[Entity, ...]
    sentiment: Sentiment
    rule: str | None = None
    lang: str = "zh"
    unhelpful: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def redacted(self) -> bool:
        return bool(self.redaction_kinds)

    def entity(self, kind: str) -> str | None:
        for e in self.entities:
            if e.kind == kind:
                return e.value
        return None

    def entities_of(self, kind: str) -> list[str]:
        return [e.value for e in self.entities if e.kind == kind]


class NluEngine:
    _default: NluEngine | None = None
    _default_lock = threading.Lock()

    def __init__(self, classifier: IntentClassifier, feedback: FeedbackDetector) -> None:
        self.classifier = classifier
        self.feedback = feedback

    @classmethod
    def build(cls, extra_examples: Iterable[tuple[str, str]] = ()) -> NluEngine:
        examples = load_examples()
        classifier = IntentClassifier.train(extra_examples, base_examples=examples)
        feedback = FeedbackDetector.train([t for t, _ in examples])
        return cls(classifier, feedback)

    @classmethod
    def default(cls) -> NluEngine:
        """The process-wide engine on the shipped corpus (trained or loaded once)."""
        if cls._default is None:
            with cls._default_lock:
                if cls._default is None:
                    cls._default = cls.build()
        return cls._default

    @classmethod
    def with_examples(cls, extra_examples: Iterable[tuple[str, str]]) -> NluEngine:
        """An engine trained on the shipped corpus plus a tenant's (text, intent) pairs."""
        return cls.build(extra_examples)

    def warm(self) -> NluEngine:
        """Run one message through every stage (loads jieba, OpenCC, the encoder)."""
        self.understand("你好，我的充值没到账 KM20261122000123")
        self.understand("hello, my top-up did not arrive")
        return self

    def understand(self, text: str, *, lang_hint: str | None = None) -> Understanding:
        raw = text or ""
        redaction = redact(raw)
        # Classify the redacted text: a secret must never become a feature.
        norm = normalise(redaction.text)
        tokens = tuple(segment(norm))
        # contacts, ids and order numbers from the lightly normalised text (the full
        # normalisation rewrites latin words); goods named in pinyin or slang from both
        entities = tuple(extract_entities(entity_text(redaction.text)))
        if not any(e.kind == "product" for e in entities):
            entities += tuple(e for e in extract_entities(norm) if e.kind == "product")
        # the models were validated when fitted: skip scikit-learn's per-call input and
        # parameter checks (about 40 % of a message's time; same predictions)
        with config_context(assume_finite=True, skip_parameter_validation=True):
            prediction = self.classifier.predict(norm, feats=features(norm))
            unhelpful = self.feedback.probability(norm)
        sentiment = detect_sentiment(norm, raw)
        return Understanding(
            raw=raw,
            redacted_text=redaction.text,
            redaction_kinds=redaction.kinds,
            normalised=norm,
            tokens=tokens,
            intent=prediction.intent,
            confidence=round(prediction.confidence, 4),
            top=prediction.top,
            entities=entities,
            sentiment=sentiment,
            rule=prediction.rule,
            lang=detect_language(raw, lang_hint),
            unhelpful=round(unhelpful, 4),
        )


def understand(text: str, *, lang_hint: str | None = None) -> Understanding:
    """Understand one message with the default engine."""
    return NluEngine.default().understand(text, lang_hint=lang_hint)
