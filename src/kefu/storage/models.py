"""SQLAlchemy models. Every row carries tenant_id; Alembic owns the schema."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kefu.storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Tenant(Base):
    __tablename__ = "tenants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    widget_secret: Mapped[str] = mapped_column(String(128))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Merchant(Base):
    __tablename__ = "merchants"
    __table_args__ = (UniqueConstraint("tenant_id", "slug"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Department(Base):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")


class Agent(Base):
    """A staff member: agent, supervisor or admin. 工号 (agent_no) is shown to customers."""

    __tablename__ = "agents"
    __table_args__ = (UniqueConstraint("tenant_id", "agent_no"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    agent_no: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    capacity: Mapped[int] = mapped_column(Integer, default=5)
    presence: Mapped[str] = mapped_column(String(16), default="offline")
    presence_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # set by an admin's reset: the next sign-in may do nothing but choose a new password
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ConsoleLease(Base):
    """One live console connection of an agent (docs/presence.md): renewed by every
    heartbeat, deleted when the socket closes; a row past `expires_at` belongs to a
    process that died. An agent is routable only while one of these is live."""

    __tablename__ = "console_leases"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Customer(Base):
    """A member of the marketplace (external_id) or an anonymous visitor (visitor_id)."""

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id"),
        UniqueConstraint("tenant_id", "visitor_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(128))
    visitor_id: Mapped[str | None] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    tier: Mapped[str] = mapped_column(String(16), default="normal")
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    phone_last4: Mapped[str | None] = mapped_column(String(4))
    email: Mapped[str | None] = mapped_column(String(254))
    qq: Mapped[str | None] = mapped_column(String(20))
    exclusive_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Order(Base):
    """The marketplace's order, mirrored."""

    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("tenant_id", "order_no"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    order_no: Mapped[str] = mapped_column(String(64))
    product: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    status: Mapped[str] = mapped_column(String(32))
    upstream_status: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: codes a marketplace pushed in clear (dujiaoka), sealed (domain/sealed_secrets.py)
    card_codes_sealed: Mapped[str | None] = mapped_column(Text)
    contact_email: Mapped[str | None] = mapped_column(String(254))


class Conversation(Base):
    """A conversation is the ticket: chat, form, email and WeChat alike."""

    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_tenant_status", "tenant_id", "status", "id"),
        Index("ix_conversations_tenant_created", "tenant_id", "created_at"),
        Index("ix_conversations_first_response_due", "first_response_due_at"),
        Index("ix_conversations_resolution_due", "resolution_due_at"),
        UniqueConstraint("tenant_id", "number"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    number: Mapped[str] = mapped_column(String(32))
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24))
    priority: Mapped[int] = mapped_column(Integer, default=1)
    category: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(300), default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # a duplicate merged into another ticket (actions/ticket_merge.py) points at it
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    bot_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rating: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # ticket form: the five facts and contact details (issue: help center)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # how to reach the customer outside the chat (actions/opening.py Contact)
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(24))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone_last4: Mapped[str | None] = mapped_column(String(4))
    # routing and SLA (issue: queues and SLAs)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_status: Mapped[str | None] = mapped_column(String(16))
    sla_paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_sla_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    escalations_applied: Mapped[int] = mapped_column(Integer, default=0)
    escalation_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # read state (issue: live chat)
    customer_read_seq: Mapped[int] = mapped_column(Integer, default=0)
    agent_read_seq: Mapped[int] = mapped_column(Integer, default=0)


class ConversationOrder(Base):
    __tablename__ = "conversation_orders"
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)


class Event(Base):
    """The append-only timeline. seq is per conversation, without gaps."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        UniqueConstraint("conversation_id", "client_msg_id"),
        Index("ix_events_tenant_type_created", "tenant_id", "type", "created_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(24))
    visibility: Mapped[str] = mapped_column(String(10))
    author_type: Mapped[str] = mapped_column(String(10))
    author_id: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    client_msg_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Attachment(Base):
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    uploader_type: Mapped[str] = mapped_column(String(10))
    uploader_id: Mapped[int | None] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_path: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiToken(Base):
    """A machine token: shown once, stored hashed, tenant-scoped, revocable."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StaffSession(Base):
    __tablename__ = "staff_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # wrong passwords tried on the account since its previous sign-in (shown once signed in)
    sign_in_notice: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_at", "key", "attempted_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    client: Mapped[str | None] = mapped_column(String(64))  # shown to the account's owner


class UsedNonce(Base):
    """Identity-token nonces seen, so a token cannot be replayed before it expires."""

    __tablename__ = "used_nonces"
    __table_args__ = (UniqueConstraint("tenant_id", "nonce"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    nonce: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class NumberCounter(Base):
    """Each tenant's daily counter behind readable numbers KF-YYYYMMDD-NNNNNN (one per
    tenant, so no tenant learns another's daily volume from its numbers)."""

    __tablename__ = "tenant_number_counters"
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class KbArticle(Base):
    """A help-center / knowledge-base article."""

    __tablename__ = "kb_articles"
    __table_args__ = (UniqueConstraint("tenant_id", "slug"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    # English variant (the bot answers English questions with it); "" when none
    title_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    body_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    intents: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    views: Mapped[int] = mapped_column(Integer, default=0)
    helpful: Mapped[int] = mapped_column(Integer, default=0)
    unhelpful: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Announcement(Base):
    """A banner (maintenance, peak-time delays) shown in the help center and the widget."""

    __tablename__ = "announcements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str] = mapped_column(String(16), default="info")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """One configuration change: who, when, which section, the value before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_tenant_created", "tenant_id", "created_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    actor_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    actor_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    #: how the actor read when the change was made (a name can change later)
    actor_label: Mapped[str] = mapped_column(String(200))
    section: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200), default="")
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Callback(Base):
    """A call-back the customer asked for: phone, a time window, an outcome."""

    __tablename__ = "callbacks"
    __table_args__ = (Index("ix_callbacks_tenant_status_due", "tenant_id", "status", "due_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="pending")
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    outcome: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EmailMessage(Base):
    """Message-IDs of mail in and out, so replies thread onto their conversation."""

    __tablename__ = "email_messages"
    __table_args__ = (UniqueConstraint("tenant_id", "message_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    message_id: Mapped[str] = mapped_column(String(300))
    direction: Mapped[str] = mapped_column(String(3))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Job(Base):
    """Durable follow-up work (the outbox: bot turns, routing, SLA, mail), written in the
    transaction of the write it follows; claimed with SKIP LOCKED. (kind, key) is the
    idempotency key: one follow-up per cause, never enqueued twice."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_run_at", "status", "run_at"),
        UniqueConstraint("kind", "key"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"))
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str | None] = mapped_column(String(200))
    conversation_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WeChatToken(Base):
    """One access token per WeChat app, shared by every process (docs/wechat.md): the
    token service refreshes it early under a row lock, senders only read it."""

    __tablename__ = "wechat_tokens"
    __table_args__ = (UniqueConstraint("tenant_id", "app_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    app_key: Mapped[str] = mapped_column(String(120))  # "oa:<appid>" / "wecom:<corpid>"
    access_token_sealed: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class WeChatCursor(Base):
    """The sync_msg cursor of one 微信客服 account (kf messages are pulled, not pushed)."""

    __tablename__ = "wechat_cursors"
    __table_args__ = (UniqueConstraint("tenant_id", "open_kfid"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    open_kfid: Mapped[str] = mapped_column(String(64))
    cursor: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WeChatInbound(Base):
    """Every WeChat message or event kefu took in, by WeChat's own key (kf ``msgid``, OA
    ``MsgId`` or ``FromUserName+CreateTime``): a retried callback or a second doorbell
    finds its row and stores nothing twice."""

    __tablename__ = "wechat_inbound"
    __table_args__ = (UniqueConstraint("tenant_id", "msg_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    msg_key: Mapped[str] = mapped_column(String(200))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WeChatContact(Base):
    """A WeChat user of one account (kf external_userid / OA openid), their kefu customer,
    current conversation and reply window (last message, messages sent since)."""

    __tablename__ = "wechat_contacts"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "account", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # "wecom" / "oa"
    account: Mapped[str] = mapped_column(String(64))  # open_kfid / appid
    user_id: Mapped[str] = mapped_column(String(128))  # external_userid / openid
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    last_user_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_since: Mapped[int] = mapped_column(Integer, default=0)
    service_state: Mapped[int] = mapped_column(Integer, default=0)
    #: answers that could not be sent (window closed); the link goes out when they write
    undelivered: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookEndpoint(Base):
    """A tenant's outgoing webhook: where to POST, which event types, the signing
    secrets (at most two active, sealed; the newest first) (docs/webhooks.md)."""

    __tablename__ = "webhook_endpoints"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: [{"kid": ..., "sealed": ..., "created_at": iso}], the newest first
    secrets: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookDelivery(Base):
    """One event for one endpoint: the body (the same on every attempt and redelivery),
    its state, how many attempts, the last response code and error."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"))
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    redeliveries: Mapped[int] = mapped_column(Integer, default=0)
    response_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
