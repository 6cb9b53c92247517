"""Console pages for passwords (zh-CN, plain forms, no script): change your own,
"forgot password", and the page a reset link opens. Each calls the same actions as
/api/v1 (actions/passwords.py). The change form carries the session's CSRF token;
the forgot and reset forms are refused from another site, like sign-in."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kefu.actions import passwords
from kefu.errors import KefuError
from kefu.web.api.passwords import FORGOT_ACCEPTED
from kefu.web.api.sessions import set_device_cookie, set_session_cookie
from kefu.web.client_address import client_address
from kefu.web.console import signed_in, to_login
from kefu.web.deps import KefuDep
from kefu.web.origins import refuse_cross_site
from kefu.web.templating import templates

router = APIRouter(prefix="/console", include_in_schema=False)
Password = Annotated[str, Form(max_length=256)]


def _page(
    request: Request, name: str, context: dict[str, object], status_code: int = 200
) -> HTMLResponse:
    values: dict[str, object] = {"error": None, "done": None, **context}
    return templates.TemplateResponse(
        request, f"console/{name}.html", values, status_code=status_code
    )


@router.get("/password", response_class=HTMLResponse)
async def password_page(request: Request, kefu: KefuDep) -> Response:
    me = await signed_in(request, kefu, password_page=True)
    if me is None:
        return to_login(request)
    forced = bool(me.agent.must_change_password)
    return _page(request, "password", {"csrf": me.csrf_token, "forced": forced, "me": me.agent})


@router.post("/password", response_class=HTMLResponse)
async def password_submit(
    request: Request,
    kefu: KefuDep,
    csrf: Annotated[str, Form(max_length=128)] = "",
    old_password: Password = "",
    new_password: Password = "",
    new_password_again: Password = "",
) -> Response:
    me = await signed_in(request, kefu, password_page=True)
    if me is None:
        return to_login(request)
    context: dict[str, object] = {
        "csrf": me.csrf_token,
        "forced": bool(me.agent.must_change_password),
        "me": me.agent,
    }
    if not hmac.compare_digest(csrf.encode(), me.csrf_token.encode()):
        return _page(request, "password", {**context, "error": "页面已过期，请刷新后重试"}, 403)
    if new_password != new_password_again:
        return _page(request, "password", {**context, "error": "两次输入的新密码不一致"}, 422)
    try:
        done = await passwords.do_change_own_password(
            kefu, me.actor, old_password, new_password, client_address(request)
        )
    except KefuError as exc:
        return _page(request, "password", {**context, "error": exc.message_zh}, exc.status_code)
    response = RedirectResponse("/console", status_code=303)
    set_session_cookie(kefu, response, done.cookie_value)
    set_device_cookie(kefu, response, done.device_token)
    return response


@router.get("/forgot", response_class=HTMLResponse)
async def forgot_page(request: Request) -> HTMLResponse:
    return _page(request, "forgot", {"email": ""})


@router.post("/forgot", response_class=HTMLResponse)
async def forgot_submit(
    request: Request, kefu: KefuDep, email: Annotated[str, Form(max_length=254)] = ""
) -> HTMLResponse:
    if "@" not in email:
        return _page(request, "forgot", {"email": email, "error": "请输入客服账号的邮箱"}, 422)
    try:
        refuse_cross_site(request)
        await passwords.do_request_password_reset(kefu, email, client_address(request))
    except KefuError as exc:
        return _page(request, "forgot", {"email": email, "error": exc.message_zh}, exc.status_code)
    return _page(request, "forgot", {"email": "", "done": FORGOT_ACCEPTED.message}, 202)


@router.get("/reset", response_class=HTMLResponse)
async def reset_page(
    request: Request, token: Annotated[str, Query(max_length=2048)] = ""
) -> HTMLResponse:
    # the token reaches the access log only scrubbed (web/access_log.py: ?token=)
    return _page(request, "reset", {"token": token})


@router.post("/reset", response_class=HTMLResponse)
async def reset_submit(
    request: Request,
    kefu: KefuDep,
    token: Annotated[str, Form(max_length=2048)] = "",
    new_password: Password = "",
    new_password_again: Password = "",
) -> HTMLResponse:
    context: dict[str, object] = {"token": token}
    if new_password != new_password_again:
        return _page(request, "reset", {**context, "error": "两次输入的新密码不一致"}, 422)
    try:
        refuse_cross_site(request)
        await passwords.do_reset_password_with_token(
            kefu, token, new_password, client_address(request)
        )
    except KefuError as exc:
        return _page(request, "reset", {**context, "error": exc.message_zh}, exc.status_code)
    return _page(request, "reset", {"token": "", "done": "密码已重置，请用新密码登录。"})
