"""/api/v1/widget/config: what the widget shows before the first message."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from kefu.actions.announcements import active_announcements
from kefu.actions.auth import tenant_by_slug
from kefu.actions.sla_tracking import tenant_sla
from kefu.domain.tenant_settings import parse_tenant_settings
from kefu.queries.people import online_agent_count
from kefu.web.api.schemas import ERROR_RESPONSES
from kefu.web.deps import KefuDep

router = APIRouter(prefix="/api/v1/widget", tags=["widget"], responses=ERROR_RESPONSES)


@router.get("/config")
async def widget_config(
    kefu: KefuDep, tenant: Annotated[str, Query(min_length=1, max_length=64)]
) -> dict[str, Any]:
    t = await tenant_by_slug(kefu, tenant)
    now = kefu.clock.now()
    online = await online_agent_count(kefu, t.id)
    async with kefu.db.read() as session:
        banners = await active_announcements(session, t.id, now)
        announcements = [
            {
                "title": a.title,
                "body": a.body,
                "level": a.level,
                "starts_at": a.starts_at.isoformat(),
                "ends_at": a.ends_at.isoformat() if a.ends_at else None,
            }
            for a in banners
        ]
    settings = parse_tenant_settings(t.settings)
    return {
        "tenant": t.slug,
        "name": t.name,
        "agents_online": int(online),
        "open_now": tenant_sla(settings).calendar.is_open(now),
        "promised_reply_minutes": settings.leave_message_reply_minutes,
        "announcements": announcements,
        "official_channels": [c.model_dump() for c in settings.official_channels],
    }
