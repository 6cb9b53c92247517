"""FastAPI dependencies: the application services and the authenticated actor."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from kefu.actions import auth
from kefu.actions.context import Actor, Kefu
from kefu.errors import Forbidden, Unauthorized

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# After an admin's reset with a temporary password, a session may do only this much.
MUST_CHANGE_ALLOWED = frozenset(
    {"/api/v1/auth/password", "/api/v1/auth/logout", "/api/v1/agents/me"}
)


def get_kefu(request: Request) -> Kefu:
    kefu: Kefu = request.app.state.kefu
    return kefu


KefuDep = Annotated[Kefu, Depends(get_kefu)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


# The scope a machine token needs, by path (first match wins); a path not listed needs
# "conversations". /tokens is refused to every machine by the action (require_admin):
# only a signed-in admin manages tokens.
SCOPE_BY_PATH: tuple[tuple[str, str | None], ...] = (
    ("/api/v1/tokens", None),
    ("/api/v1/customers", "commerce"),
    ("/api/v1/orders", "commerce"),
    ("/api/v1/kb/", "knowledge"),
)


def scope_for_path(path: str) -> str | None:
    for prefix, scope in SCOPE_BY_PATH:
        if path.startswith(prefix):
            return scope
    return "conversations"


def _scope_refused(scope: str) -> Forbidden:
    err = Forbidden("此令牌没有这项权限", f"this token lacks the scope {scope!r}")
    err.code = "scope_missing"
    return err


async def actor_from_bearer(kefu: Kefu, token: str, path: str = "") -> Actor:
    if token.startswith(auth.MACHINE_PREFIX):
        machine = await auth.authenticate_machine_token(kefu, token)
        if machine is None:
            raise auth.invalid_token_error()
        if path:
            scope = scope_for_path(path)
            if scope is not None and scope not in machine.scopes:
                raise _scope_refused(scope)
        return machine.actor
    if token.startswith(auth.CUSTOMER_PREFIX):
        return auth.authenticate_customer_token(kefu, token)
    raise auth.invalid_token_error()


async def get_actor(request: Request, kefu: KefuDep) -> Actor:
    token = bearer_token(request)
    if token is not None:
        return await actor_from_bearer(kefu, token, request.url.path)
    cookie = request.cookies.get(auth.SESSION_COOKIE)
    if cookie:
        staff = await auth.authenticate_session(kefu, cookie)
        if staff is not None:
            if request.method not in SAFE_METHODS:
                sent = request.headers.get("x-csrf-token", "")
                if not hmac.compare_digest(sent.encode(), staff.csrf_token.encode()):
                    err = Forbidden("页面已过期，请刷新后重试", "missing or wrong CSRF token")
                    err.code = "csrf_failed"
                    raise err
            if staff.must_change_password and request.url.path not in MUST_CHANGE_ALLOWED:
                err = Forbidden("请先修改密码", "change your password first")
                err.code = "password_change_required"
                raise err
            request.state.staff = staff
            return staff.actor
    raise Unauthorized()


ActorDep = Annotated[Actor, Depends(get_actor)]
