"""Managing staff accounts (the admin console's 客服账号 page): create, change role,
capacity, department and active state, reset a password. Admins only; each change is
audited in the same transaction (section ``agents``, target = the 工号), and passwords
never reach the audit row.

Deactivating an account (or resetting its password) ends its sessions at once, and a
deactivated agent goes offline so their waiting conversations return to the queue
(the same path as signing out). An admin cannot deactivate or demote themselves, so a
tenant never locks its last door from inside."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import delete, select

from kefu.actions import presence_leases
from kefu.actions.audit import record_change
from kefu.actions.auth import hash_password_off_loop
from kefu.actions.context import Actor, ActorKind, Kefu, Role, Tx, transaction
from kefu.domain.vocabulary import Presence
from kefu.errors import Conflict, Forbidden, InvalidInput, NotFound
from kefu.storage.models import Agent, Department, StaffSession

_FIELD_ZH = {
    "email": "邮箱",
    "agent_no": "工号",
    "display_name": "姓名",
    "role": "角色",
    "capacity": "接待上限",
    "password": "密码",
    "department_code": "部门",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AgentChanges(_Model):
    role: Role
    capacity: Annotated[int, Field(ge=0, le=100)]
    department_code: Annotated[str, Field(max_length=64)] = ""
    is_active: bool = True


class NewAgent(AgentChanges):
    email: Annotated[str, Field(pattern=r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$", max_length=254)]
    agent_no: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
    display_name: Annotated[str, Field(min_length=1, max_length=100)]
    password: Annotated[str, Field(min_length=8, max_length=256)]


def _invalid(err: ValidationError) -> InvalidInput:
    fields: dict[str, dict[str, str]] = {}
    for e in err.errors():
        key = str(e["loc"][0]) if e["loc"] else "agent"
        fields.setdefault(key, {"code": e["type"], "message": f"{_FIELD_ZH.get(key, key)}无效",
                                "message_en": e["msg"]})  # fmt: skip
    first = next(iter(fields))
    return InvalidInput(
        "invalid_agent",
        f"账号信息有误：{fields[first]['message']}，未保存",
        f"invalid account: {first} {fields[first]['message_en']}; nothing was saved",
        details={"fields": fields},
    )


def check_new_agent(data: dict[str, Any]) -> NewAgent:
    try:
        return NewAgent.model_validate(data)
    except ValidationError as err:
        raise _invalid(err) from None


def check_agent_changes(data: dict[str, Any]) -> AgentChanges:
    try:
        return AgentChanges.model_validate(data)
    except ValidationError as err:
        raise _invalid(err) from None


def require_staff_admin(actor: Actor) -> None:
    if actor.kind is ActorKind.STAFF and actor.role is Role.ADMIN:
        return
    raise Forbidden("只有管理员可以管理客服账号", "only an admin may manage staff accounts")


def _snapshot(agent: Agent, department_code: str) -> dict[str, Any]:
    return {"display_name": agent.display_name, "email": agent.email, "role": agent.role,
            "capacity": agent.capacity, "department": department_code,
            "is_active": agent.is_active}  # fmt: skip


async def _department_id(tx: Tx, actor: Actor, code: str) -> int | None:
    if not code:
        return None
    dept = (
        await tx.session.execute(
            select(Department).where(
                Department.tenant_id == actor.tenant_id, Department.code == code
            )
        )
    ).scalar_one_or_none()
    if dept is None:
        raise InvalidInput("unknown_department", "没有这个部门", f"no department {code!r}")
    return dept.id


async def _department_code(tx: Tx, department_id: int | None) -> str:
    dept = await tx.session.get(Department, department_id) if department_id else None
    return dept.code if dept else ""


async def access_staff(tx: Tx, actor: Actor, agent_id: int) -> Agent:
    agent = await tx.session.get(Agent, agent_id, with_for_update=True)
    if agent is None or agent.tenant_id != actor.tenant_id:
        raise NotFound("agent", "客服账号")
    return agent


async def do_create_agent(kefu: Kefu, actor: Actor, new: NewAgent) -> Agent:
    require_staff_admin(actor)
    password_hash = await hash_password_off_loop(kefu, new.password)  # before the write lock
    async with transaction(kefu) as tx:
        email = new.email.lower()
        if (await tx.session.execute(select(Agent.id).where(Agent.email == email))).first():
            raise Conflict("email_taken", "该邮箱已被使用", "email already in use")
        taken = await tx.session.execute(
            select(Agent.id).where(
                Agent.tenant_id == actor.tenant_id, Agent.agent_no == new.agent_no
            )
        )
        if taken.first():
            raise Conflict("agent_no_taken", "该工号已被使用", "this 工号 is already in use")
        agent = Agent(
            tenant_id=actor.tenant_id,
            agent_no=new.agent_no,
            email=email,
            display_name=new.display_name,
            role=new.role.value,
            password_hash=password_hash,
            department_id=await _department_id(tx, actor, new.department_code),
            capacity=new.capacity,
            presence=Presence.OFFLINE.value,
            is_active=new.is_active,
            created_at=tx.now,
        )
        tx.session.add(agent)
        await tx.session.flush()
        after = _snapshot(agent, new.department_code)
        await record_change(kefu, tx.session, actor, "agents", None, after, target=agent.agent_no)
        return agent


async def _end_sessions(tx: Tx, agent: Agent) -> None:
    await tx.session.execute(delete(StaffSession).where(StaffSession.agent_id == agent.id))
    await presence_leases.drop_leases(tx, agent.id)
    await presence_leases.go_offline(tx, agent, presence_leases.SIGNED_OUT)


async def do_update_agent(kefu: Kefu, actor: Actor, agent_id: int, changes: AgentChanges) -> Agent:
    require_staff_admin(actor)
    async with transaction(kefu) as tx:
        agent = await access_staff(tx, actor, agent_id)
        if agent.id == actor.agent_id and (not changes.is_active or changes.role is not Role.ADMIN):
            raise Conflict(
                "cannot_lock_out_self",
                "不能停用自己或取消自己的管理员角色",
                "you cannot deactivate or demote yourself",
            )
        before = _snapshot(agent, await _department_code(tx, agent.department_id))
        agent.role = changes.role.value
        agent.capacity = changes.capacity
        agent.department_id = await _department_id(tx, actor, changes.department_code)
        was_active, agent.is_active = agent.is_active, changes.is_active
        if was_active and not agent.is_active:
            await _end_sessions(tx, agent)
        after = _snapshot(agent, changes.department_code)
        if after != before:
            await record_change(
                kefu, tx.session, actor, "agents", before, after, target=agent.agent_no
            )
        return agent


async def do_reset_password(kefu: Kefu, actor: Actor, agent_id: int, password: str) -> None:
    require_staff_admin(actor)
    if not 8 <= len(password) <= 256:
        raise InvalidInput("weak_password", "密码至少 8 位", "password needs 8+ characters")
    password_hash = await hash_password_off_loop(kefu, password)
    async with transaction(kefu) as tx:
        agent = await access_staff(tx, actor, agent_id)
        agent.password_hash = password_hash
        agent.password_changed_at = tx.now
        if agent.id != actor.agent_id:
            # the admin knows this password: the member must choose their own at the
            # next sign-in (docs/security.md, actions/passwords.py)
            agent.must_change_password = True
            await _end_sessions(tx, agent)
        await record_change(kefu, tx.session, actor, "agents", {"password": "（旧密码）"},
                            {"password": "（已重置）"}, target=agent.agent_no)  # fmt: skip
