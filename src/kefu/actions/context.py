"""What every action needs: the database, the broker, the clock, the settings, the actor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kefu.clock import Clock
from kefu.realtime.broker import Broker
from kefu.settings import Settings
from kefu.storage.database import Database


class ActorKind(StrEnum):
    STAFF = "staff"
    MACHINE = "machine"
    CUSTOMER = "customer"


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    tenant_id: int
    agent_id: int | None = None
    role: Role | None = None
    customer_id: int | None = None
    token_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.kind is ActorKind.STAFF

    @property
    def is_customer(self) -> bool:
        return self.kind is ActorKind.CUSTOMER

    @property
    def is_supervisor(self) -> bool:
        """Supervisors, admins and machines may act on anyone's conversations."""
        if self.kind is ActorKind.MACHINE:
            return True
        return self.role in (Role.SUPERVISOR, Role.ADMIN)


@dataclass
class Kefu:
    """The application's shared services, created once per process."""

    settings: Settings
    db: Database
    broker: Broker
    clock: Clock


@dataclass
class Tx:
    """One write transaction, and the notifications to publish once it commits."""

    session: AsyncSession
    now: Any
    notifications: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def notify(self, channel: str, message: dict[str, Any]) -> None:
        self.notifications.append((channel, message))


@asynccontextmanager
async def transaction(kefu: Kefu) -> AsyncIterator[Tx]:
    """Run do_* writes in one transaction; publish notifications after commit only."""
    async with kefu.db.write() as session:
        tx = Tx(session=session, now=kefu.clock.now())
        yield tx
    for channel, message in tx.notifications:
        await kefu.broker.publish(channel, message)
