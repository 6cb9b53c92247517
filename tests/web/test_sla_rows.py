"""SLA steps on the console timeline say what happened in Chinese (never a raw code or
an empty 内部备注 box), with times in the tenant's zone and the date; the due view of a
conversation (queries/sla_view.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from kefu.queries.sla_view import local_text, sla_view, tenant_zone
from kefu.storage.models import Conversation
from kefu.web.templating import templates

AT = datetime(2026, 12, 1, 13, 40, tzinfo=UTC)  # 21:40 in Shanghai
RAW = ("first_response", "resolution", "escalation", "urgent", "normal", "kind", "None")


def render(type_: str, data: dict[str, object], author: str = "system", body: str = "") -> str:
    event = SimpleNamespace(
        type=type_, data=data, visibility="internal", seq=7, created_at=AT,
        author_type=author, body=body,
    )  # fmt: skip
    return templates.env.get_template("console/_event.html").render(
        e=event, zone=ZoneInfo("Asia/Shanghai"), reasons={}, status_labels={}
    )


@pytest.mark.parametrize(
    ("type_", "data", "says"),
    [
        (
            "sla_warning",
            {"clocks": ["first_response"], "first_response_due_at": "2026-12-01T14:00:00Z"},
            "服务时限预警：首次响应即将超时（12月1日 22:00 到期）",
        ),
        (
            "sla_breach",
            {"kind": "breach", "clocks": ["resolution"], "breached_at": "2026-12-01T13:30:00Z"},
            "服务时限已超时：解决（12月1日 21:30 到期）",
        ),
        (
            "sla_breach",
            {
                "kind": "escalation",
                "step": 2,
                "priority_from": "normal",
                "priority_to": "urgent",
                "notified_supervisor": True,
                "reassigned": True,
            },
            "超时升级（第 2 级）：优先级 普通 → 紧急，已通知主管，已重新排队分配",
        ),
        (
            "sla_breach",
            {
                "kind": "escalation_requested",
                "missed": "first_response",
                "due_at": "2026-12-01T13:00:00Z",
                "priority_from": "normal",
                "priority_to": "high",
                "reason": "等太久了",
            },
            "客户申请升级处理（首次响应已逾期，12月1日 21:00 到期）：优先级 普通 → 高；"
            "原因：等太久了",
        ),
    ],
)
def test_every_sla_step_reads_in_chinese(type_: str, data: dict[str, object], says: str) -> None:
    html = render(type_, data, author="customer")
    text = " ".join(re.sub(r"<[^>]+>", "", html).split())  # what a person reads
    assert says in text
    assert "12月1日 21:40" in text  # when it happened, local with the date
    assert "内部备注" not in text
    for raw in RAW:
        assert raw not in text


def test_due_view_uses_the_tenant_zone_with_the_date() -> None:
    conv = Conversation(
        priority=3, category="account_security", status="assigned", sla_status="warning",
        first_responded_at=None, resolved_at=None,
        first_response_due_at=AT + timedelta(minutes=5),
        resolution_due_at=AT + timedelta(hours=26),
    )  # fmt: skip
    view = sla_view(conv, {"business_calendar": {"timezone": "Asia/Tokyo"}}, AT)
    assert view.urgent and view.urgent_reason_zh == "账号安全" and view.priority_zh == "紧急"
    first, resolution = view.clocks
    assert (first.local, first.state) == ("12月1日 22:45", "warning")
    assert first.remaining == "剩余 5 分钟"
    assert (resolution.local, resolution.state) == ("12月3日 00:40", "ok")
    assert local_text(AT, tenant_zone(None)) == "12月1日 21:40"  # default Asia/Shanghai
    late = sla_view(conv, None, AT + timedelta(minutes=8))
    assert (late.clocks[0].state, late.clocks[0].remaining) == ("breached", "已超时 3 分钟")
