"""The agent console: sign-in, the shell page and the HTMX partials it loads.

Pages read through the same access_* / listing functions as the API; every write goes
through /api/v1 (console.js sends the X-CSRF-Token)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kefu.actions import auth
from kefu.actions.access import access_conversation_by_public_id, access_customer_by_id
from kefu.actions.context import Actor
from kefu.actions.ticket_merge import link_state
from kefu.clock import ensure_aware
from kefu.domain.conversation_state import STATUS_LABELS_ZH, Status
from kefu.domain.tenant_settings import parse_tenant_settings
from kefu.domain.vocabulary import Channel, Presence
from kefu.domain.vocabulary.labels import label, labels_zh
from kefu.errors import KefuError
from kefu.queries import console_view as view
from kefu.queries.canned import canned_for_conversation
from kefu.queries.console_view import TABS, ConsoleViewer, Tab
from kefu.queries.listing import orders_of_customer, reference_maps, timeline_since
from kefu.queries.sla_view import sla_view, tenant_settings, tenant_zone
from kefu.queries.wechat_view import reply_window
from kefu.storage.models import Agent
from kefu.web.api.schemas import IdPath, KeyPath, SignInNoticePublic
from kefu.web.api.sessions import notice_public, set_device_cookie, set_session_cookie, sign_in
from kefu.web.deps import KefuDep
from kefu.web.templating import templates

router = APIRouter(prefix="/console", include_in_schema=False)

ORDER_STATUS_ZH = labels_zh("order_status")
TIER_ZH = {"normal": "普通会员", "silver": "白银会员", "gold": "黄金会员", "diamond": "钻石会员"}
STATUS_ZH = labels_zh("status")
REASON_ZH = labels_zh("reason")
PRESENCE_ZH = labels_zh("presence")
#: Channels whose agent replies are also e-mailed to the contact.
MAILED_CHANNELS = frozenset(c.value for c in Channel if c.replies_by_email)
#: What an agent may choose in the console (away is set by the system).
PRESENCE = [
    (p.value, label("presence", p)) for p in (Presence.ONLINE, Presence.BUSY, Presence.OFFLINE)
]


@dataclass
class Signed:
    actor: Actor
    agent: Agent
    csrf_token: str
    sign_in_notice: dict[str, Any] | None = None

    @property
    def viewer(self) -> ConsoleViewer:
        return ConsoleViewer(self.actor.tenant_id, self.agent.id, self.agent.department_id)


async def signed_in(
    request: Request, kefu: KefuDep, *, password_page: bool = False
) -> Signed | None:
    """The signed-in member, or None. A member who must change their password (after an
    admin's reset) is signed in for the password page only."""
    cookie = request.cookies.get(auth.SESSION_COOKIE)
    if not cookie:
        return None
    staff = await auth.authenticate_session(kefu, cookie)
    if staff is None or staff.actor.agent_id is None:
        return None
    if staff.must_change_password and not password_page:
        request.state.must_change_password = True
        return None
    async with kefu.db.read() as session:
        agent = await view.agent_by_id(session, staff.actor.agent_id)
    if agent is None:
        return None
    return Signed(staff.actor, agent, staff.csrf_token, staff.sign_in_notice)


def to_login(request: Request) -> Response:
    target = "/console/login"
    if getattr(request.state, "must_change_password", False):
        target = "/console/password"
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


# ---------- sign-in ----------


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "console/login.html", {"error": None, "email": ""})


@router.post("/login", response_class=HTMLResponse)
async def login_submit(
    request: Request,
    kefu: KefuDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    error = None
    status = 200
    if not email.strip() or not password:
        error, status = "请输入邮箱和密码", 422
    else:
        try:
            done = await sign_in(kefu, request, email, password)
        except KefuError as exc:
            error, status = exc.message_zh, exc.status_code
        else:
            response = RedirectResponse("/console", status_code=303)
            set_session_cookie(kefu, response, done.cookie_value)
            set_device_cookie(kefu, response, done.device_token)
            return response
    return templates.TemplateResponse(
        request, "console/login.html", {"error": error, "email": email}, status_code=status
    )


# ---------- the shell ----------


async def notice_for(kefu: KefuDep, me: Signed) -> SignInNoticePublic | None:
    """Wrong passwords tried since the member's previous sign-in, in the tenant's zone."""
    if not me.sign_in_notice:
        return None
    async with kefu.db.read() as session:
        settings = await tenant_settings(session, me.agent.tenant_id)
    return notice_public(me.sign_in_notice, tenant_zone(settings))


@router.get("", response_class=HTMLResponse)
async def console_page(
    request: Request, kefu: KefuDep, c: Annotated[str | None, Query(max_length=32)] = None
) -> Response:
    me = await signed_in(request, kefu)
    if me is None:
        return to_login(request)
    async with kefu.db.read() as session:
        dept = await view.department_by_id(session, me.agent.department_id)
        counts = await view.tab_counts(session, me.viewer)
    return templates.TemplateResponse(
        request,
        "console/console.html",
        {
            "me": me.agent,
            "dept": dept,
            "csrf": me.csrf_token,
            "tabs": TABS,
            "counts": counts,
            "presence": PRESENCE,
            "open_id": c or "",
            "notice": await notice_for(kefu, me),
        },
    )


@router.get("/partials/tabs", response_class=HTMLResponse)
async def tabs_partial(
    request: Request, kefu: KefuDep, tab: Annotated[Tab, Query()] = "queued"
) -> Response:
    me = await signed_in(request, kefu)
    if me is None:
        return to_login(request)
    async with kefu.db.read() as session:
        counts = await view.tab_counts(session, me.viewer)
    return templates.TemplateResponse(
        request, "console/_tabs.html", {"tabs": TABS, "counts": counts, "tab": tab}
    )


@router.get("/partials/list", response_class=HTMLResponse)
async def list_partial(
    request: Request,
    kefu: KefuDep,
    tab: Annotated[Tab, Query()] = "queued",
    selected: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    me = await signed_in(request, kefu)
    if me is None:
        return to_login(request)
    async with kefu.db.read() as session:
        rows = await view.tab_conversations(session, me.viewer, tab)
        departments, agents = await reference_maps(session, rows)
        customers = await view.customers_of(session, rows)
        previews = await view.last_messages(session, rows)
        settings = await tenant_settings(session, me.actor.tenant_id)
    now = kefu.clock.now()
    return templates.TemplateResponse(
        request,
        "console/_list.html",
        {
            "rows": rows,
            "tab": tab,
            "departments": departments,
            "agents": agents,
            "presence_labels": PRESENCE_ZH,
            "customers": customers,
            "previews": previews,
            "sla": {c.id: sla_view(c, settings, now) for c in rows},
            "waits": {c.id: waited_zh(c.queued_at, now) for c in rows if c.queued_at},
            "labels": STATUS_LABELS_ZH,
            "selected": selected,
        },
    )


def waited_zh(since: datetime, now: datetime) -> str:
    """How long a queued customer has waited: 「3 分钟」, 「1 小时 5 分钟」."""
    minutes = max(0, int((ensure_aware(now) - ensure_aware(since)).total_seconds() // 60))
    return f"{minutes} 分钟" if minutes < 60 else f"{minutes // 60} 小时 {minutes % 60} 分钟"


# ---------- one conversation ----------


@router.get("/partials/conversation/{conversation_id}", response_class=HTMLResponse)
async def conversation_partial(
    request: Request, kefu: KefuDep, conversation_id: KeyPath
) -> Response:
    me = await signed_in(request, kefu)
    if me is None:
        return to_login(request)
    async with kefu.db.read() as session:
        conv = await access_conversation_by_public_id(session, me.actor, conversation_id)
        events, _more = await timeline_since(session, me.actor, conv, 0, 500)
        link = await link_state(session, conv)
        departments, agents = await reference_maps(session, [conv])
        settings = await tenant_settings(session, me.actor.tenant_id)
        all_departments = await view.tenant_departments(session, me.actor)
        colleagues = await view.colleagues_of(session, me.actor, me.agent.id)
        canned = await canned_for_conversation(
            session, parse_tenant_settings(settings), me.agent, conv
        )
    wechat = (
        await reply_window(kefu, me.actor, conv.public_id)
        if conv.channel == Channel.WECHAT.value
        else None
    )
    return templates.TemplateResponse(
        request,
        "console/_conversation.html",
        {
            "conv": conv,
            "wechat": wechat,
            "events": events,
            "link": link,
            "me": me.agent,
            "dept": departments.get(conv.department_id) if conv.department_id else None,
            "assignee": agents.get(conv.assignee_id) if conv.assignee_id else None,
            "label": STATUS_LABELS_ZH.get(Status(conv.status), conv.status),
            "departments": all_departments,
            "colleagues": colleagues,
            "canned": canned,
            "status_labels": STATUS_ZH,
            "reasons": REASON_ZH,
            "zone": tenant_zone(settings),
            "sla": sla_view(conv, settings, kefu.clock.now()),
            "mails_replies": conv.channel in MAILED_CHANNELS,
        },
    )


@router.get("/partials/conversation/{conversation_id}/events", response_class=HTMLResponse)
async def events_partial(
    request: Request,
    kefu: KefuDep,
    conversation_id: KeyPath,
    after_seq: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> Response:
    """Only the events after `after_seq` (console.js appends them, deduplicated by seq)."""
    me = await signed_in(request, kefu)
    if me is None:
        return to_login(request)
    async with kefu.db.read() as session:
        conv = await access_conversation_by_public_id(session, me.actor, conversation_id)
        events, _more = await timeline_since(session, me.actor, conv, after_seq, 500)
        settings = await tenant_settings(session, me.actor.tenant_id)
    return templates.TemplateResponse(
        request,
        "console/_events.html",
        {
            "events": events,
            "conv": conv,
            "status_labels": STATUS_ZH,
            "reasons": REASON_ZH,
            "zone": tenant_zone(settings),
        },
        headers={"X-Kefu-Status": conv.status, "X-Kefu-Last-Seq": str(conv.last_seq)},
    )


@router.get("/partials/customer/{customer_id}", response_class=HTMLResponse)
async def customer_partial(request: Request, kefu: KefuDep, customer_id: IdPath) -> Response:
    me = await signed_in(request, kefu)
    if me is None:
        return to_login(request)
    async with kefu.db.read() as session:
        customer = await access_customer_by_id(session, me.actor, customer_id)
        orders = await orders_of_customer(session, me.actor, customer_id, 10)
        history = await view.conversation_count_of_customer(session, me.actor, customer_id)
    return templates.TemplateResponse(
        request,
        "console/_customer.html",
        {
            "customer": customer,
            "orders": orders,
            "history": history,
            "tier": TIER_ZH.get(customer.tier, customer.tier),
            "order_status": ORDER_STATUS_ZH,
        },
    )
