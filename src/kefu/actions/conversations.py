"""Conversation (= ticket) use cases: create, message, assign, transfer, status, note, rate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kefu.actions.access import (
    access_agent_by_id,
    access_conversation_by_public_id,
    access_customer_by_id,
    access_department_by_code,
    access_order_by_no,
    require_staff,
)
from kefu.actions.assignment import assign, lock_agent
from kefu.actions.attachments import link_attachments
from kefu.actions.context import Actor, Kefu, Tx, transaction
from kefu.actions.conversation_status import (
    agent_snapshot,
    author_of,
    check_message_body,
    reopen,
    set_status,
)
from kefu.actions.opening import Opening, open_conversation, opened_before
from kefu.actions.timeline import append_event, find_by_client_msg_id
from kefu.domain.conversation_state import (
    AuthorType,
    Channel,
    EventType,
    Priority,
    Status,
    Visibility,
    check_transition,
)
from kefu.domain.priority import initial_priority
from kefu.domain.redaction import redact
from kefu.errors import Conflict, Forbidden, InvalidInput
from kefu.storage.models import Conversation, Event


@dataclass
class NewConversation:
    channel: Channel = Channel.WEB
    subject: str = ""
    body: str = ""
    category: str | None = None
    customer_id: int | None = None
    department_code: str | None = None
    priority: int = Priority.NORMAL
    order_nos: list[str] = field(default_factory=list)
    client_msg_id: str | None = None
    start_with_bot: bool = True
    attachment_ids: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class PostedMessage:
    event: Event
    conversation: Conversation
    duplicate: bool = False
    redacted_kinds: list[str] = field(default_factory=list)


async def check_create_conversation(tx: Tx, actor: Actor, new: NewConversation) -> None:
    if actor.is_customer:
        new.customer_id = actor.customer_id
        new.department_code = None
        new.priority = Priority.NORMAL
    elif new.customer_id is not None:
        await access_customer_by_id(tx.session, actor, new.customer_id)
    if not 0 <= new.priority <= 3:
        raise InvalidInput("invalid_priority", "优先级须在 0–3 之间", "priority must be 0-3")
    if len(new.subject) > 300:
        raise InvalidInput("subject_too_long", "标题太长", "subject too long")


async def do_create_conversation(kefu: Kefu, actor: Actor, new: NewConversation) -> Conversation:
    """A resent create (same customer, same client_msg_id) returns the first one."""
    async with transaction(kefu) as tx:
        await check_create_conversation(tx, actor, new)
        if new.client_msg_id and new.customer_id is not None:
            earlier = await opened_before(tx, actor.tenant_id, new.customer_id, new.client_msg_id)
            if earlier is not None:
                return earlier
        if new.department_code:
            await access_department_by_code(tx.session, actor, new.department_code)
        for no in new.order_nos:
            await access_order_by_no(tx.session, actor, no)
        body = (
            check_message_body(kefu, new.body, bool(new.attachment_ids))
            if (new.body or new.attachment_ids)
            else ""
        )
        opened = await open_conversation(
            kefu,
            tx,
            actor.tenant_id,
            Opening(
                channel=new.channel,
                body=body,
                subject=new.subject,
                customer_id=new.customer_id,
                category=new.category,
                department_code=new.department_code,
                order_nos=list(new.order_nos),
                priority=new.priority,
                start_with_bot=new.start_with_bot,
                client_msg_id=new.client_msg_id,
                event_data=dict(new.data) | await agent_snapshot(tx, actor),
                attachment_ids=list(new.attachment_ids),
            ),
            author=actor,
        )
        return opened.conversation


async def append_message(
    tx: Tx,
    actor: Actor,
    conv: Conversation,
    text: str,
    data: dict[str, Any],
    client_msg_id: str | None,
    attachment_ids: list[str],
) -> Event:
    """Store one message: secrets masked first (and noted), then the uploads linked."""
    redaction = redact(text)
    if redaction.kinds:
        data["redacted"] = list(redaction.kinds)
    author_type, author_id = author_of(actor)
    event = await append_event(
        tx,
        conv,
        EventType.MESSAGE,
        author_type=author_type,
        author_id=author_id,
        body=redaction.text,
        data=data,
        client_msg_id=client_msg_id,
    )
    if attachment_ids:
        event.data = {
            **event.data,
            "attachments": await link_attachments(tx, actor, conv, event, attachment_ids),
        }
    return event


async def do_post_message(
    kefu: Kefu,
    actor: Actor,
    public_id: str,
    body: str,
    *,
    client_msg_id: str | None = None,
    attachment_ids: list[str] | None = None,
    quick_reply: str | None = None,
    lang: str | None = None,
) -> PostedMessage:
    """Store a message once per client_msg_id; a resend returns the stored event.
    `quick_reply` is the machine payload of a clicked quick reply (body is its label);
    `lang` the language of the customer's widget (zh / en), a hint for the bot."""
    try:
        return await _post_message(
            kefu, actor, public_id, body, client_msg_id, attachment_ids, quick_reply, lang
        )
    except IntegrityError:
        # a concurrent resend of the same client_msg_id won the race: return its event
        if client_msg_id is None:
            raise
        async with kefu.db.read() as session:
            conv = await access_conversation_by_public_id(session, actor, public_id)
            stmt = select(Event).where(
                Event.conversation_id == conv.id, Event.client_msg_id == client_msg_id
            )
            event = (await session.execute(stmt)).scalar_one()
            return PostedMessage(event=event, conversation=conv, duplicate=True)


async def _post_message(
    kefu: Kefu,
    actor: Actor,
    public_id: str,
    body: str,
    client_msg_id: str | None,
    attachment_ids: list[str] | None,
    quick_reply: str | None = None,
    lang: str | None = None,
) -> PostedMessage:
    attachment_ids = attachment_ids or []
    text = check_message_body(kefu, body, bool(attachment_ids))
    async with transaction(kefu) as tx:
        conv = await access_conversation_by_public_id(tx.session, actor, public_id, for_update=True)
        if client_msg_id:
            existing = await find_by_client_msg_id(tx, conv, client_msg_id)
            if existing is not None:
                return PostedMessage(event=existing, conversation=conv, duplicate=True)
        if conv.status == Status.CLOSED:
            raise Conflict(
                "conversation_closed",
                "该会话已关闭，请发起新的咨询",
                "this conversation is closed; start a new one",
            )
        if actor.is_customer:
            await _on_customer_message(tx, conv)
        elif actor.is_staff:
            await _on_agent_message(tx, actor, conv)
        data: dict[str, Any] = await agent_snapshot(tx, actor)
        if quick_reply and actor.is_customer:
            data["quick_reply"] = quick_reply
        if lang in ("zh", "en") and actor.is_customer:
            data["lang"] = lang
        event = await append_message(tx, actor, conv, text, data, client_msg_id, attachment_ids)
        return PostedMessage(
            event=event, conversation=conv, redacted_kinds=list(event.data.get("redacted", []))
        )


async def _on_customer_message(tx: Tx, conv: Conversation) -> None:
    if conv.status == Status.WAITING_CUSTOMER:
        target = Status.ASSIGNED if conv.assignee_id else Status.QUEUED
        await set_status(tx, conv, target, AuthorType.SYSTEM, None, reason="customer_replied")
    elif conv.status == Status.RESOLVED:
        await reopen(tx, conv, reason="customer_reopened")


async def _on_agent_message(tx: Tx, actor: Actor, conv: Conversation) -> None:
    if conv.status in (Status.BOT, Status.QUEUED) and actor.agent_id is not None:
        agent = await access_agent_by_id(tx.session, actor, actor.agent_id)
        await assign(tx, conv, agent, by_agent_id=actor.agent_id)
    if conv.first_responded_at is None:
        conv.first_responded_at = tx.now


async def do_change_status(
    kefu: Kefu, actor: Actor, public_id: str, status: str, *, reason: str = ""
) -> Conversation:
    async with transaction(kefu) as tx:
        conv = await access_conversation_by_public_id(tx.session, actor, public_id, for_update=True)
        require_staff(actor)
        target = check_transition(conv.status, status)
        if target is Status.ASSIGNED and conv.assignee_id is None:
            if actor.agent_id is None:
                raise InvalidInput(
                    "assignee_required", "请先分配客服", "assign an agent to reopen to assigned"
                )
            agent = await lock_agent(tx, actor, actor.agent_id)
            conv.assignee_id = agent.id
        await set_status(tx, conv, target, author_of(actor)[0], actor.agent_id, reason=reason[:200])
        return conv


async def do_add_note(kefu: Kefu, actor: Actor, public_id: str, body: str) -> Event:
    text = check_message_body(kefu, body, False)
    async with transaction(kefu) as tx:
        conv = await access_conversation_by_public_id(tx.session, actor, public_id, for_update=True)
        require_staff(actor)
        return await append_event(
            tx,
            conv,
            EventType.NOTE,
            author_type=author_of(actor)[0],
            author_id=actor.agent_id,
            body=redact(text).text,
            visibility=Visibility.INTERNAL,
            data=await agent_snapshot(tx, actor),
        )


async def do_rate_conversation(
    kefu: Kefu, actor: Actor, public_id: str, score: int, tags: list[str], comment: str
) -> Event:
    if not 1 <= score <= 5:
        raise InvalidInput("invalid_rating", "评分须为 1–5", "rating must be 1-5")
    async with transaction(kefu) as tx:
        conv = await access_conversation_by_public_id(tx.session, actor, public_id, for_update=True)
        if not actor.is_customer:
            raise Forbidden("只有客户可以评价", "only the customer can rate")
        if conv.status not in (Status.RESOLVED, Status.CLOSED):
            raise Conflict(
                "not_resolved", "问题解决后才能评价", "rate after the conversation is resolved"
            )
        conv.rating = score
        return await append_event(
            tx,
            conv,
            EventType.RATING,
            author_type=AuthorType.CUSTOMER,
            author_id=actor.customer_id,
            body=redact(comment.strip()[:1000]).text,
            data={"score": score, "tags": [t[:20] for t in tags[:10]]},
        )


async def do_request_handoff(
    kefu: Kefu,
    actor: Actor,
    public_id: str,
    *,
    reason: str = "button",
    urgent: bool = False,
    category: str | None = None,
    department_code: str | None = None,
) -> Conversation:
    """The customer is one step from a human: leave the bot, join the queue.
    Idempotent: a conversation already with (or waiting for) a person is unchanged."""
    async with transaction(kefu) as tx:
        conv = await access_conversation_by_public_id(tx.session, actor, public_id, for_update=True)
        if conv.status != Status.BOT:
            return conv
        if department_code and conv.department_id is None:
            conv.department_id = (
                await access_department_by_code(tx.session, actor, department_code)
            ).id
        if category and not conv.category:
            conv.category = category
        conv.priority = max(conv.priority, initial_priority(conv.category, urgent=urgent))
        conv.bot_state = {**(conv.bot_state or {}), "handed_over": True}
        await append_event(
            tx,
            conv,
            EventType.HANDOFF,
            author_type=author_of(actor)[0] if actor.is_customer else AuthorType.BOT,
            author_id=actor.customer_id if actor.is_customer else None,
            data={"reason": reason[:64], "urgent": urgent, "category": conv.category},
        )
        await set_status(tx, conv, Status.QUEUED, AuthorType.SYSTEM, None, reason="handoff")
        return conv
