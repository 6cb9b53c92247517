"""/console/supervisor: queues, agents and conversations near or past their SLA, with
one-click reassignment (a form posting to do_assign_conversation). The page refreshes
itself every 15 s through HTMX polling (not yet pushed over the WebSocket)."""

from __future__ import annotations

import hmac
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kefu.actions.access import require_supervisor
from kefu.actions.assignment import do_assign_conversation
from kefu.errors import Forbidden, KefuError
from kefu.queries.reports.supervision import supervision
from kefu.queries.sla_view import tenant_settings, tenant_zone
from kefu.web.console import PRESENCE_ZH, signed_in, to_login
from kefu.web.deps import KefuDep
from kefu.web.report_view import duration_zh
from kefu.web.templating import templates

router = APIRouter(prefix="/console", include_in_schema=False)


async def _render(request: Request, kefu: KefuDep, message: str | None, error: str | None,
                  status_code: int = 200) -> Response:  # fmt: skip
    me = await signed_in(request, kefu)
    if me is None:
        return to_login(request)
    require_supervisor(me.actor)
    view = await supervision(kefu, me.actor.tenant_id)
    async with kefu.db.read() as session:
        zone = tenant_zone(await tenant_settings(session, me.actor.tenant_id))
    partial = bool(request.headers.get("hx-request"))
    return templates.TemplateResponse(
        request,
        "console/supervisor.html",
        {
            "me": me.agent,
            "csrf": me.csrf_token,
            "view": view,
            "zone": zone,
            "presence_zh": PRESENCE_ZH,
            "duration_zh": duration_zh,
            "message": message,
            "error": error,
            "partial": partial,
        },
        status_code=status_code,
    )


@router.get("/supervisor", response_class=HTMLResponse)
async def supervisor_page(request: Request, kefu: KefuDep) -> Response:
    return await _render(request, kefu, request.query_params.get("done"), None)


@router.post("/supervisor/reassign", response_class=HTMLResponse)
async def supervisor_reassign(request: Request, kefu: KefuDep) -> Response:
    me = await signed_in(request, kefu)
    if me is None:
        return to_login(request)
    require_supervisor(me.actor)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    if not hmac.compare_digest(form.get("csrf", "").encode(), me.csrf_token.encode()):
        err = Forbidden("页面已过期，请刷新后重试", "missing or wrong CSRF token")
        err.code = "csrf_failed"
        raise err
    public_id = form.get("conversation", "")[:64]
    try:
        agent_id = int(form.get("agent_id", ""))
        conv = await do_assign_conversation(kefu, me.actor, public_id, agent_id, force=True)
    except ValueError:
        return await _render(request, kefu, None, "请选择客服", 422)
    except KefuError as err:
        if err.status_code >= 500:
            raise
        return await _render(request, kefu, None, err.message_zh, err.status_code)
    return RedirectResponse(
        f"/console/supervisor?done={quote(f'{conv.number} 已重新分配')}", status_code=303
    )
