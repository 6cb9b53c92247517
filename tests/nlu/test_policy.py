from __future__ import annotations

from kefu.nlu.pipeline import NluEngine
from kefu.nlu.policy import (
    NEVER_ASK,
    SECRET_WARNING,
    BotState,
    OfficialChannel,
    OrderLookup,
    decide,
)
from kefu.nlu.retrieve import KnowledgeIndex

CHANNELS = (
    OfficialChannel("qq", "800012345", "官方客服QQ"),
    OfficialChannel("wechat", "kamengkf01"),
    OfficialChannel("website", "kameng.com"),
    OfficialChannel("agent_id", "KF8012"),
    OfficialChannel("phone", "4008001234"),
)


def run(engine: NluEngine, index: KnowledgeIndex, text: str, **state: object):  # type: ignore[no-untyped-def]
    return decide(engine.understand(text), BotState(**state), index)  # type: ignore[arg-type]


def test_handoff_intents(engine: NluEngine, index: KnowledgeIndex) -> None:
    assert run(engine, index, "转人工").handoff
    assert run(engine, index, "我要投诉你们客服").handoff
    security = run(engine, index, "我的号被盗了")
    assert security.handoff and security.urgent
    assert NEVER_ASK in security.reply


def test_button_pressed(engine: NluEngine, index: KnowledgeIndex) -> None:
    d = run(engine, index, "退款多久到账", handoff_pressed=True)
    assert d.handoff and d.reason == "button"


def test_strong_negative_hands_over(engine: NluEngine, index: KnowledgeIndex) -> None:
    d = run(engine, index, "充值没到账，垃圾平台骗子！！！")
    assert d.handoff and d.reason == "negative_sentiment"


def test_two_unhelpful_turns(engine: NluEngine, index: KnowledgeIndex) -> None:
    first = run(engine, index, "没用", unhelpful_turns=0, turns=1)
    assert not first.handoff and first.unhelpful_feedback
    second = run(engine, index, "不是这个", unhelpful_turns=1, turns=2)
    assert second.handoff and second.reason == "unhelpful"
    assert run(engine, index, "？？", unhelpful_turns=1, turns=2).handoff


def test_silent_after_handover(engine: NluEngine, index: KnowledgeIndex) -> None:
    d = run(engine, index, "转人工", handed_over=True)
    assert d.silent and d.reply == "" and not d.handoff


def test_channel_verify(engine: NluEngine, index: KnowledgeIndex) -> None:
    ok = run(engine, index, "QQ800012345是你们官方客服吗", official_channels=CHANNELS)
    assert "是官方渠道" in ok.reply and NEVER_ASK in ok.reply and not ok.handoff
    fake = run(engine, index, "工号9999是真的客服吗", official_channels=CHANNELS)
    assert "不是我们的官方渠道" in fake.reply and NEVER_ASK in fake.reply
    agent = run(engine, index, "工号8012是你们的客服吗", official_channels=CHANNELS)
    assert "是官方渠道" in agent.reply
    site = run(engine, index, "kameng.com.evil.xyz 是你们官网吗", official_channels=CHANNELS)
    assert "不是我们的官方渠道" in site.reply


def test_order_status_answer(engine: NluEngine, index: KnowledgeIndex) -> None:
    order = OrderLookup("KM20261122153012345", "paid", eta_minutes=10)
    d = run(engine, index, "订单KM20261122153012345怎么还没到账", order=order)
    assert "订单 KM20261122153012345 已支付，上游渠道处理中，预计 10 分钟内到账" in d.reply
    assert not d.handoff


def test_answer_from_knowledge_base(engine: NluEngine, index: KnowledgeIndex) -> None:
    d = run(engine, index, "退款一般多久能到")
    assert d.article_id is not None and not d.handoff
    assert d.quick_replies


def test_secret_warning(engine: NluEngine, index: KnowledgeIndex) -> None:
    d = run(engine, index, "登录不上，密码是abc12345")
    assert d.reply.startswith(SECRET_WARNING)


def test_unsure_offers_three_topics(engine: NluEngine, index: KnowledgeIndex) -> None:
    u = engine.understand("嗯那个")
    from dataclasses import replace

    low = replace(
        u,
        intent="refund",
        confidence=0.2,
        top=(("refund", 0.2), ("payment_failed", 0.18), ("order_status", 0.1)),
    )
    d = decide(low, BotState(), index)
    assert d.reason == "unsure"
    assert [q.payload for q in d.quick_replies][:3] == [
        "intent:refund",
        "intent:payment_failed",
        "intent:order_status",
    ]
