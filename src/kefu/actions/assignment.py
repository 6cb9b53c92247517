"""Who handles a conversation: claims and hand-outs (atomic: row locks on the
conversation and the agent, capacity re-checked under the lock) and transfers."""

from __future__ import annotations

from sqlalchemy import func, select

from kefu.actions.access import (
    access_agent_by_id,
    access_conversation_by_public_id,
    access_department_by_code,
    require_staff,
)
from kefu.actions.context import Actor, Kefu, Tx, transaction
from kefu.actions.conversation_status import (
    ACTIVE_FOR_AGENT,
    agent_snapshot,
    check_message_body,
    set_status,
)
from kefu.actions.timeline import append_event
from kefu.domain.conversation_state import (
    AuthorType,
    EventType,
    Status,
    Visibility,
    check_transition,
)
from kefu.errors import Conflict, Forbidden, InvalidInput
from kefu.storage.models import Agent, Conversation


async def active_count(tx: Tx, agent_id: int) -> int:
    stmt = select(func.count(Conversation.id)).where(
        Conversation.assignee_id == agent_id, Conversation.status.in_(ACTIVE_FOR_AGENT)
    )
    return int((await tx.session.execute(stmt)).scalar_one())


async def assign(
    tx: Tx, conv: Conversation, agent: Agent, *, by_agent_id: int | None, force: bool = False
) -> None:
    if conv.assignee_id == agent.id and conv.status in ACTIVE_FOR_AGENT:
        return
    if conv.status in (Status.RESOLVED, Status.CLOSED):
        raise Conflict(
            "conversation_not_open", "会话已结束，请先重新打开", "reopen the conversation first"
        )
    if not force and await active_count(tx, agent.id) >= agent.capacity:
        raise Conflict(
            "agent_at_capacity",
            f"客服 {agent.agent_no} 已达接待上限",
            f"agent {agent.agent_no} is at capacity",
        )
    previous = conv.assignee_id
    if conv.status in (Status.BOT, Status.QUEUED):
        check_transition(conv.status, Status.ASSIGNED.value)
        conv.status = Status.ASSIGNED.value
    conv.assignee_id = agent.id
    conv.assigned_at = tx.now
    if conv.department_id is None:
        conv.department_id = agent.department_id
    agent.last_assigned_at = tx.now
    await append_event(
        tx,
        conv,
        EventType.ASSIGNMENT,
        author_type=AuthorType.AGENT if by_agent_id else AuthorType.SYSTEM,
        author_id=by_agent_id,
        data={
            "agent_id": agent.id,
            "agent_no": agent.agent_no,
            "name": agent.display_name,
            "previous_agent_id": previous,
        },
    )


async def do_assign_conversation(
    kefu: Kefu, actor: Actor, public_id: str, agent_id: int, *, force: bool = False
) -> Conversation:
    async with transaction(kefu) as tx:
        conv = await access_conversation_by_public_id(tx.session, actor, public_id, for_update=True)
        require_staff(actor)
        if agent_id != actor.agent_id and not actor.is_supervisor:
            raise Forbidden("只有主管可以把会话分配给他人", "only supervisors assign to others")
        if conv.assignee_id and conv.assignee_id != agent_id and not actor.is_supervisor:
            raise Conflict(
                "already_assigned", "该会话已由其他客服接待", "already assigned to another agent"
            )
        agent = await lock_agent(tx, actor, agent_id)
        await assign(tx, conv, agent, by_agent_id=actor.agent_id, force=force)
        return conv


async def lock_agent(tx: Tx, actor: Actor, agent_id: int) -> Agent:
    """Lock the agent row so capacity checks for one agent are serialised."""
    await access_agent_by_id(tx.session, actor, agent_id)
    stmt = select(Agent).where(Agent.id == agent_id).with_for_update()
    return (await tx.session.execute(stmt)).scalar_one()


async def do_transfer_conversation(
    kefu: Kefu,
    actor: Actor,
    public_id: str,
    *,
    department_code: str | None,
    agent_id: int | None,
    note: str = "",
) -> Conversation:
    if not department_code and agent_id is None:
        raise InvalidInput(
            "transfer_target_missing", "请选择要转接的部门或客服", "give a department or an agent"
        )
    async with transaction(kefu) as tx:
        conv = await access_conversation_by_public_id(tx.session, actor, public_id, for_update=True)
        require_staff(actor)
        if conv.status in (Status.RESOLVED, Status.CLOSED):
            raise Conflict(
                "conversation_not_open", "会话已结束，请先重新打开", "reopen the conversation first"
            )
        dept = (
            await access_department_by_code(tx.session, actor, department_code)
            if department_code
            else None
        )
        target = await lock_agent(tx, actor, agent_id) if agent_id is not None else None
        from_department = conv.department_id
        if dept is not None:
            conv.department_id = dept.id
        elif target is not None:
            conv.department_id = target.department_id
        await append_event(
            tx,
            conv,
            EventType.TRANSFER,
            author_type=AuthorType.AGENT,
            author_id=actor.agent_id,
            data={
                "from_department_id": from_department,
                "to_department": dept.code if dept else None,
                "to_department_name": dept.name if dept else None,
                "to_agent_id": target.id if target else None,
                "to_agent_no": target.agent_no if target else None,
            },
        )
        if note.strip():
            await append_event(
                tx,
                conv,
                EventType.NOTE,
                author_type=AuthorType.AGENT,
                author_id=actor.agent_id,
                body=check_message_body(kefu, note, False),
                visibility=Visibility.INTERNAL,
                data={**await agent_snapshot(tx, actor), "transfer_note": True},
            )
        if target is not None:
            conv.assignee_id = None
            await assign(tx, conv, target, by_agent_id=actor.agent_id)
        elif conv.status != Status.QUEUED:
            await set_status(
                tx, conv, Status.QUEUED, AuthorType.AGENT, actor.agent_id, reason="transfer"
            )
        return conv
