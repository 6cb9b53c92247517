"""Anonymous visitors: keep their history across token expiry, and let them prove who
they are with an order number + the last 4 digits of the phone on that order."""

from __future__ import annotations

import hmac
from datetime import timedelta

from sqlalchemy import select, update

from kefu.actions import throttles
from kefu.actions.auth import CUSTOMER_PREFIX, issue_customer_token, tenant_by_slug
from kefu.actions.context import Actor, Kefu, transaction
from kefu.domain import signed_tokens
from kefu.errors import Forbidden, Unauthorized
from kefu.storage.models import Attachment, Conversation, Customer, Order

RENEW_GRACE = timedelta(days=30)


async def do_renew_visitor(kefu: Kefu, tenant_slug: str, old_token: str) -> tuple[int, str]:
    """A visitor's token that expired less than 30 days ago is renewed for the same
    visitor, so the conversation history survives. Members sign in again instead."""
    tenant = await tenant_by_slug(kefu, tenant_slug)
    if not old_token.startswith(CUSTOMER_PREFIX):
        raise Unauthorized("令牌无效", "invalid token")
    payload = signed_tokens.verify(
        old_token[len(CUSTOMER_PREFIX) :],
        kefu.settings.signing_keys,
        kefu.clock.now() - RENEW_GRACE,
    )
    customer_id = payload.get("c")
    if payload.get("t") != tenant.id or not isinstance(customer_id, int):
        raise Unauthorized("令牌无效", "invalid token")
    async with kefu.db.read() as session:
        customer = await session.get(Customer, customer_id)
    if customer is None or customer.tenant_id != tenant.id or customer.visitor_id is None:
        raise Unauthorized("令牌无效", "invalid token")
    return customer.id, issue_customer_token(kefu, tenant.id, customer.id)


def _verify_failed() -> Forbidden:
    err = Forbidden("订单号或手机尾号不正确", "order number or phone digits do not match")
    err.code = "verification_failed"
    return err


async def do_verify_visitor(
    kefu: Kefu, actor: Actor, order_no: str, phone_last4: str, client: str = "unknown"
) -> tuple[int, str]:
    """An anonymous visitor becomes the member who owns the order: their conversations
    and uploads move to the member, and a member token is returned. Throttled per
    (tenant, order) and per client address: new visitors are free, so the visitor is
    not what is counted (docs/security.md)."""
    if not actor.is_customer or actor.customer_id is None:
        raise Forbidden("仅访客可以验证身份", "only a widget visitor can verify")
    order_no = order_no.replace("\x00", "")  # PostgreSQL refuses NUL in text
    order_key = throttles.budget_key(throttles.VERIFY_ORDER, actor.tenant_id, order_no[:64])
    client_key = throttles.budget_key(throttles.VERIFY_CLIENT, actor.tenant_id, client)
    await throttles.guard(
        kefu, [(throttles.VERIFY_ORDER, order_key), (throttles.VERIFY_CLIENT, client_key)]
    )
    member_id: int | None = None
    async with transaction(kefu) as tx:
        visitor = await tx.session.get(Customer, actor.customer_id)
        order = (
            await tx.session.execute(
                select(Order).where(Order.tenant_id == actor.tenant_id, Order.order_no == order_no)
            )
        ).scalar_one_or_none()
        member = (
            await tx.session.get(Customer, order.customer_id)
            if order and order.customer_id
            else None
        )
        ok = (
            visitor is not None
            and visitor.visitor_id is not None
            and member is not None
            and member.tenant_id == actor.tenant_id
            and member.phone_last4 is not None
            and hmac.compare_digest(member.phone_last4, phone_last4)
        )
        throttles.record_attempts(tx.session, [order_key, client_key], ok, tx.now)
        if ok and member is not None:
            member_id = member.id
            await tx.session.execute(
                update(Conversation)
                .where(Conversation.customer_id == actor.customer_id)
                .values(customer_id=member.id)
            )
            await tx.session.execute(
                update(Attachment)
                .where(
                    Attachment.uploader_type == "customer",
                    Attachment.uploader_id == actor.customer_id,
                )
                .values(uploader_id=member.id)
            )
    if member_id is None:
        raise _verify_failed()
    return member_id, issue_customer_token(kefu, actor.tenant_id, member_id)
