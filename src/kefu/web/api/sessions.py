"""/api/v1/auth and /api/v1/widget: staff sign-in, widget identities, API tokens."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response

from kefu.actions import auth, throttles, visitors
from kefu.actions.context import Kefu
from kefu.domain.sign_in_notice import FailedSignIns, notice_en, notice_zh
from kefu.queries.sla_view import tenant_settings, tenant_zone
from kefu.storage.models import Agent, Department
from kefu.web.api.schemas import (
    ERROR_RESPONSES,
    AgentMe,
    DepartmentRef,
    IdPath,
    LoginRequest,
    SignInNoticePublic,
    TokenCreate,
    TokenCreated,
    TokenPublic,
    VisitorVerify,
    WidgetSession,
    WidgetSessionRequest,
)
from kefu.web.client_address import client_address
from kefu.web.deps import ActorDep, KefuDep
from kefu.web.origins import refuse_cross_site

router = APIRouter(prefix="/api/v1", tags=["auth"], responses=ERROR_RESPONSES)


def client_ip(request: Request) -> str:
    return client_address(request)


async def agent_me(
    kefu: Kefu,
    agent: Agent,
    csrf_token: str | None,
    notice: dict[str, Any] | FailedSignIns | None = None,
) -> AgentMe:
    dept = None
    async with kefu.db.read() as session:
        if agent.department_id:
            d = await session.get(Department, agent.department_id)
            dept = DepartmentRef(code=d.code, name=d.name) if d else None
        settings = await tenant_settings(session, agent.tenant_id) if notice else None
    return AgentMe(
        id=agent.id,
        agent_no=agent.agent_no,
        display_name=agent.display_name,
        role=agent.role,
        department=dept,
        presence=agent.presence,
        capacity=agent.capacity,
        email=agent.email,
        csrf_token=csrf_token,
        must_change_password=bool(agent.must_change_password),
        sign_in_notice=notice_public(notice, tenant_zone(settings)),
    )


def notice_public(
    notice: dict[str, Any] | FailedSignIns | None, zone: ZoneInfo
) -> SignInNoticePublic | None:
    if not notice:
        return None
    failed = notice if isinstance(notice, FailedSignIns) else FailedSignIns.from_json(notice)
    return SignInNoticePublic(
        count=failed.count,
        clients=failed.clients,
        first_at=failed.first_at,
        last_at=failed.last_at,
        message=notice_zh(failed, zone),
        message_en=notice_en(failed, zone),
    )


def set_session_cookie(kefu: Kefu, response: Response, value: str) -> None:
    response.set_cookie(
        auth.SESSION_COOKIE,
        value,
        max_age=kefu.settings.session_hours * 3600,
        httponly=True,
        secure=kefu.settings.secure_cookies,
        samesite="lax",
        path="/",
    )


def set_device_cookie(kefu: Kefu, response: Response, value: str) -> None:
    response.set_cookie(
        auth.DEVICE_COOKIE,
        value,
        max_age=auth.DEVICE_DAYS * 86400,
        httponly=True,
        secure=kefu.settings.secure_cookies,
        samesite="strict",
        path="/",
    )


async def sign_in(kefu: Kefu, request: Request, email: str, password: str) -> auth.SignedIn:
    """Sign-in for the API and the console: refused from another site (login CSRF);
    the browser's device cookie spares a known device the failure delay."""
    refuse_cross_site(request)
    return await auth.do_sign_in(
        kefu, email, password, client_ip(request), request.cookies.get(auth.DEVICE_COOKIE)
    )


@router.post("/auth/login")
async def login(body: LoginRequest, request: Request, response: Response, kefu: KefuDep) -> AgentMe:
    signed_in = await sign_in(kefu, request, body.email, body.password)
    set_session_cookie(kefu, response, signed_in.cookie_value)
    set_device_cookie(kefu, response, signed_in.device_token)
    return await agent_me(kefu, signed_in.agent, signed_in.csrf_token, signed_in.notice)


@router.post("/auth/logout", status_code=204)
async def logout(request: Request, kefu: KefuDep, actor: ActorDep) -> Response:
    staff = getattr(request.state, "staff", None)
    if staff is not None:
        await auth.do_sign_out(kefu, staff.session_id)
    response = Response(status_code=204)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


@router.post("/widget/session")
async def widget_session(
    body: WidgetSessionRequest, request: Request, kefu: KefuDep
) -> WidgetSession:
    """Exchange the marketplace's signed identity token, or start an anonymous visitor
    (budgeted per client address)."""
    if body.identity_token:
        customer_id, token = await auth.do_widget_identity(kefu, body.tenant, body.identity_token)
    elif body.visitor_token:
        customer_id, token = await visitors.do_renew_visitor(kefu, body.tenant, body.visitor_token)
    else:
        await throttles.spend_anonymous(
            kefu, "widget-session", body.tenant, client_address(request)
        )
        customer_id, token = await auth.do_create_visitor(kefu, body.tenant)
    return WidgetSession(customer_id=customer_id, token=token)


@router.post("/widget/verify")
async def widget_verify(
    body: VisitorVerify, request: Request, kefu: KefuDep, actor: ActorDep
) -> WidgetSession:
    """An anonymous visitor proves who they are: order number + last 4 phone digits.
    Throttled per (tenant, order) and per client address, not per visitor."""
    customer_id, token = await visitors.do_verify_visitor(
        kefu, actor, body.order_no, body.phone_last4, client_address(request)
    )
    return WidgetSession(customer_id=customer_id, token=token)


@router.post("/tokens", status_code=201)
async def create_token(body: TokenCreate, kefu: KefuDep, actor: ActorDep) -> TokenCreated:
    """Admins only (signed in); machine tokens never mint tokens."""
    scopes = [str(s) for s in body.scopes] if body.scopes is not None else None
    created = await auth.do_create_api_token(kefu, actor, body.name, scopes)
    return TokenCreated(
        id=created.token.id,
        name=created.token.name,
        token=created.plaintext,
        scopes=list(created.token.scopes),
    )


@router.get("/tokens")
async def list_tokens(kefu: KefuDep, actor: ActorDep) -> list[TokenPublic]:
    """The tenant's machine tokens (never their secrets), revoked ones included."""
    return [
        TokenPublic(
            id=t.id,
            name=t.name,
            prefix=t.prefix,
            scopes=list(t.scopes or []),
            created_at=t.created_at,
            revoked_at=t.revoked_at,
        )
        for t in await auth.list_api_tokens(kefu, actor)
    ]


@router.delete("/tokens/{token_id}", status_code=204)
async def revoke_token(token_id: IdPath, kefu: KefuDep, actor: ActorDep) -> Response:
    await auth.do_revoke_api_token(kefu, actor, token_id)
    return Response(status_code=204)
