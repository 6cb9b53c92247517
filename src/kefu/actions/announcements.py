"""Announcements: banners (maintenance, peak-time delays) with a start and an end,
shown in the help center and the widget. Admins and supervisors manage them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.actions.access import require_supervisor
from kefu.actions.context import Actor, Kefu, transaction
from kefu.clock import ensure_aware
from kefu.errors import InvalidInput, NotFound
from kefu.storage.models import Announcement

LEVELS = ("info", "warning", "maintenance")


@dataclass
class AnnouncementInput:
    title: str
    body: str = ""
    level: str = "info"
    starts_at: datetime | None = None
    ends_at: datetime | None = None


def _check(data: AnnouncementInput, now: datetime) -> tuple[datetime, datetime | None]:
    if not data.title.strip():
        raise InvalidInput("announcement_title", "请填写公告标题", "title is required")
    if len(data.title) > 200 or len(data.body) > 5000:
        raise InvalidInput("announcement_too_long", "公告内容太长", "announcement too long")
    if data.level not in LEVELS:
        raise InvalidInput("announcement_level", "公告级别不正确", "unknown level")
    starts = ensure_aware(data.starts_at) if data.starts_at else now
    ends = ensure_aware(data.ends_at) if data.ends_at else None
    if ends is not None and ends <= starts:
        raise InvalidInput(
            "announcement_window", "结束时间须晚于开始时间", "ends_at must be after starts_at"
        )
    return starts, ends


async def active_announcements(
    session: AsyncSession, tenant_id: int, now: datetime
) -> list[Announcement]:
    stmt = (
        select(Announcement)
        .where(
            Announcement.tenant_id == tenant_id,
            Announcement.starts_at <= now,
            or_(Announcement.ends_at.is_(None), Announcement.ends_at > now),
        )
        .order_by(Announcement.starts_at.desc())
    )
    return list((await session.execute(stmt)).scalars())


async def list_announcements(kefu: Kefu, actor: Actor) -> list[Announcement]:
    require_supervisor(actor)
    async with kefu.db.read() as session:
        stmt = (
            select(Announcement)
            .where(Announcement.tenant_id == actor.tenant_id)
            .order_by(Announcement.starts_at.desc())
        )
        return list((await session.execute(stmt)).scalars())


async def do_create_announcement(kefu: Kefu, actor: Actor, data: AnnouncementInput) -> Announcement:
    require_supervisor(actor)
    async with transaction(kefu) as tx:
        starts, ends = _check(data, tx.now)
        row = Announcement(
            tenant_id=actor.tenant_id,
            title=data.title.strip(),
            body=data.body.strip(),
            level=data.level,
            starts_at=starts,
            ends_at=ends,
            created_at=tx.now,
        )
        tx.session.add(row)
        await tx.session.flush()
        return row


async def _mine(kefu_session: AsyncSession, actor: Actor, announcement_id: int) -> Announcement:
    row = await kefu_session.get(Announcement, announcement_id)
    if row is None or row.tenant_id != actor.tenant_id:
        raise NotFound("announcement", "公告")
    return row


async def do_update_announcement(
    kefu: Kefu, actor: Actor, announcement_id: int, data: AnnouncementInput
) -> Announcement:
    require_supervisor(actor)
    async with transaction(kefu) as tx:
        row = await _mine(tx.session, actor, announcement_id)
        starts, ends = _check(data, row.starts_at)
        row.title, row.body, row.level = data.title.strip(), data.body.strip(), data.level
        row.starts_at, row.ends_at = starts, ends
        return row


async def do_delete_announcement(kefu: Kefu, actor: Actor, announcement_id: int) -> None:
    require_supervisor(actor)
    async with transaction(kefu) as tx:
        row = await _mine(tx.session, actor, announcement_id)
        await tx.session.delete(row)
