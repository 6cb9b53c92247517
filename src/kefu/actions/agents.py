"""Staff: creation and presence."""

from __future__ import annotations

from sqlalchemy import select

from kefu.actions import presence_leases
from kefu.actions.access import access_agent_by_id, require_staff
from kefu.actions.auth import hash_password_off_loop
from kefu.actions.context import Actor, Kefu, Role, transaction
from kefu.domain.vocabulary import Presence
from kefu.errors import Conflict, InvalidInput
from kefu.realtime.broker import tenant_channel
from kefu.storage.models import Agent, Department


async def do_set_presence(
    kefu: Kefu, actor: Actor, presence: str, capacity: int | None = None
) -> Agent:
    require_staff(actor)
    try:
        value = Presence(presence)
    except ValueError:
        raise InvalidInput(
            "invalid_presence",
            "状态须为 在线/忙碌/离开/离线",
            "presence must be online/busy/away/offline",
        ) from None
    if capacity is not None and not 0 <= capacity <= 100:
        raise InvalidInput("invalid_capacity", "接待上限须在 0–100 之间", "capacity must be 0-100")
    assert actor.agent_id is not None
    async with transaction(kefu) as tx:
        agent = await access_agent_by_id(tx.session, actor, actor.agent_id)
        if agent.presence != value.value:
            agent.presence = value.value
            agent.presence_changed_at = tx.now
        if capacity is not None:
            agent.capacity = capacity
        if value is Presence.OFFLINE:  # 离线: waiting customers go back to the queue now
            await presence_leases.go_offline(tx, agent, "agent_offline")
        tx.notify(
            tenant_channel(agent.tenant_id),
            {"type": "presence", "agent_id": agent.id, "presence": agent.presence},
        )
    # an agent coming online (or freeing capacity) takes waiting conversations now
    from kefu.actions import queueing

    await queueing.on_presence_changed(kefu, actor.tenant_id)
    return agent


async def create_agent(
    kefu: Kefu,
    tenant_id: int,
    *,
    email: str,
    password: str,
    agent_no: str,
    display_name: str,
    role: Role = Role.AGENT,
    department_code: str | None = None,
    capacity: int = 5,
) -> Agent:
    """Used by the CLI and demo loader (trusted callers)."""
    if len(password) < 8:
        raise InvalidInput("weak_password", "密码至少 8 位", "password needs 8+ characters")
    password_hash = await hash_password_off_loop(kefu, password)
    async with transaction(kefu) as tx:
        existing = (
            await tx.session.execute(select(Agent).where(Agent.email == email.lower()))
        ).scalar_one_or_none()
        if existing is not None:
            raise Conflict("email_taken", "该邮箱已被使用", "email already in use")
        dept_id = None
        if department_code:
            dept = (
                await tx.session.execute(
                    select(Department).where(
                        Department.tenant_id == tenant_id, Department.code == department_code
                    )
                )
            ).scalar_one()
            dept_id = dept.id
        agent = Agent(
            tenant_id=tenant_id,
            agent_no=agent_no,
            email=email.lower(),
            display_name=display_name,
            role=role.value,
            password_hash=password_hash,
            department_id=dept_id,
            capacity=capacity,
            presence=Presence.OFFLINE.value,
            is_active=True,
            created_at=tx.now,
        )
        tx.session.add(agent)
        await tx.session.flush()
        return agent
