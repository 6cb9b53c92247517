"""The admin console (/admin): the tenant's configuration, server-rendered, no inline script.

Who: admins change everything; supervisors see every page read-only (the form's fieldset
is disabled and the action refuses their writes); agents get 403. Every form posts with
the session's CSRF token in a hidden field, is turned into TenantSettings changes
(web/admin_forms.py) and written by ``do_update_tenant_settings``, which validates the
whole and writes the audit rows in the same transaction. A refusal re-renders the form
with what was typed and one message per field (status 422); nothing is stored. Readers
load the settings per request, so a change takes effect at once (docs/admin.md)."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kefu.actions.tenant_settings import do_update_tenant_settings
from kefu.domain.canned_answers import DEFAULT_ANSWERS, VARIABLES
from kefu.domain.holidays_cn import KNOWN_YEARS, dates_text, holiday_periods, year_needs_notice
from kefu.domain.sla import SlaPolicy
from kefu.domain.tenant_settings import TenantSettings
from kefu.domain.vocabulary import CATEGORIES
from kefu.domain.vocabulary.labels import TABLES
from kefu.errors import Forbidden, KefuError
from kefu.queries.admin_view import (
    active_staff,
    audit_entries,
    can_edit,
    departments,
    require_admin_reader,
    settings_for_admin,
    tenant_slug,
)
from kefu.queries.sla_view import tenant_zone
from kefu.web import admin_forms
from kefu.web.console import Signed, signed_in, to_login
from kefu.web.deps import KefuDep
from kefu.web.templating import templates

router = APIRouter(prefix="/admin", include_in_schema=False)

#: (path, title) in the order of the navigation; the template is admin/<path>.html
SECTIONS: tuple[tuple[str, str], ...] = (
    ("hours", "营业时间与节假日"),
    ("sla", "服务时限（SLA）"),
    ("routes", "部门路由"),
    ("channels", "官方渠道"),
    ("agents", "客服账号"),
    ("tokens", "接口令牌"),
    ("webhooks", "Webhook 推送"),
    ("canned", "快捷回复"),
    ("audit", "审计日志"),
)


async def _signed_admin_reader(request: Request, kefu: KefuDep) -> Signed | Response:
    me = await signed_in(request, kefu)
    if me is None:
        return to_login(request)
    require_admin_reader(me.actor)
    return me


async def _page(
    request: Request,
    kefu: KefuDep,
    me: Signed,
    section: str,
    extra: Mapping[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    settings = await settings_for_admin(kefu, me.actor)
    ctx = {
        "me": me.agent,
        "csrf": me.csrf_token,
        "sections": SECTIONS,
        "section": section,
        "editable": can_edit(me.actor),
        "settings": settings,
        "slug": await tenant_slug(kefu, me.actor),
        "zone": tenant_zone(settings.stored()),
        "saved": request.query_params.get("saved") == "1",
        "form": {},
        "error": None,
        "errors": {},
        **extra,
    }
    return templates.TemplateResponse(
        request, f"admin/{section}.html", ctx, status_code=status_code
    )


async def _context_for(
    section: str, settings: TenantSettings, kefu: KefuDep, me: Signed
) -> dict[str, Any]:
    if section == "hours":
        cal = settings.business_calendar
        today = kefu.clock.now().astimezone(tenant_zone(settings.stored())).date()
        tenant_days = [*cal.holidays, *cal.makeup_workdays]
        missing = [y for y in (today.year, today.year + 1) if year_needs_notice(y, tenant_days)]
        return {
            "weekdays": admin_forms.WEEKDAYS_ZH,
            "hours": admin_forms.weekly_hours(cal),
            "holidays_text": dates_text(cal.holidays),
            "workdays_text": dates_text(cal.makeup_workdays),
            "missing_years": missing,
            "known_years": KNOWN_YEARS,
            "periods": [p for y in (today.year, today.year + 1) for p in holiday_periods(y)],
        }
    if section == "sla":
        base = SlaPolicy()
        return {
            "fields": admin_forms.SLA_FIELDS,
            "defaults": {
                "chat_first_response_minutes": base.chat_first_response,
                "message_first_response_minutes": base.message_first_response,
                "callback_minutes": base.callback_first_response,
                "simple_resolution_minutes": base.simple_resolution,
                "complex_resolution_minutes": base.complex_resolution,
            },
            "minutes": lambda d: int(d / timedelta(minutes=1)),
        }
    if section == "channels":
        return {"kinds": TABLES["official_channel"]}
    if section == "routes":
        return {
            "categories": [(c.code, c.label_zh, c.department) for c in CATEGORIES],
            "departments": await departments(kefu, me.actor),
            "routes": settings.department_routes,
        }
    if section == "canned":
        answers = settings.canned_answers
        return {
            "answers": list(DEFAULT_ANSWERS if answers is None else answers),
            "built_in": answers is None,
            "variables": VARIABLES,
            "staff": await active_staff(kefu, me.actor),
        }
    return {}


@router.get("", response_class=HTMLResponse)
async def admin_home(request: Request, kefu: KefuDep) -> Response:
    me = await _signed_admin_reader(request, kefu)
    if not isinstance(me, Signed):
        return me
    return RedirectResponse("/admin/hours", status_code=303)


async def _show(request: Request, kefu: KefuDep, section: str) -> Response:
    me = await _signed_admin_reader(request, kefu)
    if not isinstance(me, Signed):
        return me
    settings = await settings_for_admin(kefu, me.actor)
    return await _page(request, kefu, me, section, await _context_for(section, settings, kefu, me))


Changes = Callable[[Mapping[str, str], TenantSettings], dict[str, Any]]


async def _save(request: Request, kefu: KefuDep, section: str, changes: Changes) -> Response:
    me = await _signed_admin_reader(request, kefu)
    if not isinstance(me, Signed):
        return me
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    sent = form.get("csrf", "")
    if not hmac.compare_digest(sent.encode(), me.csrf_token.encode()):
        err = Forbidden("页面已过期，请刷新后重试", "missing or wrong CSRF token")
        err.code = "csrf_failed"
        raise err
    settings = await settings_for_admin(kefu, me.actor)
    try:
        await do_update_tenant_settings(kefu, me.actor, changes(form, settings))
    except KefuError as err:
        if err.status_code != 422:
            raise
        fields = err.details.get("fields", {})
        extra = {
            **await _context_for(section, settings, kefu, me),
            "form": form,
            "error": err.message_zh,
            "errors": {k: v["message"] for k, v in fields.items()},
        }
        return await _page(request, kefu, me, section, extra, status_code=422)
    return RedirectResponse(f"/admin/{section}?saved=1", status_code=303)


@router.get("/hours", response_class=HTMLResponse)
async def hours_page(request: Request, kefu: KefuDep) -> Response:
    return await _show(request, kefu, "hours")


@router.post("/hours", response_class=HTMLResponse)
async def hours_save(request: Request, kefu: KefuDep) -> Response:
    return await _save(request, kefu, "hours", lambda f, _s: admin_forms.calendar_changes(f))


@router.get("/sla", response_class=HTMLResponse)
async def sla_page(request: Request, kefu: KefuDep) -> Response:
    return await _show(request, kefu, "sla")


@router.post("/sla", response_class=HTMLResponse)
async def sla_save(request: Request, kefu: KefuDep) -> Response:
    return await _save(request, kefu, "sla", admin_forms.sla_changes)


@router.get("/channels", response_class=HTMLResponse)
async def channels_page(request: Request, kefu: KefuDep) -> Response:
    return await _show(request, kefu, "channels")


@router.post("/channels", response_class=HTMLResponse)
async def channels_save(request: Request, kefu: KefuDep) -> Response:
    return await _save(request, kefu, "channels", admin_forms.channel_changes)


@router.get("/routes", response_class=HTMLResponse)
async def routes_page(request: Request, kefu: KefuDep) -> Response:
    return await _show(request, kefu, "routes")


@router.post("/routes", response_class=HTMLResponse)
async def routes_save(request: Request, kefu: KefuDep) -> Response:
    me = await _signed_admin_reader(request, kefu)
    if not isinstance(me, Signed):
        return me
    known = {code for code, _name in await departments(kefu, me.actor)}
    codes = [c.code for c in CATEGORIES]
    return await _save(
        request, kefu, "routes", lambda f, _s: admin_forms.route_changes(f, codes, known)
    )


@router.get("/canned", response_class=HTMLResponse)
async def canned_page(request: Request, kefu: KefuDep) -> Response:
    return await _show(request, kefu, "canned")


@router.post("/canned", response_class=HTMLResponse)
async def canned_save(request: Request, kefu: KefuDep) -> Response:
    defaults = list(DEFAULT_ANSWERS)
    return await _save(
        request, kefu, "canned", lambda f, s: admin_forms.canned_changes(f, s, defaults)
    )


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(
    request: Request,
    kefu: KefuDep,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    me = await _signed_admin_reader(request, kefu)
    if not isinstance(me, Signed):
        return me
    rows = await audit_entries(kefu, me.actor, before_id=before, limit=100)
    older = rows[-1].id if len(rows) == 100 else None
    return await _page(request, kefu, me, "audit", {"rows": rows, "older": older})
