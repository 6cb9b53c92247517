"""Every event type, in every renderer, says what happened in Chinese.

One conversation of each kind (a widget chat and a help-center ticket) gets one event of
every type and sub-kind, written through the real write path (``append_event``: the
payload is validated against its schema). Then each renderer is fetched over HTTP:

* the console timeline (staff, every event),
* the customer payload the widget renders (``text`` of GET .../events, public events),
* the tracking page and the transcript (public events),
* the e-mail a customer would receive (the events that send one).

Each row must exist, contain its expected Chinese words, and show no raw code
(``account_security``, ``queued``, ``first_response``, ...). A new event type without a
sample here, or a renderer that does not know a type, fails this test.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kefu.actions.context import TimelineFact, transaction
from kefu.actions.notifications import notification_kind
from kefu.actions.timeline import append_event
from kefu.channels.email.outbound import compose_notification
from kefu.domain.conversation_state import AuthorType, EventType, Visibility
from kefu.domain.event_payloads import PAYLOADS, InvalidEventPayload, parse_event_data
from kefu.storage.models import Conversation
from tests.api.conftest import kefu_of
from tests.helpcenter.conftest import file_ticket
from tests.world import As, World

AT = "2026-11-23T02:30:00+00:00"  # 10:30 China time


@dataclass(frozen=True)
class Sample:
    type: EventType
    body: str
    data: dict[str, Any]
    staff: str  # words the console row must contain
    customer: str | None = None  # words customer renderers must show (None: internal)
    author: AuthorType = AuthorType.SYSTEM
    visibility: Visibility = Visibility.PUBLIC
    codes: tuple[str, ...] = field(default=())


def samples(alice_id: int) -> list[Sample]:
    author = {"name": "小林", "agent_no": "KF0101"}
    internal = Visibility.INTERNAL
    return [
        Sample(EventType.MESSAGE, "我的充值没到账", {}, "我的充值没到账", "我的充值没到账",
               AuthorType.CUSTOMER),
        Sample(EventType.MESSAGE, "您好，已为您补发", {"author": author}, "已为您补发",
               "已为您补发", AuthorType.AGENT),
        Sample(EventType.MESSAGE, "已为您预约回电：138****5678",
               {"kind": "callback_request", "callback_id": 1, "phone_masked": "138****5678",
                "window_start": AT, "window_end": AT, "due_at": AT, "note": ""},
               "预约回电", "预约回电", codes=("callback_request",)),
        Sample(EventType.BOT_TURN, "【充值未到账】一般 10 分钟内到账",
               {"intent": "recharge_not_received", "confidence": 0.91,
                "quick_replies": [{"label": "转人工", "payload": "handoff"}],
                "reason": "answer"},
               "10 分钟内到账", "10 分钟内到账", AuthorType.BOT,
               codes=("recharge_not_received",)),
        Sample(EventType.HANDOFF, "", {"reason": "account_security", "urgent": True,
                                       "category": "account_security"},
               "账号安全", "转接人工", AuthorType.BOT, codes=("account_security",)),
        Sample(EventType.ASSIGNMENT, "", {"agent_id": alice_id, "agent_no": "KF0101",
                                          "name": "小林", "previous_agent_id": None},
               "分配给 小林", "小林"),
        Sample(EventType.TRANSFER, "", {"from_department_id": None, "to_department": "refund",
                                        "to_department_name": "退款财务", "to_agent_id": None,
                                        "to_agent_no": None},
               "转接至 退款财务", "转接至 退款财务", AuthorType.AGENT, codes=("refund",)),
        Sample(EventType.NOTE, "客户情绪激动，先安抚", {"author": author}, "客户情绪激动",
               author=AuthorType.AGENT, visibility=internal),
        Sample(EventType.NOTE, "", {"kind": "callback_outcome", "callback_id": 1,
                                    "outcome": "no_answer", "on_time": False},
               "无人接听", author=AuthorType.AGENT, visibility=internal,
               codes=("callback_outcome", "no_answer")),
        Sample(EventType.NOTE, "", {"email_auto_reply": ["auto_submitted"]}, "自动回复",
               visibility=internal, codes=("auto_submitted",)),
        Sample(EventType.STATUS_CHANGE, "", {"from": "queued", "to": "assigned",
                                             "reason": "handoff"},
               "排队中 → 处理中", "处理中", codes=("queued", "assigned")),
        Sample(EventType.STATUS_CHANGE, "", {"from": "assigned", "to": "queued",
                                             "reason": "agent_offline"},
               "客服已离线", "排队中", codes=("agent_offline",)),
        Sample(EventType.STATUS_CHANGE, "", {"from": "assigned", "to": "resolved",
                                             "reason": None},
               "已解决", "已解决", AuthorType.AGENT, codes=("resolved",)),
        Sample(EventType.SLA_WARNING, "", {"clocks": ["first_response"],
                                           "first_response_due_at": AT,
                                           "resolution_due_at": None},
               "首次响应即将超时", visibility=internal, codes=("first_response",)),
        Sample(EventType.SLA_BREACH, "", {"kind": "breach", "clocks": ["resolution"],
                                          "breached_at": AT},
               "服务时限已超时：解决", visibility=internal, codes=("breach", "resolution")),
        Sample(EventType.SLA_BREACH, "", {"kind": "escalation", "step": 1,
                                          "priority_from": "normal", "priority_to": "high",
                                          "notified_supervisor": True, "reassigned": False},
               "优先级 普通 → 高", visibility=internal, codes=("escalation", "normal", "high")),
        Sample(EventType.SLA_BREACH, "", {"kind": "callback", "callback_id": 1, "due_at": AT},
               "回电超时", visibility=internal, codes=("callback",)),
        Sample(EventType.SLA_BREACH, "已申请升级处理，主管将优先跟进",
               {"kind": "escalation_requested", "missed": "first_response", "due_at": AT,
                "priority_from": "normal", "priority_to": "high", "reason": "等太久了"},
               "客户申请升级处理", "申请升级处理", AuthorType.CUSTOMER,
               codes=("escalation_requested", "first_response")),
        Sample(EventType.RATING, "回复很快", {"score": 5, "tags": ["回复及时"]}, "★★★★★",
               "★★★★★", AuthorType.CUSTOMER),
        Sample(EventType.ORDER_UPDATE, "", {"order_no": "DJ202612020001", "from": "failed",
                                            "to": "refunded", "upstream_status": "refunded",
                                            "source": "webhook", "marketplace": "dujiao_next"},
               "失败 → 已退款", "已退款", codes=("failed", "refunded", "webhook")),
        Sample(EventType.CARD_CODES, "", {"order_no": "DJ202612020001", "action": "revealed",
                                          "count": 2, "author": author},
               "查看了订单 DJ202612020001 的卡密", author=AuthorType.AGENT,
               visibility=internal, codes=("revealed",)),
        Sample(EventType.CARD_CODES, "", {"order_no": "DJ202612020001", "action": "resent",
                                          "count": 2, "sent_to": "b***@example.com"},
               "重新发送至 b***@example.com", "重新发送至 b***@example.com",
               codes=("resent",)),
    ]  # fmt: skip


CONSOLE_ROW = (
    r'<div class="ev [^"]*" data-testid="console-event" data-seq="(\d+)"[^>]*>'
    r'(.*?)</div>\s*(?=<div class="ev |$)'
)
TRACK_ROW = r'<li class="ev [^"]*" data-testid="track-event-[a-z_]+" data-seq="(\d+)">(.*?)</li>'
CODE_WORD = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def visible(fragment: str) -> str:
    """The text a person sees (tags and attributes dropped)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def assert_readable(where: str, sample: Sample, text: str, expected: str) -> None:
    assert text.strip(), f"{where}: empty row for {sample.type} {sample.data}"
    assert expected in text, f"{where}: {sample.type} should say {expected!r}: {text!r}"
    assert re.search(r"[\u4e00-\u9fff]", text), f"{where}: no Chinese for {sample.type}"
    raw = CODE_WORD.findall(text) + [c for c in (*sample.codes, sample.type.value) if
                                     re.search(rf"\b{c}\b", text)]  # fmt: skip
    assert not raw, f"{where}: raw codes {raw} shown for {sample.type}: {text!r}"


def test_every_event_type_has_a_schema_and_a_sample() -> None:
    assert set(PAYLOADS) == set(EventType)
    covered = {s.type for s in samples(1)}
    assert covered == set(EventType), f"no rendering sample for {set(EventType) - covered}"
    for s in samples(1):
        parse_event_data(s.type, s.data)  # every sample is a valid payload
    with pytest.raises(InvalidEventPayload):
        parse_event_data(EventType.RATING, {"score": 5, "stars": 5})
    with pytest.raises(InvalidEventPayload):
        parse_event_data(EventType.ASSIGNMENT, {"agent_no": "KF1"})


def append_all(client: TestClient, public_id: str, all_samples: list[Sample]) -> dict[int, Sample]:
    async def run() -> dict[int, Sample]:
        out: dict[int, Sample] = {}
        async with transaction(kefu_of(client)) as tx:
            conv = (
                await tx.session.execute(
                    select(Conversation).where(Conversation.public_id == public_id)
                )
            ).scalar_one()
            for s in all_samples:
                event = await append_event(
                    tx, conv, s.type, author_type=s.author, body=s.body, data=dict(s.data),
                    visibility=s.visibility,
                )  # fmt: skip
                out[event.seq] = s
        return out

    assert client.portal is not None
    return client.portal.call(run)


def rows(page: str, pattern: str) -> dict[int, str]:
    """seq -> the visible text of that row."""
    return {int(m.group(1)): visible(m.group(2)) for m in re.finditer(pattern, page, re.S)}


def test_every_event_type_renders_in_every_renderer(
    client: TestClient, world: World, customer: As, alice: As
) -> None:
    all_samples = samples(world.agents["alice"])
    public = [s for s in all_samples if s.visibility is Visibility.PUBLIC]

    # a widget chat: the console timeline and the customer payload
    r = customer.post("/api/v1/conversations", json={"body": "你好", "start_with_bot": False})
    assert r.status_code == 201, r.text
    chat_id = r.json()["id"]
    chat = append_all(client, chat_id, all_samples)

    console = alice.get(f"/console/partials/conversation/{chat_id}/events").text
    console_rows = rows(console, CONSOLE_ROW)
    for seq, s in chat.items():
        assert seq in console_rows, f"console: no row for {s.type} {s.data}"
        assert_readable("console", s, console_rows[seq], s.staff)

    payload = customer.get(f"/api/v1/conversations/{chat_id}/events").json()["events"]
    by_seq = {e["seq"]: e for e in payload}
    assert {seq for seq, s in chat.items() if s.customer} <= set(by_seq)
    for seq, s in chat.items():
        if s.visibility is Visibility.INTERNAL:
            assert seq not in by_seq, f"customer payload leaks {s.type}"
            continue
        assert s.customer is not None
        shown = by_seq[seq]["text"] or by_seq[seq]["body"]  # a message's text is its body
        assert_readable("widget payload", s, shown, s.customer)

    # a help-center ticket: the tracking page and the transcript
    created = file_ticket(client, world.slug, order_no="", category="other")
    found = alice.get("/api/v1/conversations", params={"number": created["number"]}).json()
    ticket = append_all(client, found["items"][0]["id"], all_samples)
    token = created["token"]
    track = client.get(f"/help/{world.slug}/t/{token}").text
    track_rows = rows(
        track, r'<li class="ev [^"]*" data-testid="track-event-[a-z_]+" data-seq="(\d+)">(.*?)</li>'
    )
    transcript = client.get(f"/help/{world.slug}/t/{token}/transcript").text
    transcript_rows = rows(transcript, r'<tr data-seq="(\d+)">(.*?)</tr>')
    for seq, s in ticket.items():
        for where, found_rows in (("tracking page", track_rows), ("transcript", transcript_rows)):
            if s.customer is None:
                assert seq not in found_rows, f"{where} leaks {s.type}"
                continue
            assert seq in found_rows, f"{where}: no row for {s.type} {s.data}"
            assert_readable(where, s, found_rows[seq], s.customer)
    assert len(public) == len([s for s in ticket.values() if s.customer])

    # e-mail: the events that send one say what happened
    mailed = 0
    for seq, s in ticket.items():
        fact = TimelineFact(
            tenant_id=world.tenant_id, conversation_id=0, conversation_public_id="x",
            seq=seq, type=s.type.value, author_type=s.author.value, author_id=None,
            visibility=s.visibility.value, status="assigned", data=dict(s.data),
        )  # fmt: skip
        kind = notification_kind(fact)
        if kind is None:
            continue
        mailed += 1
        mail = compose_notification(
            kind, created["number"], "buyer@example.com", "充值没到账", s.body, None,
            "kefu@kamen.example", None, [], "https://kefu.example/t/x",
            clock=None,
        )  # fmt: skip
        body = mail.get_body(("plain",))
        assert body is not None
        text = body.get_content().split("——")[0]  # the Chinese part (English follows)
        assert_readable("email", s, text, s.body or "已处理完毕")
    assert mailed >= 2  # the agent's reply and the resolution at least
