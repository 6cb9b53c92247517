"""One schema per use: XCreate for input, XPublic for output."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from kefu.actions.event_wire import customer_data
from kefu.domain.conversation_state import STATUS_LABELS_ZH, Channel, Priority, Status
from kefu.domain.event_text import wire_text
from kefu.domain.vocabulary import OrderStatus, Presence, Urgency, category_info, category_label
from kefu.storage.models import Agent, Conversation, Customer, Department, Event, Order

T = TypeVar("T")

ShortText = Annotated[str, Field(max_length=200)]
ClientMsgId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
KeyPath = Annotated[str, Path(min_length=1, max_length=64)]
PublicIdList = Annotated[list[Annotated[str, Field(max_length=32)]], Field(max_length=10)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    code: str
    message: str
    message_en: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Bad request"},
    401: {"model": ErrorResponse, "description": "Not signed in"},
    403: {"model": ErrorResponse, "description": "Forbidden"},
    404: {"model": ErrorResponse, "description": "Not found (also: another tenant's object)"},
    409: {"model": ErrorResponse, "description": "Conflict with the current state"},
    413: {"model": ErrorResponse, "description": "Payload too large"},
    422: {"model": ErrorResponse, "description": "Invalid input"},
    429: {"model": ErrorResponse, "description": "Too many requests"},
}


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class DepartmentRef(BaseModel):
    code: str
    name: str


class AgentRef(BaseModel):
    id: int
    agent_no: str
    display_name: str


class ConversationCreate(Strict):
    channel: Channel = Channel.WEB
    subject: Annotated[str, Field(max_length=300)] = ""
    body: Annotated[str, Field(max_length=20000)] = ""
    category: Annotated[str | None, Field(max_length=64)] = None
    customer_id: Annotated[int | None, Field(ge=1, le=2**31 - 1)] = None
    department: Annotated[str | None, Field(max_length=64)] = None
    priority: Annotated[int, Field(ge=0, le=3)] = Priority.NORMAL
    order_nos: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=10)] = []
    client_msg_id: ClientMsgId | None = None
    attachment_ids: PublicIdList = []
    start_with_bot: bool = True


class ConversationPublic(BaseModel):
    id: str
    number: str
    channel: Channel
    status: Status
    status_label: str
    priority: int
    priority_label: str
    category: str | None
    category_label: str | None = Field(description="the category's Chinese label")
    urgencies: list[Urgency] = Field(description="why this cannot wait (from the category)")
    subject: str
    department: DepartmentRef | None
    assignee: AgentRef | None
    customer_id: int | None
    last_seq: int
    created_at: datetime
    updated_at: datetime
    queued_at: datetime | None
    first_responded_at: datetime | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    resolved_at: datetime | None
    rating: int | None

    @classmethod
    def build(
        cls,
        conv: Conversation,
        departments: dict[int, Department],
        agents: dict[int, Agent],
    ) -> ConversationPublic:
        dept = departments.get(conv.department_id) if conv.department_id else None
        agent = agents.get(conv.assignee_id) if conv.assignee_id else None
        status = Status(conv.status)
        info = category_info(conv.category)
        return cls(
            id=conv.public_id,
            number=conv.number,
            channel=Channel(conv.channel),
            status=status,
            status_label=STATUS_LABELS_ZH[status],
            priority=conv.priority,
            priority_label=Priority.LABELS.get(conv.priority, "normal"),
            category=conv.category,
            category_label=category_label(conv.category) if conv.category else None,
            urgencies=list(info.urgencies) if info is not None else [],
            subject=conv.subject,
            department=DepartmentRef(code=dept.code, name=dept.name) if dept else None,
            assignee=AgentRef(id=agent.id, agent_no=agent.agent_no, display_name=agent.display_name)
            if agent
            else None,
            customer_id=conv.customer_id,
            last_seq=conv.last_seq,
            created_at=conv.created_at,
            updated_at=conv.updated_at,
            queued_at=conv.queued_at,
            first_responded_at=conv.first_responded_at,
            first_response_due_at=conv.first_response_due_at,
            resolution_due_at=conv.resolution_due_at,
            resolved_at=conv.resolved_at,
            rating=conv.rating,
        )


class EventPublic(BaseModel):
    conversation_id: str
    seq: int
    type: str
    visibility: Literal["public", "internal"]
    author_type: str
    author_id: int | None
    body: str
    data: dict[str, Any]
    client_msg_id: str | None
    created_at: datetime
    text: str | None = Field(
        None,
        description="what a system event says, in Chinese (for customers on public "
        "events, for staff on internal ones); null for messages (their text is body)",
    )

    @classmethod
    def build(
        cls, conversation_public_id: str, event: Event, *, for_customer: bool = False
    ) -> EventPublic:
        data = event.data or {}
        return cls(
            text=wire_text(event.type, event.data, event.body, event.visibility),
            conversation_id=conversation_public_id,
            seq=event.seq,
            type=event.type,
            visibility="internal" if event.visibility == "internal" else "public",
            author_type=event.author_type,
            author_id=event.author_id,
            body=event.body,
            data=customer_data(event.type, data) if for_customer else data,
            client_msg_id=event.client_msg_id,
            created_at=event.created_at,
        )


class Timeline(BaseModel):
    conversation_id: str
    events: list[EventPublic]
    last_seq: int
    has_more: bool


QuickReplyPayload = Annotated[
    str,
    Field(max_length=64, pattern=r"^(handoff|intent:[a-z_]{1,40}|feedback:(resolved|unresolved))$"),
]


class MessageCreate(Strict):
    body: Annotated[str, Field(max_length=20000)] = ""
    client_msg_id: ClientMsgId | None = None
    attachment_ids: PublicIdList = []
    quick_reply: QuickReplyPayload | None = None
    lang: Literal["zh", "en"] | None = None  # the widget's language (a hint for the bot)


class MessagePosted(BaseModel):
    event: EventPublic
    duplicate: bool
    redacted: list[str]


class AssignRequest(Strict):
    agent_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    force: bool = False


class TransferRequest(Strict):
    department: Annotated[str | None, Field(max_length=64)] = None
    agent_id: Annotated[int | None, Field(ge=1, le=2**31 - 1)] = None
    note: Annotated[str, Field(max_length=5000)] = ""


class StatusChange(Strict):
    status: Status
    reason: ShortText = ""


class HandoffRequest(Strict):
    reason: Annotated[str, Field(max_length=64)] = "button"


class NoteCreate(Strict):
    body: Annotated[str, Field(min_length=1, max_length=20000)]


class RatingCreate(Strict):
    score: Annotated[int, Field(ge=1, le=5)]
    tags: Annotated[list[Annotated[str, Field(max_length=20)]], Field(max_length=10)] = []
    comment: Annotated[str, Field(max_length=1000)] = ""


class CustomerPublic(BaseModel):
    id: int
    external_id: str | None
    display_name: str
    tier: str
    phone_masked: str | None
    email: str | None
    qq: str | None
    created_at: datetime

    @classmethod
    def build(cls, c: Customer) -> CustomerPublic:
        return cls(
            id=c.id,
            external_id=c.external_id,
            display_name=c.display_name,
            tier=c.tier,
            phone_masked=c.phone_masked,
            email=c.email,
            qq=c.qq,
            created_at=c.created_at,
        )


class CustomerUpsertBody(Strict):
    external_id: Annotated[str, Field(min_length=1, max_length=128)]
    display_name: Annotated[str, Field(max_length=100)] = ""
    tier: Literal["normal", "silver", "gold", "diamond"] = "normal"
    phone: Annotated[str | None, Field(max_length=40, description="a PhoneNumber")] = None
    email: Annotated[str | None, Field(max_length=254)] = None
    qq: Annotated[str | None, Field(max_length=20, pattern=r"^[0-9]{5,12}$")] = None


class OrderPublic(BaseModel):
    order_no: str
    product: str
    amount: Decimal
    status: str
    upstream_status: str | None
    customer_id: int | None
    created_at: datetime
    paid_at: datetime | None
    delivered_at: datetime | None
    updated_at: datetime

    @classmethod
    def build(cls, o: Order) -> OrderPublic:
        return cls(
            order_no=o.order_no,
            product=o.product,
            amount=o.amount,
            status=o.status,
            upstream_status=o.upstream_status,
            customer_id=o.customer_id,
            created_at=o.created_at,
            paid_at=o.paid_at,
            delivered_at=o.delivered_at,
            updated_at=o.updated_at,
        )


class OrderUpsertBody(Strict):
    order_no: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    product: Annotated[str, Field(min_length=1, max_length=200)]
    amount: Annotated[Decimal, Field(ge=0, le=Decimal("9999999999.99"), decimal_places=2)]
    status: OrderStatus
    customer_external_id: Annotated[str | None, Field(max_length=128)] = None
    merchant: Annotated[str | None, Field(max_length=64)] = None
    upstream_status: Annotated[str | None, Field(max_length=64)] = None
    paid_at: datetime | None = None
    delivered_at: datetime | None = None


class AgentPublic(BaseModel):
    id: int
    agent_no: str
    display_name: str
    role: str
    department: DepartmentRef | None
    presence: str
    capacity: int


class SignInNoticePublic(BaseModel):
    """Wrong passwords tried on the account since its previous sign-in."""

    count: int
    clients: list[str]
    first_at: datetime
    last_at: datetime
    message: str  # zh-CN, times in the tenant's zone with the date
    message_en: str


class AgentMe(AgentPublic):
    email: str
    csrf_token: str | None = None
    must_change_password: bool = False
    sign_in_notice: SignInNoticePublic | None = None


class PasswordChange(Strict):
    old_password: Annotated[str, Field(min_length=1, max_length=256)]
    new_password: Annotated[str, Field(min_length=1, max_length=256)]


class PasswordForgot(Strict):
    email: Annotated[str, Field(min_length=3, max_length=254)]


class PasswordForgotAccepted(BaseModel):
    message: str
    message_en: str


class PasswordReset(Strict):
    token: Annotated[str, Field(min_length=10, max_length=2048)]
    new_password: Annotated[str, Field(min_length=1, max_length=256)]


class AdminPasswordReset(Strict):
    mode: Literal["link", "temporary"] = "link"


class AdminPasswordResetDone(BaseModel):
    mode: Literal["link", "temporary"]
    sent_to: str | None = None
    temporary_password: str | None = None  # shown once; must be changed at next sign-in


class PresenceUpdate(Strict):
    presence: Presence
    capacity: Annotated[int | None, Field(ge=0, le=100)] = None


class LoginRequest(Strict):
    email: Annotated[str, Field(min_length=3, max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class WidgetSessionRequest(Strict):
    tenant: Annotated[str, Field(min_length=1, max_length=64)]
    identity_token: Annotated[str | None, Field(max_length=4096)] = None
    visitor_token: Annotated[str | None, Field(max_length=4096)] = None


class VisitorVerify(Strict):
    order_no: Annotated[str, Field(min_length=1, max_length=64)]
    phone_last4: Annotated[str, Field(pattern=r"^[0-9]{4}$")]


class WidgetSession(BaseModel):
    customer_id: int
    token: str


TokenScope = Literal["commerce", "conversations", "knowledge"]
TokenScopes = Annotated[list[TokenScope], Field(min_length=1, max_length=3)]


class TokenCreate(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    # commerce (customers, orders), conversations (conversations, tickets, call-backs,
    # queue), knowledge (managing articles); omitted: all three
    scopes: (
        Annotated[
            list[Literal["commerce", "conversations", "knowledge"]],
            Field(min_length=1, max_length=3),
        ]
        | None
    ) = None


class TokenPublic(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None


class TokenCreated(BaseModel):
    id: int
    name: str
    token: str
    scopes: list[str] = []
    note: str = "只显示这一次，请妥善保存 / shown once, store it safely"
