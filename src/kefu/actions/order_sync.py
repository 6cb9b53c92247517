"""Orders as they change at the marketplace: mirrored, and told on the timeline.

Every way kefu learns of an order change — the marketplace's signed callback, a poll, a
refresh, the machine upsert API, a refund or re-issue kefu sent — ends in
``apply_order_snapshot`` / ``record_order_change``: the ``orders`` row takes the new
status, and each open conversation of that order (linked to it, or of its customer) gets
one public ``order_update`` event ("订单 … 已退款"). The bot reads the same row, so its
next answer has the fresh status.

Card codes in a snapshot are never written here (dujiao-next: read on demand through the
adapter; docs/orders.md).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import ColumnElement, or_, select

from kefu.actions.access import access_order_by_no, access_tenant
from kefu.actions.context import Actor, ActorKind, Kefu, Tx, transaction
from kefu.actions.order_source import codes_purpose, open_order_adapter, secret_box
from kefu.actions.timeline import append_event
from kefu.channels.orders import (
    Capability,
    OrderAdapter,
    OrderEvent,
    OrderSnapshot,
    WebhookRejected,
)
from kefu.domain.conversation_state import OPEN_STATUSES, AuthorType, EventType
from kefu.domain.tenant_settings import parse_tenant_settings
from kefu.domain.vocabulary import MarketplaceKind, OrderUpdateSource
from kefu.errors import Forbidden, KefuError, NotFound
from kefu.storage.models import Conversation, ConversationOrder, Customer, Order, Tenant


class WebhookRefused(KefuError):
    status_code = 401

    def __init__(self, err: WebhookRejected) -> None:
        super().__init__(err.code, err.message_zh, err.message_en)


class HookTooLarge(KefuError):
    status_code = 413

    def __init__(self) -> None:
        super().__init__("hook_too_large", "回调内容过大", "callback body too large")


async def record_order_change(
    tx: Tx,
    order: Order,
    previous: str | None,
    *,
    source: OrderUpdateSource,
    marketplace: MarketplaceKind | None = None,
) -> int:
    """One ``order_update`` event on each open conversation of the order (when its status
    changed); returns how many conversations were told."""
    if previous == order.status:
        return 0
    linked = select(ConversationOrder.conversation_id).where(ConversationOrder.order_id == order.id)
    mine: list[ColumnElement[bool]] = [Conversation.id.in_(linked)]
    if order.customer_id is not None:
        mine.append(Conversation.customer_id == order.customer_id)
    convs = (
        (
            await tx.session.execute(
                select(Conversation)
                .where(
                    Conversation.tenant_id == order.tenant_id,
                    Conversation.status.in_([s.value for s in OPEN_STATUSES]),
                    or_(*mine),
                )
                .order_by(Conversation.id)
            )
        )
        .scalars()
        .all()
    )
    known = set((await tx.session.execute(linked)).scalars())
    data = {
        "order_no": order.order_no,
        "to": order.status,
        "from": previous,
        "upstream_status": order.upstream_status or "",
        "source": source.value,
        "marketplace": marketplace.value if marketplace else None,
    }
    for conv in convs:
        if conv.id not in known:
            tx.session.add(ConversationOrder(conversation_id=conv.id, order_id=order.id))
        await append_event(tx, conv, EventType.ORDER_UPDATE, author_type=AuthorType.SYSTEM,
                           data=data)  # fmt: skip
    return len(convs)


async def apply_order_snapshot(
    tx: Tx,
    tenant_id: int,
    snap: OrderSnapshot,
    *,
    source: OrderUpdateSource,
    marketplace: MarketplaceKind,
    sealed_codes: str | None = None,
) -> Order:
    """Mirror the marketplace's order (create it if new) and tell its conversations.

    ``sealed_codes``: codes the marketplace pushed and cannot be asked for again
    (dujiaoka), already sealed by the caller; the snapshot's clear codes are never
    stored."""
    order = (
        await tx.session.execute(
            select(Order).where(Order.tenant_id == tenant_id, Order.order_no == snap.order_no)
        )
    ).scalar_one_or_none()
    previous = None if order is None else order.status
    customer_id = order.customer_id if order is not None else None
    if customer_id is None and (snap.customer_ref or snap.contact):
        # the marketplace's user id; else (dujiaoka: guests) the order's e-mail
        who = (
            Customer.external_id == snap.customer_ref
            if snap.customer_ref
            else Customer.email == (snap.contact or "").strip().lower()
        )
        customer_id = (
            await tx.session.execute(
                select(Customer.id).where(Customer.tenant_id == tenant_id, who).limit(1)
            )
        ).scalar_one_or_none()
    if order is None:
        order = Order(
            tenant_id=tenant_id,
            order_no=snap.order_no,
            product=snap.product or snap.order_no,
            amount=snap.amount,
            created_at=snap.created_at or tx.now,
        )
        tx.session.add(order)
    order.customer_id = customer_id
    order.status = snap.status.value
    order.upstream_status = snap.upstream_status[:64]
    order.product = (snap.product or order.product)[:200]
    if snap.amount:
        order.amount = snap.amount
    order.paid_at = snap.paid_at or order.paid_at
    order.delivered_at = snap.delivered_at or order.delivered_at
    order.updated_at = tx.now
    if sealed_codes:
        order.card_codes_sealed = sealed_codes
    if snap.contact and "@" in snap.contact:
        order.contact_email = snap.contact[:254]
    await tx.session.flush()
    await record_order_change(tx, order, previous, source=source, marketplace=marketplace)
    return order


async def _tenant(kefu: Kefu, slug: str) -> Tenant:
    async with kefu.db.read() as session:
        tenant = (
            await session.execute(select(Tenant).where(Tenant.slug == slug))
        ).scalar_one_or_none()
    if tenant is None:
        raise NotFound("tenant", "平台")
    return tenant


async def do_receive_order_webhook(
    kefu: Kefu, tenant_slug: str, kind: str, headers: Mapping[str, str], path: str, body: bytes
) -> int:
    """A marketplace's pushed event: verified by the tenant's adapter (signature, clock,
    secret URL), then applied. Returns the number of events applied. Anything that does
    not verify is refused (401) and nothing is written."""
    tenant = await _tenant(kefu, tenant_slug)
    settings = parse_tenant_settings(tenant.settings)
    source = settings.order_source
    if source is None or source.kind.value != kind:
        raise NotFound("order_source", "订单系统")
    async with open_order_adapter(kefu, tenant.id, settings) as adapter:
        try:
            events = adapter.parse_webhook(headers, path, body, kefu.clock.now())
        except WebhookRejected as err:
            raise WebhookRefused(err) from None
        snapshots = [await _snapshot_of(adapter, e) for e in events]
        keeps_codes = Capability.LOOKUP not in adapter.capabilities
    async with transaction(kefu) as tx:
        for snap in snapshots:
            if snap is None:
                continue
            sealed = None
            if keeps_codes and snap.card_codes:  # pushed once, cannot be fetched again
                sealed = secret_box(kefu).seal(
                    "\n".join(snap.card_codes), codes_purpose(tenant.id, snap.order_no)
                )
            await apply_order_snapshot(
                tx,
                tenant.id,
                snap,
                source=OrderUpdateSource.WEBHOOK,
                marketplace=source.kind,
                sealed_codes=sealed,
            )
    return sum(1 for s in snapshots if s is not None)


async def _snapshot_of(adapter: OrderAdapter, event: OrderEvent) -> OrderSnapshot | None:
    """The event's order; a thin event (no snapshot) is looked up."""
    if event.snapshot is not None:
        return event.snapshot
    return await adapter.lookup(event.order_no)


async def do_refresh_order(kefu: Kefu, actor: Actor, order_no: str) -> Order:
    """Ask the marketplace for a mirrored order now (staff and machines) and apply what
    it says."""
    async with kefu.db.read() as session:
        await access_order_by_no(session, actor, order_no)  # only orders of this tenant
        tenant = await access_tenant(session, actor)
    require_staff_or_machine(actor)
    settings = parse_tenant_settings(tenant.settings)
    async with open_order_adapter(kefu, tenant.id, settings) as adapter:
        snap = await adapter.lookup(order_no)
        kind = adapter.kind
    if snap is None:
        raise NotFound("order", "订单")
    async with transaction(kefu) as tx:
        return await apply_order_snapshot(
            tx, tenant.id, snap, source=OrderUpdateSource.LOOKUP, marketplace=kind
        )


def require_staff_or_machine(actor: Actor) -> None:
    if actor.kind is ActorKind.CUSTOMER:
        raise Forbidden("客户不能刷新订单", "customers cannot refresh orders")
