"""What a timeline event says, in Chinese, for staff and for the customer.

Every renderer (console timeline, the customer payload used by the widget, the
tracking page, the transcript) takes the line for a non-message event from
:func:`event_line`, so a new event type or reason is written once here and never
shows up as a raw code or an empty row. ``None`` means the audience does not see the
event (internal steps are not shown to customers).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from kefu.domain.conversation_state import EventType
from kefu.domain.vocabulary.labels import label

Audience = Literal["staff", "customer"]
DEFAULT_ZONE = "Asia/Shanghai"

Zone = str | ZoneInfo | None


def _zone(zone: Zone) -> ZoneInfo:
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone or DEFAULT_ZONE)


def local_time(iso: object, zone: Zone = DEFAULT_ZONE) -> str:
    """``2026-11-23T02:30:00+00:00`` -> ``11月23日 10:30`` (the tenant's zone, with the date)."""
    if isinstance(iso, datetime):
        at = iso if iso.tzinfo else iso.replace(tzinfo=UTC)
    elif isinstance(iso, str) and iso:
        try:
            at = datetime.fromisoformat(iso.replace("Z", "+00:00"))
        except ValueError:
            return "未知时间"
    else:
        return "未知时间"
    local = at.astimezone(_zone(zone))
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def _clocks(data: Mapping[str, Any]) -> str:
    names = [label("sla_clock", c) for c in data.get("clocks") or []]
    return "、".join(names) or "处理"


def _priority(code: object) -> str:
    return label("priority", code)


def _message(data: Mapping[str, Any], body: str) -> str:
    if body.strip():
        return body
    files = data.get("attachments") or []
    return f"（{len(files)} 个附件）" if files else "（空消息）"


def _note(data: Mapping[str, Any], body: str) -> str:
    if data.get("kind") == "callback_outcome":
        if body.strip():
            return body
        late = "" if data.get("on_time", True) else "（超时）"
        return f"回电结果：{label('callback_outcome', data.get('outcome'))}{late}"
    if data.get("email_auto_reply"):
        return "收到自动回复邮件（未通知客服）" + (f"：{body}" if body.strip() else "")
    prefix = "转接备注" if data.get("transfer_note") else "内部备注"
    return f"{prefix}：{body.strip() or '（无内容）'}"


def _sla_breach(
    data: Mapping[str, Any], body: str, audience: Audience, zone: Zone, author_type: str
) -> str | None:
    kind = data.get("kind")
    if kind == "escalation_requested":
        if audience == "customer":
            return body.strip() or "已申请升级处理，主管将优先跟进"
        who = "客户" if author_type == "customer" else "客服"
        line = f"⬆ {who}申请升级处理（{label('sla_clock', data.get('missed'))}已逾期"
        if data.get("due_at"):
            line += f"，{local_time(data['due_at'], zone)} 到期"
        line += (
            f"）：优先级 {_priority(data.get('priority_from'))} → "
            f"{_priority(data.get('priority_to'))}"
        )
        reason = str(data.get("reason") or "").strip()
        return line + (f"；原因：{reason}" if reason else "")
    if audience == "customer":
        return None
    if kind == "escalation":
        line = (
            f"⬆ 超时升级（第 {data.get('step') or 1} 级）：优先级 "
            f"{_priority(data.get('priority_from'))} → {_priority(data.get('priority_to'))}"
        )
        if data.get("notified_supervisor"):
            line += "，已通知主管"
        if data.get("reassigned"):
            line += "，已重新排队分配"
        return line
    if kind == "callback":
        return f"⛔ 回电超时：应在 {local_time(data.get('due_at'), zone)} 前回电"
    line = f"⛔ 服务时限已超时：{_clocks(data)}"
    if data.get("breached_at"):
        line += f"（{local_time(data['breached_at'], zone)} 到期）"
    return line


def _sla_warning(data: Mapping[str, Any], zone: Zone) -> str:
    clocks = data.get("clocks") or []
    due = data.get("first_response_due_at") if "first_response" in clocks else None
    due = due or data.get("resolution_due_at")
    line = f"⚠ 服务时限预警：{_clocks(data)}即将超时"
    return line + (f"（{local_time(due, zone)} 到期）" if due else "")


def wire_text(type_: str, data: Mapping[str, Any] | None, body: str, visibility: str) -> str | None:
    """The ``text`` of an event on the wire: the line of a system event (messages carry
    their text in ``body``; not repeated, frames stay small)."""
    if type_ in (EventType.MESSAGE, EventType.BOT_TURN):
        return None
    audience: Audience = "staff" if visibility == "internal" else "customer"
    return event_line(type_, data, body, audience=audience)


def _order_update(d: Mapping[str, Any], staff: bool) -> str:
    number, to = d.get("order_no") or "", label("order_status", d.get("to"))
    if not staff:
        return f"订单 {number} {to}" if to.startswith("已") else f"订单 {number}：{to}"
    line = f"订单 {number}：{to}"
    if d.get("from"):
        line = f"订单 {number}：{label('order_status', d.get('from'))} → {to}"
    return line + f"（{label('order_update_source', d.get('source'))}）"


def _card_codes(d: Mapping[str, Any], staff: bool) -> str | None:
    number, count = d.get("order_no") or "", int(d.get("count") or 0)
    if d.get("action") == "resent":
        to = d.get("sent_to") or "下单邮箱"
        return f"订单 {number} 的卡密已重新发送至 {to}"
    if not staff:
        return None
    who = d.get("author") or {}
    name = f"{who.get('name') or '客服'}（工号 {who.get('agent_no') or '—'}）"
    return f"{name} 查看了订单 {number} 的卡密（{count} 条）"


def event_line(
    type_: str,
    data: Mapping[str, Any] | None,
    body: str = "",
    *,
    audience: Audience = "staff",
    zone: Zone = DEFAULT_ZONE,
    author_type: str = "system",
) -> str | None:
    """The line a person reads for one event (None: not shown to this audience)."""
    d: Mapping[str, Any] = data or {}
    body = body or ""
    try:
        kind = EventType(type_)
    except ValueError:
        return None if audience == "customer" else "系统事件"
    staff = audience == "staff"
    if kind is EventType.MESSAGE or kind is EventType.BOT_TURN:
        return _message(d, body)
    if kind is EventType.HANDOFF:
        if not staff:
            return "正在为您转接人工客服"
        line = f"转人工：{label('reason', d.get('reason'))}"
        if d.get("category"):
            line += f"，问题类型：{label('category', d.get('category'))}"
        return line + ("（加急）" if d.get("urgent") else "")
    if kind is EventType.ASSIGNMENT:
        who = f"{d.get('name') or '客服'}（工号 {d.get('agent_no') or '—'}）"
        return f"已分配给 {who}" if staff else f"客服 {who} 为您服务"
    if kind is EventType.TRANSFER:
        where = str(d.get("to_department_name") or "").strip()
        agent = f"客服 {d['to_agent_no']}" if d.get("to_agent_no") else ""
        target = " ".join(p for p in (where, agent) if p) or "其他客服"
        return f"转接至 {target}" if staff else f"已为您转接至 {target}"
    if kind is EventType.NOTE:
        return _note(d, body) if staff else None
    if kind is EventType.STATUS_CHANGE:
        to = label("status", d.get("to"))
        if not staff:
            return f"状态变为「{to}」"
        line = f"状态：{label('status', d.get('from'))} → {to}"
        return line + (f"（{label('reason', d['reason'])}）" if d.get("reason") else "")
    if kind is EventType.SLA_WARNING:
        return _sla_warning(d, zone) if staff else None
    if kind is EventType.SLA_BREACH:
        return _sla_breach(d, body, audience, zone, author_type)
    if kind is EventType.ORDER_UPDATE:
        return _order_update(d, staff)
    if kind is EventType.CARD_CODES:
        return _card_codes(d, staff)
    if kind is not EventType.RATING:
        return None if audience == "customer" else "系统事件"
    score = int(d.get("score") or 0)
    tags = "、".join(str(t) for t in d.get("tags") or [])
    line = f"{'客户评价' if staff else '您的评价'}：{'★' * score}（{score} 星）"
    return line + (f" · {tags}" if tags else "") + (f" · {body}" if body.strip() else "")
