"""/admin/webhooks: outgoing webhook endpoints, their signing keys and the delivery log
with redelivery (docs/webhooks.md). Admins only, as the JSON API; a new secret is shown
once, on the page that answers the form; every change is audited (section webhooks)."""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kefu.actions import webhook_delivery, webhook_endpoints
from kefu.domain.webhook_signing import WEBHOOK_EVENT_LABELS
from kefu.errors import Forbidden, KefuError
from kefu.queries.admin_view import can_edit
from kefu.queries.webhooks_view import endpoint_deliveries, list_endpoints
from kefu.web.admin import _page, _signed_admin_reader
from kefu.web.console import Signed
from kefu.web.deps import KefuDep

router = APIRouter(prefix="/admin", include_in_schema=False)


async def _context(kefu: KefuDep, me: Signed, shown: str | None) -> dict[str, Any]:
    if not can_edit(me.actor):
        return {"endpoints": [], "log": None, "events": WEBHOOK_EVENT_LABELS, "created": None}
    endpoints = await list_endpoints(kefu, me.actor)
    chosen = shown if shown in [e.id for e in endpoints] else None
    if chosen is None and endpoints:
        chosen = endpoints[0].id
    log = await endpoint_deliveries(kefu, me.actor, chosen) if chosen else None
    return {"endpoints": endpoints, "log": log, "events": WEBHOOK_EVENT_LABELS, "created": None}


@router.get("/webhooks", response_class=HTMLResponse)
async def webhooks_page(request: Request, kefu: KefuDep) -> Response:
    me = await _signed_admin_reader(request, kefu)
    if not isinstance(me, Signed):
        return me
    shown = request.query_params.get("endpoint")
    return await _page(request, kefu, me, "webhooks", await _context(kefu, me, shown))


@router.post("/webhooks", response_class=HTMLResponse)
async def webhooks_save(request: Request, kefu: KefuDep) -> Response:
    me = await _signed_admin_reader(request, kefu)
    if not isinstance(me, Signed):
        return me
    form = await request.form()
    sent = form.get("csrf")
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), me.csrf_token.encode()):
        err = Forbidden("页面已过期，请刷新后重试", "missing or wrong CSRF token")
        err.code = "csrf_failed"
        raise err
    if not can_edit(me.actor):
        raise Forbidden("只有管理员可以管理 Webhook", "only an admin may manage webhooks")
    action = str(form.get("action", ""))
    endpoint_id = str(form.get("endpoint_id", ""))[:40]
    try:
        if action == "redeliver":
            await webhook_delivery.do_redeliver(
                kefu, me.actor, str(form.get("delivery_id", ""))[:40]
            )
            return RedirectResponse(f"/admin/webhooks?endpoint={quote(endpoint_id)}&saved=1", 303)
        if action == "retire":
            kid = str(form.get("key_id", ""))[:40]
            await webhook_endpoints.do_retire_secret(kefu, me.actor, endpoint_id, kid)
            return RedirectResponse(f"/admin/webhooks?endpoint={quote(endpoint_id)}&saved=1", 303)
        if action in ("disable", "enable"):
            await webhook_endpoints.do_update_endpoint(
                kefu, me.actor, endpoint_id, active=action == "enable"
            )
            return RedirectResponse(f"/admin/webhooks?endpoint={quote(endpoint_id)}&saved=1", 303)
        if action == "rotate":
            made = await webhook_endpoints.do_rotate_secret(kefu, me.actor, endpoint_id)
        else:
            events = [str(e) for e in form.getlist("event_types")]
            made = await webhook_endpoints.do_create_endpoint(
                kefu, me.actor, str(form.get("url", "")), events
            )
    except KefuError as err:
        if err.status_code not in (409, 422):
            raise
        extra = {**await _context(kefu, me, endpoint_id), "error": err.message_zh}
        return await _page(request, kefu, me, "webhooks", extra, status_code=err.status_code)
    extra = {**await _context(kefu, me, made.endpoint.public_id), "created": made}
    return await _page(request, kefu, me, "webhooks", extra, status_code=201)
