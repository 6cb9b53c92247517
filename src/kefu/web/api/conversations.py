"""/api/v1/conversations: the ticket and its timeline."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from kefu.actions import assignment, ticket_merge
from kefu.actions import conversations as conv_actions
from kefu.actions.access import access_conversation_by_public_id
from kefu.actions.context import Kefu
from kefu.domain.conversation_state import Channel, Status
from kefu.errors import InvalidInput
from kefu.queries.listing import (
    ConversationFilters,
    list_conversations,
    reference_maps,
    timeline_since,
)
from kefu.storage.models import Conversation
from kefu.web.api.schemas import (
    ERROR_RESPONSES,
    AssignRequest,
    ConversationCreate,
    ConversationPublic,
    EventPublic,
    HandoffRequest,
    KeyPath,
    MessageCreate,
    MessagePosted,
    NoteCreate,
    Page,
    RatingCreate,
    StatusChange,
    Timeline,
    TransferRequest,
)
from kefu.web.deps import ActorDep, KefuDep

router = APIRouter(
    prefix="/api/v1/conversations", tags=["conversations"], responses=ERROR_RESPONSES
)


async def present(kefu: Kefu, conv: Conversation) -> ConversationPublic:
    async with kefu.db.read() as session:
        departments, agents = await reference_maps(session, [conv])
    return ConversationPublic.build(conv, departments, agents)


@router.post("", status_code=201)
async def create_conversation(
    body: ConversationCreate, kefu: KefuDep, actor: ActorDep
) -> ConversationPublic:
    new = conv_actions.NewConversation(
        channel=Channel(body.channel),
        subject=body.subject,
        body=body.body,
        category=body.category,
        customer_id=body.customer_id,
        department_code=body.department,
        priority=body.priority,
        order_nos=list(body.order_nos),
        client_msg_id=body.client_msg_id,
        start_with_bot=body.start_with_bot,
        attachment_ids=list(body.attachment_ids),
    )
    conv = await conv_actions.do_create_conversation(kefu, actor, new)
    return await present(kefu, conv)


StatusFilter = Literal["bot", "queued", "assigned", "waiting_customer", "resolved", "closed"]


@router.get("")
async def list_all(
    kefu: KefuDep,
    actor: ActorDep,
    status: Annotated[list[StatusFilter] | None, Query(max_length=6)] = None,
    department: Annotated[str | None, Query(max_length=64)] = None,
    assignee: Annotated[str | None, Query(max_length=12, pattern=r"^(me|none|[0-9]{1,9})$")] = None,
    channel: Annotated[Channel | None, Query()] = None,
    customer_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    number: Annotated[str | None, Query(max_length=32)] = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[ConversationPublic]:
    filters = ConversationFilters(
        statuses=list(status) if status else None,
        department_code=department,
        channel=channel,
        customer_id=customer_id,
        number=number,
    )
    if assignee == "me":
        if actor.agent_id is None:
            raise InvalidInput("not_an_agent", "只有客服可以使用 me", "'me' needs a staff sign-in")
        filters.assignee_id = actor.agent_id
    elif assignee == "none":
        filters.unassigned = True
    elif assignee is not None:
        filters.assignee_id = int(assignee)
    async with kefu.db.read() as session:
        rows, next_cursor = await list_conversations(session, actor, filters, cursor, limit)
        departments, agents = await reference_maps(session, rows)
    return Page[ConversationPublic](
        items=[ConversationPublic.build(c, departments, agents) for c in rows],
        next_cursor=next_cursor,
    )


@router.get("/{conversation_id}")
async def get_one(conversation_id: KeyPath, kefu: KefuDep, actor: ActorDep) -> ConversationPublic:
    async with kefu.db.read() as session:
        conv = await access_conversation_by_public_id(session, actor, conversation_id)
        departments, agents = await reference_maps(session, [conv])
    return ConversationPublic.build(conv, departments, agents)


@router.get("/{conversation_id}/events")
async def events(
    conversation_id: KeyPath,
    kefu: KefuDep,
    actor: ActorDep,
    after_seq: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> Timeline:
    async with kefu.db.read() as session:
        conv = await access_conversation_by_public_id(session, actor, conversation_id)
        rows, has_more = await timeline_since(session, actor, conv, after_seq, limit)
    return Timeline(
        conversation_id=conv.public_id,
        events=[EventPublic.build(conv.public_id, e, for_customer=actor.is_customer) for e in rows],
        last_seq=conv.last_seq,
        has_more=has_more,
    )


@router.post("/{conversation_id}/messages", status_code=201)
async def post_message(
    conversation_id: KeyPath, body: MessageCreate, kefu: KefuDep, actor: ActorDep
) -> MessagePosted:
    posted = await conv_actions.do_post_message(
        kefu,
        actor,
        conversation_id,
        body.body,
        client_msg_id=body.client_msg_id,
        attachment_ids=list(body.attachment_ids),
        quick_reply=body.quick_reply,
        lang=body.lang,
    )
    return MessagePosted(
        event=EventPublic.build(posted.conversation.public_id, posted.event),
        duplicate=posted.duplicate,
        redacted=posted.redacted_kinds,
    )


@router.post("/{conversation_id}/assign")
async def assign(
    conversation_id: KeyPath, body: AssignRequest, kefu: KefuDep, actor: ActorDep
) -> ConversationPublic:
    conv = await assignment.do_assign_conversation(
        kefu, actor, conversation_id, body.agent_id, force=body.force
    )
    return await present(kefu, conv)


@router.post("/{conversation_id}/transfer")
async def transfer(
    conversation_id: KeyPath, body: TransferRequest, kefu: KefuDep, actor: ActorDep
) -> ConversationPublic:
    conv = await assignment.do_transfer_conversation(
        kefu,
        actor,
        conversation_id,
        department_code=body.department,
        agent_id=body.agent_id,
        note=body.note,
    )
    return await present(kefu, conv)


@router.post("/{conversation_id}/status")
async def change_status(
    conversation_id: KeyPath, body: StatusChange, kefu: KefuDep, actor: ActorDep
) -> ConversationPublic:
    conv = await conv_actions.do_change_status(
        kefu, actor, conversation_id, Status(body.status).value, reason=body.reason
    )
    return await present(kefu, conv)


@router.post("/{conversation_id}/notes", status_code=201)
async def add_note(
    conversation_id: KeyPath, body: NoteCreate, kefu: KefuDep, actor: ActorDep
) -> EventPublic:
    event = await conv_actions.do_add_note(kefu, actor, conversation_id, body.body)
    return EventPublic.build(conversation_id, event)


@router.post("/{conversation_id}/rating", status_code=201)
async def rate(
    conversation_id: KeyPath, body: RatingCreate, kefu: KefuDep, actor: ActorDep
) -> EventPublic:
    event = await conv_actions.do_rate_conversation(
        kefu, actor, conversation_id, body.score, list(body.tags), body.comment
    )
    return EventPublic.build(conversation_id, event)


@router.post("/{conversation_id}/merge")
async def merge_linked(
    conversation_id: KeyPath, kefu: KefuDep, actor: ActorDep
) -> ConversationPublic:
    """Staff: merge this "claims to be ticket X" conversation into X (its messages are
    copied onto X, an audit note goes on both, this one is closed pointing at X).
    Returns X. 409 ``no_pending_link`` when there is no undecided claim."""
    target = await ticket_merge.do_merge_linked(kefu, actor, conversation_id)
    return await present(kefu, target)


@router.post("/{conversation_id}/dismiss-link")
async def dismiss_link(
    conversation_id: KeyPath, kefu: KefuDep, actor: ActorDep
) -> ConversationPublic:
    """Staff: the claim was checked and is false; a note on both, nothing moves."""
    conv = await ticket_merge.do_dismiss_link(kefu, actor, conversation_id)
    return await present(kefu, conv)


@router.post("/{conversation_id}/handoff")
async def handoff(
    conversation_id: KeyPath, kefu: KefuDep, actor: ActorDep, body: HandoffRequest | None = None
) -> ConversationPublic:
    """转人工: one step from the bot to the queue for a person."""
    conv = await conv_actions.do_request_handoff(
        kefu, actor, conversation_id, reason=(body.reason if body else "button")
    )
    return await present(kefu, conv)
