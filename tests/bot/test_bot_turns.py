"""The bot inside the live conversation, through the real API."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi.testclient import TestClient

from kefu.nlu.policy import NEVER_ASK, SECRET_WARNING
from tests.bot.conftest import set_tenant_settings
from tests.world import As, World


def new_order_no() -> str:
    return "KM20261122" + "".join(secrets.choice("0123456789") for _ in range(10))


def put_order(machine: As, order_no: str, status: str, customer: str = "m1") -> None:
    r = machine.put(
        "/api/v1/orders",
        json={
            "order_no": order_no,
            "product": "王者荣耀 点券 600",
            "amount": "60.00",
            "status": status,
            "customer_external_id": customer,
        },
    )
    assert r.status_code in (200, 201), r.text


def open_conversation(customer: As, body: str) -> dict[str, Any]:
    r = customer.post("/api/v1/conversations", json={"body": body})
    assert r.status_code == 201, r.text
    return dict(r.json())


def say(customer: As, cid: str, body: str) -> None:
    r = customer.post(f"/api/v1/conversations/{cid}/messages", json={"body": body})
    assert r.status_code == 201, r.text


def events(party: As, cid: str) -> list[dict[str, Any]]:
    r = party.get(f"/api/v1/conversations/{cid}/events")
    assert r.status_code == 200, r.text
    return list(r.json()["events"])


def bot_turns(party: As, cid: str) -> list[dict[str, Any]]:
    return [e for e in events(party, cid) if e["type"] == "bot_turn"]


def conversation(party: As, cid: str) -> dict[str, Any]:
    r = party.get(f"/api/v1/conversations/{cid}")
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_first_message_gets_the_real_order_status(
    bot_world: World, customer: As, machine: As, alice: As
) -> None:
    order_no = new_order_no()
    put_order(machine, order_no, "processing")
    conv = open_conversation(customer, f"充值了没到账 订单 {order_no}")
    turns = bot_turns(alice, conv["id"])
    assert len(turns) == 1
    turn = turns[0]
    assert turn["author_type"] == "bot"
    assert f"订单 {order_no} 已支付，上游渠道处理中" in turn["body"]
    assert turn["data"]["intent"] == "recharge_not_received"
    assert turn["data"]["reason"] == "order_status"
    assert {q["payload"] for q in turn["data"]["quick_replies"]} >= {"handoff"}
    assert conversation(customer, conv["id"])["category"] == "recharge_not_received"
    # the marketplace reports delivery; the next question gets the new status
    put_order(machine, order_no, "delivered")
    say(customer, conv["id"], f"{order_no} 现在到了吗")
    assert "已完成" in bot_turns(customer, conv["id"])[-1]["body"]


def test_another_customers_order_is_never_revealed(
    bot_world: World, customer: As, machine: As
) -> None:
    theirs = new_order_no()
    put_order(machine, theirs, "refunding", customer="m2")
    conv = open_conversation(customer, f"订单 {theirs} 怎么还没到账")
    body = bot_turns(customer, conv["id"])[0]["body"]
    assert "查不到" in body and "验证" in body
    assert "正在退款" not in body and "王者荣耀" not in body


def test_vague_message_offers_topics(bot_world: World, customer: As, alice: As) -> None:
    conv = open_conversation(customer, "想问个事")
    turn = bot_turns(alice, conv["id"])[0]
    assert turn["data"]["reason"] in ("unsure", "greeting")  # a topic menu either way
    payloads = [q["payload"] for q in turn["data"]["quick_replies"]]
    assert len(payloads) >= 3 and payloads[-1] == "handoff"
    assert all(p.startswith("intent:") for p in payloads[:-1])
    assert conversation(customer, conv["id"])["status"] == "bot"
    # clicking a topic answers it
    say(customer, conv["id"], "intent:refund")
    answer = bot_turns(alice, conv["id"])[-1]
    assert answer["data"]["intent"] == "refund" and answer["data"]["article_id"]


def test_zhuan_ren_gong_hands_over_and_the_bot_falls_silent(
    bot_world: World, customer: As, alice: As
) -> None:
    conv = open_conversation(customer, "你好")
    cid = conv["id"]
    assert bot_turns(alice, cid)[0]["data"]["reason"] == "greeting"
    say(customer, cid, "转人工")
    after = conversation(customer, cid)
    assert after["status"] == "queued"
    timeline = events(customer, cid)
    assert [e["type"] for e in timeline][-3:] == ["bot_turn", "handoff", "status_change"]
    assert timeline[-2]["author_type"] == "bot"
    count = len(bot_turns(customer, cid))
    say(customer, cid, "充值了没到账")
    say(customer, cid, "在吗？？")
    assert len(bot_turns(customer, cid)) == count, "after handover the bot is silent"


def test_handoff_quick_reply_payload(bot_world: World, customer: As, alice: As) -> None:
    conv = open_conversation(customer, "卡密用不了")
    say(customer, conv["id"], "handoff")
    assert conversation(customer, conv["id"])["status"] == "queued"
    assert bot_turns(alice, conv["id"])[-1]["data"]["reason"] == "button"


def test_stolen_account_is_urgent(bot_world: World, customer: As, alice: As) -> None:
    conv = open_conversation(customer, "我的号被盗了")
    after = conversation(customer, conv["id"])
    assert after["status"] == "queued"
    assert after["priority"] == 3
    assert after["department"]["code"] == "security"
    turn = bot_turns(alice, conv["id"])[0]
    assert turn["data"]["urgent"] is True and NEVER_ASK in turn["body"]
    handoff = [e for e in events(alice, conv["id"]) if e["type"] == "handoff"]
    assert handoff and handoff[0]["data"]["urgent"] is True


def test_two_unhelpful_turns_hand_over(bot_world: World, customer: As, alice: As) -> None:
    conv = open_conversation(customer, "退款多久到账")
    cid = conv["id"]
    assert bot_turns(alice, cid)[0]["data"]["reason"] == "answer"
    say(customer, cid, "没用")
    assert bot_turns(alice, cid)[-1]["data"]["reason"] == "unhelpful_once"
    assert conversation(customer, cid)["status"] == "bot"
    say(customer, cid, "不是这个")
    assert bot_turns(alice, cid)[-1]["data"]["reason"] == "unhelpful"
    assert conversation(customer, cid)["status"] == "queued"


def test_feedback_unresolved_counts_as_unhelpful(bot_world: World, customer: As) -> None:
    conv = open_conversation(customer, "卡密提示已使用")
    cid = conv["id"]
    say(customer, cid, "feedback:unresolved")
    say(customer, cid, "feedback:unresolved")
    assert conversation(customer, cid)["status"] == "queued"


def test_strong_anger_hands_over(bot_world: World, customer: As, alice: As) -> None:
    conv = open_conversation(customer, "充值了半天还没到账，垃圾平台，骗子！！！")
    assert conversation(customer, conv["id"])["status"] == "queued"
    assert bot_turns(alice, conv["id"])[0]["data"]["reason"] == "negative_sentiment"


def test_channel_verify(bot_world: World, customer: As) -> None:
    conv = open_conversation(customer, "QQ 800012345 是官方的吗")
    cid = conv["id"]
    body = bot_turns(customer, cid)[0]["body"]
    assert "QQ 800012345 是官方渠道" in body
    say(customer, cid, "QQ 2876543210 说是客服，是官方的吗")
    fake = bot_turns(customer, cid)[-1]["body"]
    assert "不是我们的官方渠道" in fake
    assert "客服不会索要密码、验证码，也不会要求转账" in fake
    say(customer, cid, "工号 KF8002 是你们的客服吗")
    assert "是官方渠道" in bot_turns(customer, cid)[-1]["body"], "active agents' 工号 count"


def test_channel_verify_without_official_list(
    client: TestClient, bot_world: World, customer: As
) -> None:
    set_tenant_settings(client, bot_world.tenant_id, {})
    conv = open_conversation(customer, "QQ 800012345 是官方的吗")
    assert "不是我们的官方渠道" in bot_turns(customer, conv["id"])[0]["body"]


def test_password_is_masked_and_the_bot_warns(bot_world: World, customer: As, alice: As) -> None:
    conv = open_conversation(customer, "登不上了，我的密码是 abc12345")
    timeline = events(customer, conv["id"])
    message = next(e for e in timeline if e["type"] == "message")
    assert "abc12345" not in message["body"] and message["data"]["redacted"] == ["password"]
    turn = next(e for e in events(alice, conv["id"]) if e["type"] == "bot_turn")
    assert turn["body"].startswith(SECRET_WARNING)
    assert turn["data"]["redaction_warning"] == ["password"]
    assert "abc12345" not in str(timeline)


def test_agent_who_takes_over_sees_the_bot_turns(bot_world: World, customer: As, alice: As) -> None:
    conv = open_conversation(customer, "卡密无效怎么办")
    cid = conv["id"]
    say(customer, cid, "转人工")
    r = alice.post(
        f"/api/v1/conversations/{cid}/assign", json={"agent_id": bot_world.agents["alice"]}
    )
    assert r.status_code == 200, r.text
    turns = bot_turns(alice, cid)
    assert len(turns) == 2
    assert turns[0]["data"]["intent"] == "card_invalid" and turns[0]["data"]["article_id"]
    assert turns[1]["data"]["reason"] == "button"
    # the assigned conversation: the bot does not answer the customer any more
    say(customer, cid, "卡密无效")
    assert len(bot_turns(alice, cid)) == 2


def test_agent_messages_do_not_wake_the_bot(bot_world: World, customer: As, alice: As) -> None:
    conv = open_conversation(customer, "你好")
    cid = conv["id"]
    r = alice.post(
        f"/api/v1/conversations/{cid}/messages", json={"body": "您好，请问有什么可以帮您"}
    )
    assert r.status_code == 201
    say(customer, cid, "充值没到账")
    assert len(bot_turns(customer, cid)) == 1


def test_conversation_without_bot_gets_no_answer(bot_world: World, customer: As) -> None:
    r = customer.post("/api/v1/conversations", json={"body": "你好", "start_with_bot": False})
    assert r.status_code == 201
    assert bot_turns(customer, r.json()["id"]) == []


def test_tenant_examples_teach_a_new_intent(
    client: TestClient, bot_world: World, customer: As, alice: As
) -> None:
    examples = [
        {"text": t, "intent": "lucky_draw"}
        for t in (
            "抽奖活动怎么参加",
            "幸运大转盘在哪",
            "我中奖了怎么领奖",
            "抽奖次数用完了",
            "转盘抽奖没反应",
        )
    ]
    set_tenant_settings(client, bot_world.tenant_id, {"bot_examples": examples})
    conv = open_conversation(customer, "幸运转盘抽奖怎么参加")
    assert bot_turns(alice, conv["id"])[0]["data"]["intent"] == "lucky_draw"


def test_quick_reply_click_keeps_the_label_and_uses_the_payload(customer: As, alice: As) -> None:
    cid = customer.post(
        "/api/v1/conversations", json={"body": "你好", "start_with_bot": True}
    ).json()["id"]
    r = customer.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"body": "人工客服", "quick_reply": "handoff", "client_msg_id": "qr-1"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["event"]["body"] == "人工客服"
    assert customer.get(f"/api/v1/conversations/{cid}").json()["status"] == "queued"
    bad = customer.post(
        f"/api/v1/conversations/{cid}/messages", json={"body": "x", "quick_reply": "rm -rf"}
    )
    assert bad.status_code == 422
