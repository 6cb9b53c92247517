"""A tenant on a Kefu driven directly through the actions layer, with a FakeClock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from kefu.actions import agents as agent_actions
from kefu.actions import console_presence
from kefu.actions import conversations as conv_actions
from kefu.actions.context import Actor, ActorKind, Kefu, Role, transaction
from kefu.clock import FakeClock
from kefu.storage.models import Agent, Conversation, Customer, Event, Tenant
from tests.world import World, build_world


@dataclass
class Desk:
    kefu: Kefu
    clock: FakeClock
    world: World

    def staff(self, name: str) -> Actor:
        role = {"admin": Role.ADMIN, "supervisor": Role.SUPERVISOR}.get(name, Role.AGENT)
        return Actor(
            ActorKind.STAFF, self.world.tenant_id, agent_id=self.world.agents[name], role=role
        )

    def customer(self, ext: str = "m1") -> Actor:
        return Actor(
            ActorKind.CUSTOMER, self.world.tenant_id, customer_id=self.world.customers[ext]
        )

    async def console(self, name: str) -> None:
        """What a console socket does on hello: the agent is reachable (a lease; long,
        since these tests travel in time without a socket renewing it)."""
        connection = f"desk-{self.world.tenant_id}-{self.world.agents[name]}"
        await console_presence.do_open_console(self.kefu, self.staff(name), connection, 10**6)

    async def online(self, name: str, capacity: int | None = None) -> None:
        await self.console(name)
        await agent_actions.do_set_presence(self.kefu, self.staff(name), "online", capacity)

    async def presence(self, name: str, presence: str) -> None:
        await agent_actions.do_set_presence(self.kefu, self.staff(name), presence)

    async def say(self, who: Actor, public_id: str, body: str) -> None:
        await conv_actions.do_post_message(self.kefu, who, public_id, body)

    async def handoff(self, ext: str = "m1", category: str | None = "recharge_not_received") -> str:
        conv = await conv_actions.do_create_conversation(
            self.kefu, self.customer(ext), conv_actions.NewConversation()
        )
        await conv_actions.do_request_handoff(
            self.kefu, self.customer(ext), conv.public_id, category=category
        )
        return conv.public_id

    async def conv(self, public_id: str) -> Conversation:
        async with self.kefu.db.read() as session:
            return (
                await session.execute(
                    select(Conversation).where(Conversation.public_id == public_id)
                )
            ).scalar_one()

    async def events(self, public_id: str, type_: str | None = None) -> list[Event]:
        conv = await self.conv(public_id)
        async with self.kefu.db.read() as session:
            stmt = select(Event).where(Event.conversation_id == conv.id).order_by(Event.seq)
            if type_:
                stmt = stmt.where(Event.type == type_)
            return list((await session.execute(stmt)).scalars())

    async def set_tenant_settings(self, **values: Any) -> None:
        async with transaction(self.kefu) as tx:
            tenant = await tx.session.get(Tenant, self.world.tenant_id)
            assert tenant is not None
            tenant.settings = {**(tenant.settings or {}), **values}

    async def set_exclusive(self, ext: str, agent: str) -> None:
        async with transaction(self.kefu) as tx:
            customer = await tx.session.get(Customer, self.world.customers[ext])
            assert customer is not None
            customer.exclusive_agent_id = self.world.agents[agent]

    async def active_of(self, name: str) -> int:
        async with self.kefu.db.read() as session:
            rows = (
                await session.execute(
                    select(Conversation.id).where(
                        Conversation.assignee_id == self.world.agents[name],
                        Conversation.status.in_(("assigned", "waiting_customer")),
                    )
                )
            ).all()
        return len(rows)

    async def agent(self, name: str) -> Agent:
        async with self.kefu.db.read() as session:
            agent = await session.get(Agent, self.world.agents[name])
            assert agent is not None
            return agent


async def make_desk(kefu: Kefu, clock: FakeClock) -> Desk:
    return Desk(kefu, clock, await build_world(kefu))
