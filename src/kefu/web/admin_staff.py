"""/admin/agents: staff accounts (create, role, capacity, department, deactivate, reset
password). Forms post the session's CSRF token; actions/staff.py validates, authorises
(admins only), writes and audits in one transaction. The new or reset password is typed
by the admin and never shown again nor stored in the audit log."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kefu.actions import staff
from kefu.domain.vocabulary.labels import TABLES
from kefu.errors import Forbidden, InvalidInput, KefuError
from kefu.queries.admin_view import departments, staff_accounts
from kefu.web.admin import _page, _signed_admin_reader
from kefu.web.console import Signed
from kefu.web.deps import KefuDep

router = APIRouter(prefix="/admin", include_in_schema=False)


async def _context(kefu: KefuDep, me: Signed) -> dict[str, Any]:
    return {
        "accounts": await staff_accounts(kefu, me.actor),
        "departments": await departments(kefu, me.actor),
        "roles": TABLES["role"],
    }


@router.get("/agents", response_class=HTMLResponse)
async def agents_page(request: Request, kefu: KefuDep) -> Response:
    me = await _signed_admin_reader(request, kefu)
    if not isinstance(me, Signed):
        return me
    return await _page(request, kefu, me, "agents", await _context(kefu, me))


def _agent_id(form: dict[str, str]) -> int:
    try:
        return int(form.get("agent_id", ""))
    except ValueError:
        raise InvalidInput("invalid_agent", "账号不存在", "no such account") from None


@router.post("/agents", response_class=HTMLResponse)
async def agents_save(request: Request, kefu: KefuDep) -> Response:
    me = await _signed_admin_reader(request, kefu)
    if not isinstance(me, Signed):
        return me
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    if not hmac.compare_digest(form.get("csrf", "").encode(), me.csrf_token.encode()):
        err = Forbidden("页面已过期，请刷新后重试", "missing or wrong CSRF token")
        err.code = "csrf_failed"
        raise err
    action = form.get("action", "")
    try:
        if action == "create":
            new = staff.check_new_agent({
                k: form.get(k, "") for k in ("email", "agent_no", "display_name", "password",
                                             "role", "department_code")
            } | {"capacity": form.get("capacity") or "5"})  # fmt: skip
            await staff.do_create_agent(kefu, me.actor, new)
        elif action == "update":
            changes = staff.check_agent_changes({
                "role": form.get("role", ""), "capacity": form.get("capacity", ""),
                "department_code": form.get("department_code", ""),
                "is_active": form.get("is_active") == "1",
            })  # fmt: skip
            await staff.do_update_agent(kefu, me.actor, _agent_id(form), changes)
        elif action == "password":
            await staff.do_reset_password(kefu, me.actor, _agent_id(form), form.get("password", ""))
        else:
            raise InvalidInput("unknown_action", "不支持的操作", "unknown action")
    except KefuError as err:
        if err.status_code not in (409, 422):
            raise
        form.pop("password", None)  # never echoed back
        fields = err.details.get("fields", {})
        extra = {
            **await _context(kefu, me),
            "form": form,
            "error": err.message_zh,
            "errors": {k: v["message"] for k, v in fields.items()},
        }
        return await _page(request, kefu, me, "agents", extra, status_code=err.status_code)
    return RedirectResponse("/admin/agents?saved=1", status_code=303)
