"""/api/v1 customers, orders, agents and attachments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, UploadFile
from fastapi.responses import FileResponse

from kefu.actions import agents as agent_actions
from kefu.actions import commerce
from kefu.actions.access import (
    access_agent_by_id,
    access_attachment_by_public_id,
    access_customer_by_id,
    access_order_by_no,
    require_staff,
)
from kefu.actions.attachments import do_upload_attachment
from kefu.errors import InvalidInput, NotFound
from kefu.queries.listing import orders_of_customer
from kefu.queries.people import active_agents
from kefu.web.api.schemas import (
    ERROR_RESPONSES,
    AgentMe,
    AgentPublic,
    CustomerPublic,
    CustomerUpsertBody,
    DepartmentRef,
    IdPath,
    KeyPath,
    OrderPublic,
    OrderUpsertBody,
    PresenceUpdate,
)
from kefu.web.api.sessions import agent_me
from kefu.web.deps import ActorDep, KefuDep
from kefu.web.files import attachment_response

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


@router.get("/customers/{customer_id}", tags=["customers"])
async def get_customer(customer_id: IdPath, kefu: KefuDep, actor: ActorDep) -> CustomerPublic:
    async with kefu.db.read() as session:
        customer = await access_customer_by_id(session, actor, customer_id)
    return CustomerPublic.build(customer)


@router.put("/customers", tags=["customers"])
async def upsert_customer(
    body: CustomerUpsertBody, kefu: KefuDep, actor: ActorDep
) -> CustomerPublic:
    customer = await commerce.do_upsert_customer(
        kefu, actor, commerce.CustomerUpsert(**body.model_dump())
    )
    return CustomerPublic.build(customer)


@router.get("/customers/{customer_id}/orders", tags=["orders"])
async def customer_orders(
    customer_id: IdPath,
    kefu: KefuDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[OrderPublic]:
    async with kefu.db.read() as session:
        await access_customer_by_id(session, actor, customer_id)
        orders = await orders_of_customer(session, actor, customer_id, limit)
    return [OrderPublic.build(o) for o in orders]


@router.get("/orders/{order_no}", tags=["orders"])
async def get_order(order_no: KeyPath, kefu: KefuDep, actor: ActorDep) -> OrderPublic:
    async with kefu.db.read() as session:
        order = await access_order_by_no(session, actor, order_no)
    return OrderPublic.build(order)


@router.put("/orders", tags=["orders"])
async def upsert_order(body: OrderUpsertBody, kefu: KefuDep, actor: ActorDep) -> OrderPublic:
    data = body.model_dump()
    data["merchant_slug"] = data.pop("merchant")
    order = await commerce.do_upsert_order(kefu, actor, commerce.OrderUpsert(**data))
    return OrderPublic.build(order)


@router.get("/agents/me", tags=["agents"])
async def me(request: Request, kefu: KefuDep, actor: ActorDep) -> AgentMe:
    require_staff(actor)
    if actor.agent_id is None:
        raise NotFound("agent", "客服")
    async with kefu.db.read() as session:
        agent = await access_agent_by_id(session, actor, actor.agent_id)
    staff = getattr(request.state, "staff", None)
    return await agent_me(kefu, agent, staff.csrf_token if staff else None)


@router.put("/agents/me/presence", tags=["agents"])
async def set_presence(body: PresenceUpdate, kefu: KefuDep, actor: ActorDep) -> AgentMe:
    if actor.agent_id is None:
        require_staff(actor)
        raise InvalidInput("not_an_agent", "需要客服登录", "a staff sign-in is needed")
    agent = await agent_actions.do_set_presence(kefu, actor, body.presence, body.capacity)
    return await agent_me(kefu, agent, None)


@router.get("/agents", tags=["agents"])
async def list_agents(kefu: KefuDep, actor: ActorDep) -> list[AgentPublic]:
    return [
        AgentPublic(
            id=row.agent.id,
            agent_no=row.agent.agent_no,
            display_name=row.agent.display_name,
            role=row.agent.role,
            department=(
                DepartmentRef(code=row.department.code, name=row.department.name)
                if row.department
                else None
            ),
            presence=row.agent.presence,
            capacity=row.agent.capacity,
        )
        for row in await active_agents(kefu, actor)
    ]


@router.post("/attachments", status_code=201, tags=["attachments"])
async def upload(file: UploadFile, kefu: KefuDep, actor: ActorDep) -> dict[str, str | int]:
    content = await file.read(kefu.settings.attachment_max_bytes + 1)
    att = await do_upload_attachment(kefu, actor, file.filename or "file", content)
    return {
        "id": att.public_id,
        "filename": att.filename,
        "content_type": att.content_type,
        "size": att.size,
    }


@router.get("/attachments/{attachment_id}", tags=["attachments"], response_class=FileResponse)
async def download(attachment_id: KeyPath, kefu: KefuDep, actor: ActorDep) -> FileResponse:
    async with kefu.db.read() as session:
        att = await access_attachment_by_public_id(session, actor, attachment_id)
    return attachment_response(kefu, att)
