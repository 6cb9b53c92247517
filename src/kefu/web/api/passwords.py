"""/api/v1 password endpoints: change your own, forgot / reset by e-mail link, an
admin's reset of a member (docs/security.md, actions/passwords.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from kefu.actions import passwords
from kefu.web.api.schemas import (
    ERROR_RESPONSES,
    AdminPasswordReset,
    AdminPasswordResetDone,
    AgentMe,
    IdPath,
    PasswordChange,
    PasswordForgot,
    PasswordForgotAccepted,
    PasswordReset,
)
from kefu.web.api.sessions import agent_me, set_device_cookie, set_session_cookie
from kefu.web.client_address import client_address
from kefu.web.deps import ActorDep, KefuDep
from kefu.web.origins import refuse_cross_site

router = APIRouter(prefix="/api/v1", tags=["auth"], responses=ERROR_RESPONSES)

FORGOT_ACCEPTED = PasswordForgotAccepted(
    message="如果该邮箱对应一个客服账号，重置链接已发送到这个邮箱，30 分钟内有效。",
    message_en="If the address belongs to a staff account, a reset link (valid 30 minutes) "
    "was sent to it.",
)


@router.post("/auth/password")
async def change_password(
    body: PasswordChange, request: Request, response: Response, kefu: KefuDep, actor: ActorDep
) -> AgentMe:
    """The signed-in member changes their password (old one required). Every session
    of theirs ends; this browser gets a new session cookie and CSRF token."""
    done = await passwords.do_change_own_password(
        kefu, actor, body.old_password, body.new_password, client_address(request)
    )
    set_session_cookie(kefu, response, done.cookie_value)
    set_device_cookie(kefu, response, done.device_token)
    return await agent_me(kefu, done.agent, done.csrf_token)


@router.post("/auth/password/forgot", status_code=202)
async def forgot_password(
    body: PasswordForgot, request: Request, kefu: KefuDep
) -> PasswordForgotAccepted:
    """Same answer whether or not the address has an account."""
    refuse_cross_site(request)
    await passwords.do_request_password_reset(kefu, body.email, client_address(request))
    return FORGOT_ACCEPTED


@router.post("/auth/password/reset", status_code=204)
async def reset_password(body: PasswordReset, request: Request, kefu: KefuDep) -> Response:
    """Redeem a reset link (once, before it expires); then sign in with the new password."""
    refuse_cross_site(request)
    await passwords.do_reset_password_with_token(
        kefu, body.token, body.new_password, client_address(request)
    )
    return Response(status_code=204)


@router.post("/agents/{agent_id}/password-reset", tags=["agents"])
async def admin_reset_password(
    agent_id: IdPath, body: AdminPasswordReset, request: Request, kefu: KefuDep, actor: ActorDep
) -> AdminPasswordResetDone:
    """Admins only, within their tenant; audited. ``link``: a one-time reset link is
    mailed to the member; ``temporary``: a one-time password for the admin to hand over,
    to be changed at the next sign-in. Either way the old password and every session end."""
    done = await passwords.do_admin_reset_password(
        kefu, actor, agent_id, body.mode, client_address(request)
    )
    return AdminPasswordResetDone(
        mode=done.mode, sent_to=done.sent_to, temporary_password=done.temporary_password
    )
