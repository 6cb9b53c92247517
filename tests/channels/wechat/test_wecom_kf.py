"""微信客服 end to end against the fake WeChat: the customer asks, the bot answers,
转人工, an agent answers from the console, the window rule holds and shows, the session
ends with the rating menu; duplicate doorbells store nothing twice."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select, update

from conftest import CORP, KF, Stack
from kefu.actions.context import transaction
from kefu.storage.models import Conversation, Event, Job, WeChatContact, WeChatCursor

USER = "wmCustomer0001"


def wait_for(check: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("condition not reached")


async def _timeline(stack: Stack) -> list[tuple[str, str, str, str]]:
    async with stack.kefu.db.read() as session:
        rows = await session.execute(
            select(Event.type, Event.author_type, Event.visibility, Event.body)
            .join(Conversation, Conversation.id == Event.conversation_id)
            .where(Conversation.tenant_id == stack.world.tenant_id)
            .order_by(Event.id)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def _count(stack: Stack, model: Any) -> int:
    async with stack.kefu.db.read() as session:
        return int(
            (
                await session.execute(
                    select(func.count())
                    .select_from(model)
                    .where(model.tenant_id == stack.world.tenant_id)
                )
            ).scalar_one()
        )


async def _public_id(stack: Stack) -> str:
    async with stack.kefu.db.read() as session:
        return str(
            (
                await session.execute(
                    select(Conversation.public_id).where(
                        Conversation.tenant_id == stack.world.tenant_id
                    )
                )
            ).scalar_one()
        )


def customer_messages(stack: Stack) -> list[str]:
    return [b for t, a, _v, b in stack.run(_timeline(stack)) if t == "message" and a == "customer"]


def texts(stack: Stack) -> list[str]:
    out = []
    for m in stack.inbox(KF, USER):
        out.append(m["text"]["content"] if m["msgtype"] == "text" else m["msgmenu"]["head_content"])
    return out


def test_wecom_customer_bot_handoff_agent_window_and_rating(stack: Stack) -> None:
    # the customer asks; WeChat rings the doorbell three times for it
    assert stack.kf_say(USER, "你好，我充值的点卡一直没到账", doorbells=3) == {
        "callbacks": [200, 200, 200]
    }
    wait_for(lambda: stack.inbox(KF, USER))  # the bot answered through send_msg
    assert customer_messages(stack) == ["你好，我充值的点卡一直没到账"]
    assert stack.run(_count(stack, Conversation)) == 1
    assert stack.fake.windows[(KF, USER)].state == 1  # kefu holds the session (智能助手)
    public_id = stack.run(_public_id(stack))

    # 转人工: queued, and the queue position goes back to WeChat
    stack.kf_say(USER, "转人工")
    wait_for(lambda: any("您前面还有" in t for t in texts(stack)))
    assert customer_messages(stack) == ["你好，我充值的点卡一直没到账", "转人工"]

    # the agent answers from the console; the composer shows the window
    alice = stack.staff("alice")
    window = alice.get(f"/api/v1/conversations/{public_id}/wechat-window").json()
    assert window["channel"] == "wecom" and window["open"] is True
    left = window["messages_left"]
    page = alice.get(f"/console/partials/conversation/{public_id}").text
    assert 'data-testid="console-wechat-window" data-open="true"' in page
    assert f"还可发 {left}/5 条" in page and "小时" in page
    assert 0 < left < 5 and window["seconds_left"] > 47 * 3600
    sent_before = len(stack.inbox(KF, USER))
    for i in range(left):
        r = alice.post(f"/api/v1/conversations/{public_id}/messages", json={"body": f"第{i}条"})
        assert r.status_code == 201, r.text
    wait_for(lambda: len(stack.inbox(KF, USER)) == sent_before + left)
    assert stack.fake.windows[(KF, USER)].state == 1  # still kefu's, not the WeCom client's
    window = alice.get(f"/api/v1/conversations/{public_id}/wechat-window").json()
    assert window == {**window, "open": False, "reason": "used_up", "messages_left": 0}
    page = alice.get(f"/console/partials/conversation/{public_id}").text
    assert "微信回复窗口已关闭（客户上次发消息后已发满 5 条）" in page

    # a sixth answer is not sent: it stays public, the agent is told, nothing silent
    r = alice.post(f"/api/v1/conversations/{public_id}/messages", json={"body": "第六条"})
    assert r.status_code == 201
    notes = lambda: [  # noqa: E731
        b for t, _a, v, b in stack.run(_timeline(stack)) if t == "note" and v == "internal"
    ]
    # kefu's own count stopped it (WeChat was not asked: the reason is not "refused")
    assert any("已发满 5 条" in n for n in wait_for(notes))
    assert len(stack.inbox(KF, USER)) == sent_before + left
    assert (
        alice.get(f"/api/v1/conversations/{public_id}/wechat-window").json()["undelivered"] == 1
    ), [e for e in stack.run(_timeline(stack)) if e[0] != "message"]

    # the customer writes again: the window reopens and the ticket link is sent
    stack.kf_say(USER, "还在吗")
    wait_for(lambda: any("未能送达" in t for t in texts(stack)))
    window = alice.get(f"/api/v1/conversations/{public_id}/wechat-window").json()
    assert window["open"] is True and window["undelivered"] == 0

    # 48 h later the window is closed (WeChat would refuse; kefu does not even try)
    stack.clock.advance(hours=48, minutes=1)
    alice = stack.staff("alice")  # a new console session two days later
    count = len(stack.inbox(KF, USER))
    r = alice.post(f"/api/v1/conversations/{public_id}/messages", json={"body": "迟到的回复"})
    assert r.status_code == 201, r.text
    wait_for(lambda: sum("回复窗口已关闭" in n for n in notes()) == 2)
    assert len(stack.inbox(KF, USER)) == count
    window = alice.get(f"/api/v1/conversations/{public_id}/wechat-window").json()
    assert window["open"] is False and window["reason"] == "expired"

    # resolved: service_state 4 and the satisfaction menu; the tap rates the conversation
    stack.kf_say(USER, "好的谢谢")
    wait_for(lambda: sum("未能送达" in t for t in texts(stack)) == 2)  # the link again
    r = alice.post(f"/api/v1/conversations/{public_id}/status", json={"status": "resolved"})
    assert r.status_code == 200, r.text
    menu = wait_for(
        lambda: [m for m in stack.inbox(KF, USER) if m.get("msgtype") == "msgmenu"
                 and "评价" in m["msgmenu"]["head_content"]]
    )  # fmt: skip
    assert stack.fake.windows[(KF, USER)].state == 4
    item = menu[-1]["msgmenu"]["list"][0]["click"]
    stack.kf_say(USER, item["content"], menu_id=item["id"])
    rated = wait_for(lambda: [e for e in stack.run(_timeline(stack)) if e[0] == "rating"])
    assert len(rated) == 1
    # one doorbell without a new message, and a repeated one, after the cursor was lost
    # (a crash before it was stored): three days are pulled again, nothing stored twice
    before = stack.run(_timeline(stack))
    stack.run(_forget_cursor(stack))
    syncs = stack.run(_sync_jobs_done(stack))
    enter = {"event_type": "enter_session"}
    stack.http.post(
        f"{stack.wechat_url}/sim/wecom/{CORP}/{KF}/say",
        json={"user": USER, "msgtype": "event", "event": enter, "doorbells": 2},
    )
    wait_for(lambda: stack.run(_sync_jobs_done(stack)) == syncs + 1)  # one job, two bells
    assert stack.run(_timeline(stack)) == before
    assert stack.run(_count(stack, WeChatContact)) == 1
    # one token per app, shared: fetched once, and once more after it expired (48 h on)
    assert stack.fake.token_requests == 2
    failed = stack.run(_failed_jobs(stack))
    assert failed == [], failed


async def _sync_jobs_done(stack: Stack) -> int:
    async with stack.kefu.db.read() as session:
        rows = await session.execute(
            select(func.count()).where(
                Job.tenant_id == stack.world.tenant_id,
                Job.kind == "wecom.sync",
                Job.status == "done",
            )
        )
        return int(rows.scalar_one())


async def _forget_cursor(stack: Stack) -> None:
    async with transaction(stack.kefu) as tx:
        await tx.session.execute(
            update(WeChatCursor)
            .where(WeChatCursor.tenant_id == stack.world.tenant_id)
            .values(cursor="")
        )


async def _failed_jobs(stack: Stack) -> list[tuple[str, str | None]]:
    async with stack.kefu.db.read() as session:
        rows = await session.execute(
            select(Job.kind, Job.last_error).where(
                Job.tenant_id == stack.world.tenant_id, Job.last_error.is_not(None)
            )
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]
