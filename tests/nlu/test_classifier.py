from __future__ import annotations

import pytest

from kefu.nlu.classifier import IntentClassifier
from kefu.nlu.intents import INTENT_CODES
from kefu.nlu.normalise import normalise
from kefu.nlu.pipeline import NluEngine

UNSEEN = [
    ("花了钱点券还是没有加上", "recharge_not_received"),
    ("冲的q币到现在没看到", "recharge_not_received"),
    ("付钱的时候一直提示失败", "payment_failed"),
    ("我想退掉这个订单拿回钱", "refund"),
    ("查查我昨天那个订单", "order_status"),
    ("这个激活码输进去说不对", "card_invalid"),
    ("我账号被人盗了里面的钱全没了", "account_security"),
    ("号被冻结了怎么弄", "account_access"),
    ("余额怎么提到银行卡", "withdrawal"),
    ("钻石会员有什么好处", "membership"),
    ("我要投诉刚才的客服", "complaint"),
    ("转人工谢谢", "human_agent"),
    ("这个qq 12345678 是不是你们官方的", "channel_verify"),
    ("我想在平台上开个店卖点卡", "merchant_business"),
    ("您好呀", "greeting"),
]


@pytest.mark.parametrize(("text", "intent"), UNSEEN)
def test_unseen_sentences(engine: NluEngine, text: str, intent: str) -> None:
    assert engine.understand(text).intent == intent


def test_confidence_and_top3(engine: NluEngine) -> None:
    u = engine.understand("充值没到账")
    assert 0.0 < u.confidence <= 1.0
    assert len(u.top) == 3
    assert u.top[0][0] == u.intent


def test_rule_layer_wins() -> None:
    assert IntentClassifier.rule_intent(normalise("zhuan ren gong")) == "human_agent"
    assert IntentClassifier.rule_intent(normalise("我号被盗了")) == "account_security"
    assert IntentClassifier.rule_intent(normalise("充值没到账")) is None


def test_all_intents_known(engine: NluEngine) -> None:
    assert set(engine.classifier.intents) == set(INTENT_CODES)


def test_tenant_examples_add_an_intent(tmp_path: object) -> None:
    words = ("积分", "金币", "礼品卡", "兑换券")
    extra = [(f"{w}怎么兑换实物礼品", "gift_exchange") for w in words]
    extra += [("实物礼品什么时候发货", "gift_exchange"), ("兑换的礼品没收到", "gift_exchange")] * 4
    base = [
        ("充值没到账", "recharge_not_received"),
        ("我要退款", "refund"),
        ("转人工", "human_agent"),
    ] * 4
    clf = IntentClassifier.train(extra, base_examples=base, cache=False)
    assert "gift_exchange" in clf.intents
    assert clf.predict(normalise("积分怎么兑换实物礼品")).intent == "gift_exchange"
