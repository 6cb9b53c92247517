"""Customers and orders pushed by the marketplace (machine tokens)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from kefu.actions.context import Actor, ActorKind, Kefu, transaction
from kefu.actions.opening import set_customer_contact
from kefu.actions.order_sync import record_order_change
from kefu.domain.vocabulary import OrderStatus, OrderUpdateSource, PhoneNumber
from kefu.errors import Forbidden, InvalidInput, NotFound
from kefu.storage.models import Customer, Merchant, Order

TIERS = ("normal", "silver", "gold", "diamond")
ORDER_STATUSES = tuple(s.value for s in OrderStatus)


def require_machine_or_admin(actor: Actor) -> None:
    if actor.kind is ActorKind.CUSTOMER or (
        actor.kind is ActorKind.STAFF and not actor.is_supervisor
    ):
        raise Forbidden("需要平台接口令牌或管理员权限", "machine token or admin required")


@dataclass
class CustomerUpsert:
    external_id: str
    display_name: str = ""
    tier: str = "normal"
    phone: str | None = None
    email: str | None = None
    qq: str | None = None


async def do_upsert_customer(kefu: Kefu, actor: Actor, data: CustomerUpsert) -> Customer:
    require_machine_or_admin(actor)
    if data.tier not in TIERS:
        raise InvalidInput("invalid_tier", "会员等级无效", f"tier must be one of {TIERS}")
    phone = PhoneNumber.parse(data.phone) if data.phone else None
    async with transaction(kefu) as tx:
        customer = (
            await tx.session.execute(
                select(Customer).where(
                    Customer.tenant_id == actor.tenant_id,
                    Customer.external_id == data.external_id,
                )
            )
        ).scalar_one_or_none()
        if customer is None:
            customer = Customer(
                tenant_id=actor.tenant_id, external_id=data.external_id, created_at=tx.now
            )
            tx.session.add(customer)
        customer.display_name = data.display_name
        customer.tier = data.tier
        set_customer_contact(customer, phone, data.email)
        customer.qq = data.qq
        await tx.session.flush()
        return customer


@dataclass
class OrderUpsert:
    order_no: str
    product: str
    amount: Decimal
    status: str
    customer_external_id: str | None = None
    merchant_slug: str | None = None
    upstream_status: str | None = None
    created_at: datetime | None = None
    paid_at: datetime | None = None
    delivered_at: datetime | None = None


async def do_upsert_order(kefu: Kefu, actor: Actor, data: OrderUpsert) -> Order:
    require_machine_or_admin(actor)
    if data.status not in ORDER_STATUSES:
        raise InvalidInput(
            "invalid_order_status", "订单状态无效", f"status must be one of {ORDER_STATUSES}"
        )
    async with transaction(kefu) as tx:
        customer_id = None
        if data.customer_external_id:
            customer = (
                await tx.session.execute(
                    select(Customer).where(
                        Customer.tenant_id == actor.tenant_id,
                        Customer.external_id == data.customer_external_id,
                    )
                )
            ).scalar_one_or_none()
            if customer is None:
                raise NotFound("customer", "客户")
            customer_id = customer.id
        merchant_id = None
        if data.merchant_slug:
            merchant = (
                await tx.session.execute(
                    select(Merchant).where(
                        Merchant.tenant_id == actor.tenant_id, Merchant.slug == data.merchant_slug
                    )
                )
            ).scalar_one_or_none()
            if merchant is None:
                raise NotFound("merchant", "商户")
            merchant_id = merchant.id
        order = (
            await tx.session.execute(
                select(Order).where(
                    Order.tenant_id == actor.tenant_id, Order.order_no == data.order_no
                )
            )
        ).scalar_one_or_none()
        previous = None if order is None else order.status
        if order is None:
            order = Order(
                tenant_id=actor.tenant_id,
                order_no=data.order_no,
                created_at=data.created_at or tx.now,
            )
            tx.session.add(order)
        order.product = data.product
        order.amount = data.amount
        order.status = data.status
        order.upstream_status = data.upstream_status
        order.customer_id = customer_id if customer_id is not None else order.customer_id
        order.merchant_id = merchant_id if merchant_id is not None else order.merchant_id
        order.paid_at = data.paid_at
        order.delivered_at = data.delivered_at
        order.updated_at = tx.now
        await tx.session.flush()
        await record_order_change(tx, order, previous, source=OrderUpdateSource.API)
        return order
