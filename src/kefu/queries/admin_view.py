"""What the admin console reads: the tenant's settings, its agents, the audit log.

Admins and supervisors may read (supervisors see the admin pages read-only, because
they answer for the promises these settings make); agents and customers may not.
Audit rows come back with their before → after as readable lines: nested settings are
compared key by key, so a change of one weekday's hours reads as that one line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from kefu.actions.access import access_tenant
from kefu.actions.context import Actor, Kefu, Role
from kefu.domain.tenant_settings import TenantSettings, parse_tenant_settings
from kefu.domain.vocabulary.labels import label
from kefu.errors import Forbidden
from kefu.storage.models import Agent, AuditEntry, Department

MAX_VALUE_CHARS = 300
#: fields whose stored value is a code: shown by its label
CODED_FIELDS = {"role": "role"}


def require_admin_reader(actor: Actor) -> None:
    if actor.is_staff and actor.role in (Role.ADMIN, Role.SUPERVISOR):
        return
    raise Forbidden("只有管理员和主管可以查看平台设置", "only admins and supervisors may read this")


def can_edit(actor: Actor) -> bool:
    return actor.is_staff and actor.role is Role.ADMIN


async def tenant_slug(kefu: Kefu, actor: Actor) -> str:
    require_admin_reader(actor)
    async with kefu.db.read() as session:
        return (await access_tenant(session, actor)).slug


async def settings_for_admin(kefu: Kefu, actor: Actor) -> TenantSettings:
    require_admin_reader(actor)
    async with kefu.db.read() as session:
        return parse_tenant_settings((await access_tenant(session, actor)).settings)


@dataclass(frozen=True)
class StaffChoice:
    agent_no: str
    display_name: str


async def active_staff(kefu: Kefu, actor: Actor) -> list[StaffChoice]:
    require_admin_reader(actor)
    async with kefu.db.read() as session:
        rows = await session.execute(
            select(Agent.agent_no, Agent.display_name)
            .where(Agent.tenant_id == actor.tenant_id, Agent.is_active.is_(True))
            .order_by(Agent.agent_no)
        )
        return [StaffChoice(no, name) for no, name in rows.all()]


@dataclass(frozen=True)
class StaffAccount:
    id: int
    agent_no: str
    display_name: str
    email: str
    role: str
    capacity: int
    department_code: str
    is_active: bool
    presence: str


async def staff_accounts(kefu: Kefu, actor: Actor) -> list[StaffAccount]:
    require_admin_reader(actor)
    async with kefu.db.read() as session:
        mine = Department.tenant_id == actor.tenant_id
        found = await session.execute(select(Department.id, Department.code).where(mine))
        codes: dict[int, str] = {dept_id: code for dept_id, code in found.all()}
        rows = await session.execute(
            select(Agent).where(Agent.tenant_id == actor.tenant_id).order_by(Agent.agent_no)
        )
        return [
            StaffAccount(a.id, a.agent_no, a.display_name, a.email, a.role, a.capacity,
                         codes.get(a.department_id or 0, ""), a.is_active, a.presence)
            for a in rows.scalars()
        ]  # fmt: skip


async def departments(kefu: Kefu, actor: Actor) -> list[tuple[str, str]]:
    """(code, name) of the tenant's departments."""
    require_admin_reader(actor)
    async with kefu.db.read() as session:
        rows = await session.execute(
            select(Department.code, Department.name)
            .where(Department.tenant_id == actor.tenant_id)
            .order_by(Department.id)
        )
        return [(code, name) for code, name in rows.all()]


@dataclass(frozen=True)
class AuditRow:
    id: int
    created_at: datetime
    actor_label: str
    section: str
    section_label: str
    target: str
    changes: list[tuple[str, str, str]]  # (where, before, after)


def _entry(item: dict[str, Any]) -> str:
    """One list entry (an official channel, a canned answer) as words, not JSON."""
    kind = item.get("type")
    parts = [label("official_channel", kind)] if isinstance(kind, str) else []
    parts += [str(v) for k, v in item.items() if k != "type" and v not in ("", None)]
    return " ".join(parts)


def _text(value: Any) -> str:
    if value is None:
        return "（默认）"
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, str):
        text = value or "（空）"
    elif value == []:
        text = "（无）"
    elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
        text = "；".join(_entry(v) for v in value)
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = "、".join(value) or "（无）"
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def value_changes(before: Any, after: Any, where: str = "") -> list[tuple[str, str, str]]:
    """(where, before, after) for each leaf that differs, `where` in words
    (每周营业时间 · 周一); lists compare whole."""
    if isinstance(before, dict) or isinstance(after, dict):
        old, new = before or {}, after or {}
        if isinstance(old, dict) and isinstance(new, dict):
            out: list[tuple[str, str, str]] = []
            for key in sorted(set(old) | set(new), key=str):
                if old.get(key) != new.get(key):
                    name = label("settings_field", key)
                    path = f"{where} · {name}" if where else name
                    was, now = old.get(key), new.get(key)
                    if key in CODED_FIELDS:
                        was, now = (label(CODED_FIELDS[key], v) if v else v for v in (was, now))
                    out += value_changes(was, now, path)
            return out
    if before == after:
        return []
    if _entries(before) and _entries(after):
        # a list of channels / answers: only what was removed and what was added
        gone = [x for x in before if x not in after]
        new = [x for x in after if x not in before]
        return [(where, _text(gone) if gone else "—", _text(new) if new else "—")]
    return [(where, _text(before), _text(after))]


def _entries(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, dict) for v in value)


async def audit_entries(
    kefu: Kefu, actor: Actor, *, before_id: int | None = None, limit: int = 100
) -> list[AuditRow]:
    require_admin_reader(actor)
    async with kefu.db.read() as session:
        stmt = select(AuditEntry).where(AuditEntry.tenant_id == actor.tenant_id)
        if before_id is not None:
            stmt = stmt.where(AuditEntry.id < before_id)
        rows = (await session.execute(stmt.order_by(AuditEntry.id.desc()).limit(limit))).scalars()
        return [
            AuditRow(
                id=r.id,
                created_at=r.created_at,
                actor_label=r.actor_label,
                section=r.section,
                section_label=label("settings_section", r.section),
                target=r.target,
                changes=value_changes(r.before, r.after),
            )
            for r in rows
        ]
