"""Steps shared by the conversation use cases: who is writing, what a message may be,
and changing status (with its timeline event). Called inside a caller's transaction."""

from __future__ import annotations

from typing import Any

from kefu.actions.context import Actor, ActorKind, Kefu, Tx
from kefu.actions.timeline import append_event
from kefu.domain.conversation_state import (
    AuthorType,
    EventType,
    Status,
    check_transition,
    is_reopen,
)
from kefu.errors import InvalidInput
from kefu.storage.models import Agent, Conversation

ACTIVE_FOR_AGENT = (Status.ASSIGNED.value, Status.WAITING_CUSTOMER.value)


def author_of(actor: Actor) -> tuple[AuthorType, int | None]:
    if actor.kind is ActorKind.CUSTOMER:
        return AuthorType.CUSTOMER, actor.customer_id
    if actor.kind is ActorKind.STAFF:
        return AuthorType.AGENT, actor.agent_id
    return AuthorType.SYSTEM, None


def check_message_body(kefu: Kefu, body: str, has_attachments: bool) -> str:
    text = body.strip()
    if not text and not has_attachments:
        raise InvalidInput("empty_message", "消息不能为空", "message is empty")
    if len(text) > kefu.settings.message_max_chars:
        raise InvalidInput(
            "message_too_long",
            f"消息太长（最多 {kefu.settings.message_max_chars} 字）",
            f"message longer than {kefu.settings.message_max_chars} characters",
        )
    return text


async def agent_snapshot(tx: Tx, actor: Actor) -> dict[str, Any]:
    if actor.agent_id is None:
        return {}
    agent = await tx.session.get(Agent, actor.agent_id)
    if agent is None:
        return {}
    return {"author": {"name": agent.display_name, "agent_no": agent.agent_no}}


async def set_status(
    tx: Tx,
    conv: Conversation,
    target: Status,
    author_type: AuthorType,
    author_id: int | None,
    *,
    reason: str = "",
) -> None:
    current = conv.status
    check_transition(current, target.value)
    conv.status = target.value
    if target is Status.QUEUED:
        conv.queued_at = tx.now
        conv.assignee_id = None
    if target is Status.RESOLVED:
        conv.resolved_at = tx.now
    if target is Status.CLOSED:
        conv.closed_at = tx.now
    if is_reopen(current, target.value):
        conv.resolved_at = None
        conv.closed_at = None
        conv.first_responded_at = None  # a reopened problem is owed a new first answer
    await append_event(
        tx,
        conv,
        EventType.STATUS_CHANGE,
        author_type=author_type,
        author_id=author_id,
        data={"from": current, "to": target.value, "reason": reason},
    )


async def reopen(
    tx: Tx,
    conv: Conversation,
    *,
    reason: str,
    author_type: AuthorType = AuthorType.SYSTEM,
    author_id: int | None = None,
) -> Status:
    """The one reopen: a resolved or closed conversation goes back to its agent
    (``assigned``) or, without one, to the queue; the resolution times are cleared and a
    new first answer is owed (``set_status``). Returns the status it reopened to."""
    target = Status.ASSIGNED if conv.assignee_id else Status.QUEUED
    await set_status(tx, conv, target, author_type, author_id, reason=reason)
    return target
