"""What the console shows about a conversation's promises: priority, urgency, and each
due time (first response, resolution) with its state and a countdown, in the tenant's
time zone with the date (e.g. 12月1日 21:40). Read-only; docs/sla.md."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from kefu.clock import ensure_aware
from kefu.domain.conversation_state import Priority
from kefu.domain.tenant_settings import parse_tenant_settings
from kefu.domain.vocabulary import category_info
from kefu.domain.vocabulary.labels import label as label_of
from kefu.domain.vocabulary.labels import labels_zh
from kefu.storage.models import Conversation, Tenant

DEFAULT_ZONE = "Asia/Shanghai"
PRIORITY_ZH = labels_zh("priority")
CLOCK_ZH = labels_zh("sla_clock")
STATE_ZH = {"ok": "按时", "warning": "即将超时", "breached": "已超时", "met": "已达成"}


async def tenant_settings(session: AsyncSession, tenant_id: int) -> dict[str, Any]:
    tenant = await session.get(Tenant, tenant_id)
    return dict(tenant.settings or {}) if tenant else {}


def tenant_zone(settings: dict[str, Any] | None) -> ZoneInfo:
    return ZoneInfo(parse_tenant_settings(settings).business_calendar.timezone)


def local_text(when: datetime, zone: ZoneInfo) -> str:
    """12月1日 21:40 (the date is always there: a due time tomorrow must not read as
    today)."""
    local = ensure_aware(when).astimezone(zone)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def remaining_zh(due: datetime, now: datetime) -> str:
    seconds = (ensure_aware(due) - ensure_aware(now)).total_seconds()
    minutes = math.ceil(abs(seconds) / 60)
    span = f"{minutes} 分钟" if minutes < 60 else f"{minutes // 60} 小时 {minutes % 60} 分钟"
    return f"剩余 {span}" if seconds > 0 else f"已超时 {span}"


@dataclass(frozen=True)
class DueClock:
    kind: str  # first_response | resolution
    label_zh: str
    due_at: datetime  # UTC
    local: str  # in the tenant's zone, with the date
    state: str  # ok | warning | breached
    state_zh: str
    remaining: str  # 剩余 12 分钟 / 已超时 5 分钟

    @property
    def due_iso(self) -> str:
        return self.due_at.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class SlaView:
    priority: str  # low | normal | high | urgent
    priority_zh: str
    urgent: bool
    urgent_reason_zh: str | None
    clocks: list[DueClock]

    @property
    def worst(self) -> str:
        states = [c.state for c in self.clocks]
        for state in ("breached", "warning"):
            if state in states:
                return state
        return "ok"


def sla_view(conv: Conversation, settings: dict[str, Any] | None, now: datetime) -> SlaView:
    zone = tenant_zone(settings)
    label = Priority.LABELS.get(conv.priority, "normal")
    info = category_info(conv.category)  # urgency is a property of the category
    reason = label_of("urgency", info.urgency) if info is not None and info.urgency else None
    open_clocks: list[tuple[str, datetime | None]] = []
    if conv.first_responded_at is None:
        open_clocks.append(("first_response", conv.first_response_due_at))
    if conv.resolved_at is None and conv.status not in ("resolved", "closed"):
        open_clocks.append(("resolution", conv.resolution_due_at))
    clocks: list[DueClock] = []
    for kind, due in open_clocks:
        if due is None:
            continue
        due = ensure_aware(due)
        if due <= now:
            state = "breached"
        elif conv.sla_status == "warning" and not clocks:
            state = "warning"  # the sweeper warned: it is about the nearest open clock
        else:
            state = "ok"
        clocks.append(
            DueClock(
                kind,
                CLOCK_ZH[kind],
                due,
                local_text(due, zone),
                state,
                STATE_ZH[state],
                remaining_zh(due, now),
            )
        )
    return SlaView(
        priority=label,
        priority_zh=PRIORITY_ZH.get(label, label),
        urgent=conv.priority >= Priority.URGENT or reason is not None,
        urgent_reason_zh=reason,
        clocks=clocks,
    )
