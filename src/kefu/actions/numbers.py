"""Allocating readable conversation numbers from each tenant's daily counter."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from kefu.actions.context import Tx
from kefu.domain.numbering import format_number, number_day
from kefu.storage.models import NumberCounter


async def next_conversation_number(tx: Tx, timezone: str, tenant_id: int) -> str:
    day = number_day(tx.now, timezone)
    for _ in range(3):
        result = await tx.session.execute(
            update(NumberCounter)
            .where(NumberCounter.tenant_id == tenant_id, NumberCounter.day == day)
            .values(value=NumberCounter.value + 1)
            .returning(NumberCounter.value)
        )
        value = result.scalar_one_or_none()
        if value is not None:
            return format_number(day, int(value))
        try:
            async with tx.session.begin_nested():
                tx.session.add(NumberCounter(tenant_id=tenant_id, day=day, value=1))
            return format_number(day, 1)
        except IntegrityError:
            continue  # another transaction created today's counter first
    raise RuntimeError("could not allocate a conversation number")
