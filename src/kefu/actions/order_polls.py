"""Polling: the fallback when a marketplace's callback was lost (dujiao-next advises it).

Each tenant with an order source and ``poll_minutes`` > 0 gets one ``orders.poll`` job per
interval (the key is the tenant and the interval's number, so any number of processes
plan it once). The job looks up the tenant's open orders not updated for an interval
(at most 50, oldest first) through the adapter and applies what changed — the same path
as a callback (actions/order_sync.py), with source 「定时查询」.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from kefu.actions.context import Kefu, transaction
from kefu.actions.order_source import open_order_adapter
from kefu.actions.order_sync import apply_order_snapshot
from kefu.actions.outbox import enqueue
from kefu.domain.tenant_settings import parse_tenant_settings
from kefu.domain.vocabulary import OrderStatus, OrderUpdateSource
from kefu.storage.models import Job, Order, Tenant

JOB_KIND = "orders.poll"
BATCH = 50
#: statuses that can still change by themselves at the marketplace
OPEN = tuple(
    s.value
    for s in (
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.PAID,
        OrderStatus.PROCESSING,
        OrderStatus.PARTIALLY_DELIVERED,
        OrderStatus.REFUNDING,
    )
)


async def plan_order_polls(kefu: Kefu) -> int:
    """One poll job per connected tenant and interval; returns how many were added."""
    now = kefu.clock.now()
    async with kefu.db.read() as session:
        tenants = (await session.execute(select(Tenant.id, Tenant.settings))).all()
    due = []
    for tenant_id, raw in tenants:
        source = parse_tenant_settings(raw).order_source
        if source is not None and source.poll_minutes > 0:
            interval = int(now.timestamp() // (source.poll_minutes * 60))
            due.append((tenant_id, f"{tenant_id}:{interval}"))
    if not due:
        return 0
    async with kefu.db.read() as session:  # most ticks: already planned, no write at all
        planned = set(
            (
                await session.execute(
                    select(Job.key).where(Job.kind == JOB_KIND, Job.key.in_([k for _, k in due]))
                )
            ).scalars()
        )
    due = [(t, k) for t, k in due if k not in planned]
    if not due:
        return 0
    added = 0
    async with transaction(kefu) as tx:
        for tenant_id, key in due:
            job = await enqueue(tx, JOB_KIND, key, {"tenant_id": tenant_id},
                                tenant_id=tenant_id, fast_path=False, run_at=tx.now)  # fmt: skip
            added += job is not None
    return added


async def run_poll_job(kefu: Kefu, job: Job) -> None:
    tenant_id = int(job.payload["tenant_id"])
    async with kefu.db.read() as session:
        tenant = await session.get(Tenant, tenant_id)
        if tenant is None:
            return
        settings = parse_tenant_settings(tenant.settings)
        source = settings.order_source
        if source is None or source.poll_minutes <= 0:
            return
        stale = kefu.clock.now() - timedelta(minutes=source.poll_minutes)
        numbers = list(
            (
                await session.execute(
                    select(Order.order_no)
                    .where(Order.tenant_id == tenant_id, Order.status.in_(OPEN),
                           Order.updated_at <= stale)
                    .order_by(Order.updated_at)
                    .limit(BATCH)
                )
            ).scalars()
        )  # fmt: skip
    if not numbers:
        return
    async with open_order_adapter(kefu, tenant_id, settings) as adapter:
        batch = await adapter.poll(numbers, None)
        kind = adapter.kind
    async with transaction(kefu) as tx:
        for event in batch.events:
            if event.snapshot is not None:
                await apply_order_snapshot(
                    tx, tenant_id, event.snapshot, source=OrderUpdateSource.POLL, marketplace=kind
                )
