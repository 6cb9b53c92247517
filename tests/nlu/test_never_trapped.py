"""Issue 10, the bot never traps a customer: kinds of failure seen on the (now seen) dev
dialogues, each tested here in new words. None of these phrasings comes from an
evaluation file."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kefu.domain.redaction import redact
from kefu.nlu.entities import entity_text, extract_entities
from kefu.nlu.intent_rules import rule_intent
from kefu.nlu.language import detect_language
from kefu.nlu.normalise import normalise
from kefu.nlu.pipeline import NluEngine
from kefu.nlu.policy import BotState, OfficialChannel, decide
from kefu.nlu.retrieve import KnowledgeIndex


def run(engine: NluEngine, index: KnowledgeIndex, text: str, **state: object):  # type: ignore[no-untyped-def]
    return decide(engine.understand(text), BotState(**state), index)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "这会儿还有活人值班吗",
        "能不能安排一个客服给我回个电话",
        "麻烦让工作人员打电话联系我",
        "我想跟真人聊聊",
        "could you call me back please",
        "I need a human, not a script",
    ],
)
def test_any_request_for_a_person_hands_over(
    engine: NluEngine, index: KnowledgeIndex, text: str
) -> None:
    d = run(engine, index, text)
    assert d.handoff and d.reason == "human_agent", (text, d)


@pytest.mark.parametrize(
    "text",
    [
        "充值一直没到，这种是不是要人工处理",
        "提现被退回来了，能重新提吗，还是要找人工",
        "点卡过期了，是不是要投诉才给换",
    ],
)
def test_asking_whether_a_person_is_needed_is_not_a_request(text: str) -> None:
    assert rule_intent(normalise(text)) not in ("human_agent", "complaint"), text


def test_deciding_for_a_person_is_a_request() -> None:
    assert rule_intent(normalise("算了还是转人工吧")) == "human_agent"


@pytest.mark.parametrize(
    "text",
    [
        "登录验证码居然发到了一个我不认识的号码",
        "提现绑定的银行卡变成了别人的",
        "有人拿我的身份证在你们平台注册了账号",
        "刚收到绑定手机已更换的短信，可我没换过",
    ],
)
def test_security_situations_without_the_word_stolen_are_urgent(
    engine: NluEngine, index: KnowledgeIndex, text: str
) -> None:
    d = run(engine, index, text)
    assert d.handoff and d.urgent and d.article_id is None, (text, d)


def test_a_doubtful_theft_asks_with_the_security_choice_first(
    engine: NluEngine, index: KnowledgeIndex
) -> None:
    u = engine.understand("那我先这样吧")
    top = (("account_security", 0.4), ("other", 0.3), ("refund", 0.1))
    doubtful = replace(u, intent="account_security", confidence=0.4, top=top, rule=None)
    d = decide(doubtful, BotState(turns=1), index)
    assert not d.handoff and not d.urgent and d.reason == "unsure"
    assert d.quick_replies[0].payload == "intent:account_security"
    assert d.quick_replies[-1].payload == "handoff"
    sure = decide(replace(doubtful, confidence=0.9), BotState(turns=1), index)
    assert sure.handoff and sure.urgent


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("按你说的去设置里找了，根本没有那个选项", "还是搞不定啊"),
        ("hai shi mei yong", "mei you yong a"),
        ("this still cannot solve my problem", "useless, same thing again"),
    ],
)
def test_two_verdicts_in_other_words_hand_over(
    engine: NluEngine, index: KnowledgeIndex, first: str, second: str
) -> None:
    one = run(engine, index, first, turns=1)
    assert one.unhelpful_feedback, (first, one)  # counted (the model may also hear "a person")
    two = run(engine, index, second, turns=2, unhelpful_turns=1)
    assert two.handoff and two.reason == "unhelpful", (second, two)


def test_a_first_message_that_reports_a_failed_earlier_answer_counts(
    engine: NluEngine, index: KnowledgeIndex
) -> None:
    d = run(engine, index, "之前问过一次了，没解决")
    assert d.unhelpful_feedback and not d.handoff
    assert not run(engine, index, "充值还是没到账").unhelpful_feedback


def test_the_bot_never_answers_with_a_third_fallback_in_a_row(
    engine: NluEngine, index: KnowledgeIndex
) -> None:
    text = "给我讲个笑话吧"
    before = run(engine, index, text, turns=2, fallback_streak=1)
    assert not before.handoff and before.reason in ("out_of_scope", "unsure")
    third = run(engine, index, text, turns=3, fallback_streak=2)
    assert third.handoff and third.reason == "unhelpful"


def test_thanks_after_an_answer_is_no_new_greeting(
    engine: NluEngine, index: KnowledgeIndex
) -> None:
    d = run(engine, index, "好的，谢谢你", turns=1)
    assert not d.handoff and d.reason == "greeting" and "不客气" in d.reply


def test_pinyin_initials_follow_the_widget_language() -> None:
    assert detect_language("rg", "zh") == "zh"
    assert detect_language("zrg", None) == "zh"
    assert detect_language("rg", "en") == "en"


@pytest.mark.parametrize(
    ("text", "order_no"),
    [
        ("订单 D2026 1130 0042 117 到哪了", "D202611300042117"),
        ("D 2026 1130 0042 117 没到", "D202611300042117"),
        ("单子 2026 1130 5544 3322 110 还在处理吗", "2026113055443322110"),
    ],
)
def test_order_numbers_typed_in_groups_are_read_and_stay_visible(text: str, order_no: str) -> None:
    found = [e.value for e in extract_entities(entity_text(text)) if e.kind == "order_no"]
    assert found == [order_no]
    assert not redact(text).changed


def test_is_it_real_about_a_named_contact_gets_a_verdict_whatever_the_topic(
    engine: NluEngine, index: KnowledgeIndex
) -> None:
    channels = (OfficialChannel("phone", "4006008899"), OfficialChannel("website", "kameng.com"))
    d = run(
        engine,
        index,
        "400-600-8899 打来说我订单异常要退款，还让我去 kameng-refund.top 填银行卡，是真的吗",
        official_channels=channels,
    )
    assert d.reason in ("channel_verify", "account_security") and d.article_id is None, d
    assert "4006008899 是官方渠道" in d.reply, d.reply
    assert "kameng-refund.top 不是我们的官方渠道" in d.reply, d.reply
