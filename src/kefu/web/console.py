"""The agent console: sign-in, the shell page and the HTMX partials it loads.

Pages read through the same access_* / listing functions as the API; every write goes
through /api/v1 (console.js sends the X-CSRF-Token)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.actions import auth
from kefu.actions.access import access_conversation_by_public_id, access_customer_by_id
from kefu.actions.context import Actor
from kefu.domain.conversation_state import STATUS_LABELS_ZH, Status
from kefu.domain.vocabulary import Presence
from kefu.domain.vocabulary.labels import label, labels_zh
from kefu.errors import KefuError
from kefu.queries.listing import orders_of_customer, reference_maps, timeline_since
from kefu.queries.sla_view import sla_view, tenant_settings, tenant_zone
from kefu.storage.models import Agent, Conversation, Customer, Department, Event
from kefu.web.api.schemas import IdPath, KeyPath
from kefu.web.api.sessions import set_device_cookie, set_session_cookie, sign_in
from kefu.web.deps import KefuDep
from kefu.web.templating import templates

router = APIRouter(prefix="/console", include_in_schema=False)

Tab = Literal["queued", "mine", "dept", "all"]
TABS: list[tuple[Tab, str]] = [
    ("queued", "待接入"),
    ("mine", "我的"),
    ("dept", "我的部门"),
    ("all", "全部"),
]
OPEN = [Status.BOT.value, Status.QUEUED.value, Status.ASSIGNED.value, Status.WAITING_CUSTOMER.value]
MINE = [Status.ASSIGNED.value, Status.WAITING_CUSTOMER.value]

CANNED_ANSWERS: list[tuple[str, str]] = [
    ("问候", "您好，我是客服{name}（工号 {agent_no}），很高兴为您服务。请问有什么可以帮您？"),
    ("核实订单", "麻烦您提供一下订单号（KM 开头），我马上为您查询。"),
    ("充值处理中", "您的订单正在上游渠道处理中，一般 10 分钟内到账，请您稍等，到账后我会通知您。"),
    ("已补发", "已为您重新提交充值，请在 5 分钟后查看是否到账。"),
    ("退款说明", "退款已提交，原路退回，预计 1–3 个工作日到账。"),
    ("防骗提醒", "温馨提示：官方客服不会向您索要密码或短信验证码，请勿透露给任何人。"),
    ("结束语", "请问还有其他可以帮您的吗？如果没有，我先为您结束本次会话，感谢您的耐心。"),
]

ORDER_STATUS_ZH = labels_zh("order_status")
TIER_ZH = {"normal": "普通会员", "silver": "白银会员", "gold": "黄金会员", "diamond": "钻石会员"}
STATUS_ZH = labels_zh("status")
REASON_ZH = labels_zh("reason")
PRESENCE_ZH = labels_zh("presence")
#: What an agent may choose in the console (away is set by the system).
PRESENCE = [
    (p.value, label("presence", p)) for p in (Presence.ONLINE, Presence.BUSY, Presence.OFFLINE)
]


@dataclass
class Signed:
    actor: Actor
    agent: Agent
    csrf_token: str


async def signed_in(request: Request, kefu: KefuDep) -> Signed | None:
    cookie = request.cookies.get(auth.SESSION_COOKIE)
    if not cookie:
        return None
    staff = await auth.authenticate_session(kefu, cookie)
    if staff is None or staff.actor.agent_id is None:
        return None
    async with kefu.db.read() as session:
        agent = await session.get(Agent, staff.actor.agent_id)
    if agent is None:
        return None
    return Signed(actor=staff.actor, agent=agent, csrf_token=staff.csrf_token)


def to_login(request: Request) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": "/console/login"})
    return RedirectResponse("/console/login", status_code=303)


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


@router.get("", response_class=HTMLResponse)
async def console_page(
    request: Request, kefu: KefuDep, c: Annotated[str | None, Query(max_length=32)] = None
) -> Response:
    me = await signed_in(request, kefu)
    if me is None:
        return to_login(request)
    async with kefu.db.read() as session:
        dept = (
            await session.get(Department, me.agent.department_id)
            if me.agent.department_id
            else None
        )
        counts = await tab_counts(session, me)
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
        },
    )


def tab_filter(me: Signed, tab: Tab) -> list[Any]:
    where: list[Any] = [Conversation.tenant_id == me.actor.tenant_id]
    if tab == "queued":
        where.append(Conversation.status == Status.QUEUED.value)
    elif tab == "mine":
        where += [Conversation.assignee_id == me.agent.id, Conversation.status.in_(MINE)]
    elif tab == "dept":
        where += [
            Conversation.department_id == me.agent.department_id,
            Conversation.status.in_(OPEN),
        ]
    return where


async def tab_counts(session: AsyncSession, me: Signed) -> dict[str, int]:
    counts: dict[str, int] = {}
    for tab, _label in TABS:
        where = tab_filter(me, tab)
        if tab == "all":
            where.append(Conversation.status.in_(OPEN))
        stmt = select(func.count(Conversation.id)).where(*where)
        counts[tab] = int((await session.execute(stmt)).scalar_one())
    return counts


@router.get("/partials/tabs", response_class=HTMLResponse)
async def tabs_partial(
    request: Request, kefu: KefuDep, tab: Annotated[Tab, Query()] = "queued"
) -> Response:
    me = await signed_in(request, kefu)
    if me is None:
        return to_login(request)
    async with kefu.db.read() as session:
        counts = await tab_counts(session, me)
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
        order = Conversation.queued_at if tab == "queued" else Conversation.updated_at
        stmt = select(Conversation).where(*tab_filter(me, tab))
        stmt = stmt.order_by(order.asc() if tab == "queued" else order.desc()).limit(100)
        rows = list((await session.execute(stmt)).scalars())
        departments, agents = await reference_maps(session, rows)
        customers = await customers_of(session, rows)
        previews = await last_messages(session, rows)
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
            "labels": STATUS_LABELS_ZH,
            "selected": selected,
        },
    )


async def customers_of(session: AsyncSession, rows: Sequence[Conversation]) -> dict[int, Customer]:
    ids = {c.customer_id for c in rows if c.customer_id}
    if not ids:
        return {}
    found = await session.execute(select(Customer).where(Customer.id.in_(ids)))
    return {c.id: c for c in found.scalars()}


async def last_messages(session: AsyncSession, rows: Sequence[Conversation]) -> dict[int, str]:
    ids = [c.id for c in rows]
    if not ids:
        return {}
    latest = (
        select(Event.conversation_id, func.max(Event.seq).label("seq"))
        .where(Event.conversation_id.in_(ids), Event.type.in_(["message", "bot_turn"]))
        .group_by(Event.conversation_id)
        .subquery()
    )
    stmt = select(Event.conversation_id, Event.body).join(
        latest, (Event.conversation_id == latest.c.conversation_id) & (Event.seq == latest.c.seq)
    )
    return {cid: (body or "[图片]")[:40] for cid, body in (await session.execute(stmt)).all()}


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
        departments, agents = await reference_maps(session, [conv])
        settings = await tenant_settings(session, me.actor.tenant_id)
        all_departments = list(
            (
                await session.execute(
                    select(Department)
                    .where(Department.tenant_id == me.actor.tenant_id)
                    .order_by(Department.id)
                )
            ).scalars()
        )
        colleagues = list(
            (
                await session.execute(
                    select(Agent)
                    .where(
                        Agent.tenant_id == me.actor.tenant_id,
                        Agent.is_active.is_(True),
                        Agent.id != me.agent.id,
                    )
                    .order_by(Agent.agent_no)
                )
            ).scalars()
        )
    canned = [
        (title, text.format(name=me.agent.display_name, agent_no=me.agent.agent_no))
        for title, text in CANNED_ANSWERS
    ]
    return templates.TemplateResponse(
        request,
        "console/_conversation.html",
        {
            "conv": conv,
            "events": events,
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
        history = (
            await session.execute(
                select(func.count(Conversation.id)).where(
                    Conversation.tenant_id == me.actor.tenant_id,
                    Conversation.customer_id == customer_id,
                )
            )
        ).scalar_one()
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
