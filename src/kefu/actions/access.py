"""The one definition of "who may see this". Secured objects load only through here;
an object of another tenant, or another customer's, is simply not found."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.actions.context import Actor
from kefu.errors import Forbidden, NotFound
from kefu.storage.models import (
    Agent,
    Attachment,
    Conversation,
    Customer,
    Department,
    Order,
    Tenant,
)


def require_staff(actor: Actor) -> None:
    if actor.is_customer:
        raise Forbidden("仅客服人员可以执行此操作", "staff only")


def require_supervisor(actor: Actor) -> None:
    if not actor.is_supervisor:
        raise Forbidden("需要主管或管理员权限", "supervisor or admin role required")


async def access_tenant(session: AsyncSession, actor: Actor) -> Tenant:
    tenant = await session.get(Tenant, actor.tenant_id)
    if tenant is None:
        raise NotFound("tenant", "平台")
    return tenant


def _conversation_statements() -> dict[tuple[bool, bool], Select[Conversation]]:
    """Built once: every chat message loads its conversation through one of these, and
    building (and cache-keying) a fresh statement each time cost more than running it."""
    base = select(Conversation).where(
        Conversation.public_id == bindparam("public_id"),
        Conversation.tenant_id == bindparam("tenant_id"),
    )
    own = base.where(Conversation.customer_id == bindparam("customer_id"))
    return {
        (False, False): base,
        (False, True): base.with_for_update(),
        (True, False): own,
        (True, True): own.with_for_update(),
    }


_CONVERSATION_BY_PUBLIC_ID = _conversation_statements()


async def access_conversation_by_public_id(
    session: AsyncSession, actor: Actor, public_id: str, *, for_update: bool = False
) -> Conversation:
    params: dict[str, Any] = {"public_id": public_id, "tenant_id": actor.tenant_id}
    if actor.is_customer:
        params["customer_id"] = actor.customer_id
    stmt = _CONVERSATION_BY_PUBLIC_ID[(actor.is_customer, for_update)]
    conv = (await session.execute(stmt, params)).scalar_one_or_none()
    if conv is None:
        raise NotFound("conversation", "会话")
    return conv


async def access_conversation_by_number(
    session: AsyncSession, actor: Actor, number: str
) -> Conversation:
    stmt = select(Conversation).where(
        Conversation.number == number, Conversation.tenant_id == actor.tenant_id
    )
    if actor.is_customer:
        stmt = stmt.where(Conversation.customer_id == actor.customer_id)
    conv = (await session.execute(stmt)).scalar_one_or_none()
    if conv is None:
        raise NotFound("conversation", "会话")
    return conv


async def access_customer_by_id(session: AsyncSession, actor: Actor, customer_id: int) -> Customer:
    if actor.is_customer and actor.customer_id != customer_id:
        raise NotFound("customer", "客户")
    customer = await session.get(Customer, customer_id)
    if customer is None or customer.tenant_id != actor.tenant_id:
        raise NotFound("customer", "客户")
    return customer


async def access_order_by_no(session: AsyncSession, actor: Actor, order_no: str) -> Order:
    stmt = select(Order).where(Order.tenant_id == actor.tenant_id, Order.order_no == order_no)
    if actor.is_customer:
        stmt = stmt.where(Order.customer_id == actor.customer_id)
    order = (await session.execute(stmt)).scalar_one_or_none()
    if order is None:
        raise NotFound("order", "订单")
    return order


async def access_agent_by_id(session: AsyncSession, actor: Actor, agent_id: int) -> Agent:
    agent = await session.get(Agent, agent_id)
    if agent is None or agent.tenant_id != actor.tenant_id or not agent.is_active:
        raise NotFound("agent", "客服")
    return agent


async def access_department_by_code(session: AsyncSession, actor: Actor, code: str) -> Department:
    stmt = select(Department).where(
        Department.tenant_id == actor.tenant_id, Department.code == code
    )
    dept = (await session.execute(stmt)).scalar_one_or_none()
    if dept is None:
        raise NotFound("department", "部门")
    return dept


async def access_attachment_by_public_id(
    session: AsyncSession, actor: Actor, public_id: str
) -> Attachment:
    stmt = select(Attachment).where(
        Attachment.public_id == public_id, Attachment.tenant_id == actor.tenant_id
    )
    att = (await session.execute(stmt)).scalar_one_or_none()
    if att is None:
        raise NotFound("attachment", "附件")
    if actor.is_customer:
        mine = att.uploader_type == "customer" and att.uploader_id == actor.customer_id
        if not mine:
            if att.conversation_id is None:
                raise NotFound("attachment", "附件")
            conv = await session.get(Conversation, att.conversation_id)
            if conv is None or conv.customer_id != actor.customer_id:
                raise NotFound("attachment", "附件")
    return att


async def tenant_by_slug(session: AsyncSession, slug: str) -> Tenant:
    """The tenant a public URL names; 404 ``tenant`` when there is none."""
    if "\x00" in slug:  # no slug has one, and PostgreSQL refuses NUL in text
        raise NotFound("tenant", "平台")
    tenant = (await session.execute(select(Tenant).where(Tenant.slug == slug))).scalar_one_or_none()
    if tenant is None:
        raise NotFound("tenant", "平台")
    return tenant
