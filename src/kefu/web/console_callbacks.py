"""The console's 待回电 panel: call-backs customers asked for, soonest first, with the
outcome buttons (recorded on the conversation's timeline through the API)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from kefu.actions import callbacks as cb_actions
from kefu.domain.vocabulary.labels import label
from kefu.web.console import signed_in, to_login
from kefu.web.deps import KefuDep
from kefu.web.templating import templates

router = APIRouter(prefix="/console")

OUTCOMES_ZH = [
    (code, label("callback_outcome", code)) for code in ("reached", "no_answer", "wrong_number")
]


@router.get("/partials/callbacks", response_class=HTMLResponse)
async def callbacks_partial(request: Request, kefu: KefuDep) -> Response:
    me = await signed_in(request, kefu)
    if me is None:
        return to_login(request)
    rows = await cb_actions.list_callbacks(kefu, me.actor, due_only=False, limit=50)
    tz = ZoneInfo(kefu.settings.timezone)
    now = kefu.clock.now()
    items = [
        {
            "id": r.callback.id,
            "conversation_id": r.conversation_public_id,
            "number": r.conversation_number,
            "phone": r.callback.phone,
            "window": f"{r.callback.window_start.astimezone(tz):%m-%d %H:%M}"
            f"–{r.callback.window_end.astimezone(tz):%H:%M}",
            "due": r.callback.window_start <= now,
            "overdue": r.callback.due_at < now,
        }
        for r in rows
    ]
    return templates.TemplateResponse(
        request, "console/_callbacks.html", {"items": items, "outcomes": OUTCOMES_ZH}
    )
