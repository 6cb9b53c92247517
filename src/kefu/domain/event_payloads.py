"""One typed payload per event type: the schema of ``events.data``.

Every event appended to a timeline is checked here first (actions/timeline.py
``append_event``); a payload with a missing, mistyped or unknown field raises
:class:`InvalidEventPayload` and nothing is written. The stored JSON is the writer's
dict, unchanged, so clients see the same shapes as before (docs/vocabulary.md).

Adding a field or an event type: add it here, then to every renderer
(domain/event_text.py); tests/vocabulary/test_event_rendering.py renders every type in
every renderer and fails on a gap.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kefu.domain.conversation_state import EventType
from kefu.domain.vocabulary import MarketplaceKind, OrderStatus, OrderUpdateSource
from kefu.errors import KefuError

Text = Annotated[str, Field(max_length=2000)]
Code = Annotated[str, Field(max_length=64)]
IsoTime = Annotated[str, Field(max_length=40)]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AuthorRef(_Payload):
    name: Text
    agent_no: Code


class AttachmentRef(_Payload):
    id: Code
    filename: Text
    content_type: Code
    size: int


class EmailRef(_Payload):
    message_id: Text | None = None
    subject: Text | None = None
    auth_failures: list[Code] = []  # spf / dkim / dmarc "fail" in Authentication-Results


class WeChatRef(_Payload):
    """Where a WeChat message came from: kf (微信客服) or oa (公众号), WeChat's key."""

    kind: Literal["wecom", "oa"]
    msg_key: Annotated[str, Field(max_length=200)]
    media_type: Code | None = None  # image / voice / video / file (kept as WeChat media)
    media_id: Text | None = None


class MessageData(_Payload):
    """A message of the customer or an agent (also: a ticket form, a mail, a call-back
    request written for the customer)."""

    author: AuthorRef | None = None  # the agent, as they were when they wrote
    attachments: list[AttachmentRef] = []
    redacted: list[Code] = []  # kinds of secrets masked in the body
    quick_reply: Code | None = None  # the machine payload of a quick-reply click
    lang: Literal["zh", "en"] | None = None  # the customer's widget language (bot hint)
    ticket_form: bool | None = None
    previous_number: Code | None = None  # a follow-up ticket: the earlier one
    source: Code | None = None  # tracking page, email
    email: EmailRef | None = None
    wechat: WeChatRef | None = None
    kind: Literal["callback_request"] | None = None
    callback_id: int | None = None
    phone_masked: Code | None = None
    window_start: IsoTime | None = None
    window_end: IsoTime | None = None
    due_at: IsoTime | None = None
    note: Text | None = None
    merged_from: Code | None = None  # copied from this ticket when it was merged in
    merged_seq: int | None = None  # its seq there


class QuickReplyData(_Payload):
    label: Text
    payload: Code


class BotTurnData(_Payload):
    intent: Code
    confidence: float
    quick_replies: list[QuickReplyData] = []
    article_id: Code | None = None
    reason: Code = ""
    handoff: bool = False
    urgent: bool = False
    redaction_warning: list[Code] = []
    lang: Literal["zh", "en"] = "zh"  # the language the bot answered in


class HandoffData(_Payload):
    reason: Code
    urgent: bool = False
    category: Code | None = None


class AssignmentData(_Payload):
    agent_id: int
    agent_no: Code
    name: Text
    previous_agent_id: int | None = None


class TransferData(_Payload):
    from_department_id: int | None = None
    to_department: Code | None = None
    to_department_name: Text | None = None
    to_agent_id: int | None = None
    to_agent_no: Code | None = None


class NoteData(_Payload):
    author: AuthorRef | None = None
    transfer_note: bool | None = None
    email_auto_reply: list[Text] | None = None  # an automatic mail kept as a note
    email_review: Literal["claimed_ticket", "auth_failure", "merged", "link_dismissed"] | None = (
        None
    )
    linked_number: Code | None = None  # the other ticket of a claimed_ticket review note
    kind: Literal["callback_outcome"] | None = None
    callback_id: int | None = None
    outcome: Code | None = None
    wechat_undelivered: Code | None = None  # why an answer did not reach WeChat
    on_time: bool | None = None


class StatusChangeData(_Payload):
    from_: Annotated[Code, Field(alias="from")]
    to: Code
    reason: Code | None = None


class SlaWarningData(_Payload):
    clocks: list[Literal["first_response", "resolution"]]
    first_response_due_at: IsoTime | None = None
    resolution_due_at: IsoTime | None = None


class SlaBreachData(_Payload):
    """A promise was broken, and what followed: ``breach`` (a clock ran out),
    ``escalation`` (a step of the tenant's escalation), ``callback`` (a call-back not made
    in time), ``escalation_requested`` (the customer asked for a supervisor)."""

    kind: Literal["breach", "escalation", "callback", "escalation_requested"]
    clocks: list[Literal["first_response", "resolution"]] = []
    breached_at: IsoTime | None = None
    step: int | None = None
    priority_from: Code | None = None
    priority_to: Code | None = None
    notified_supervisor: bool | None = None
    reassigned: bool | None = None
    callback_id: int | None = None
    due_at: IsoTime | None = None
    missed: Code | None = None
    reason: Text | None = None


class RatingData(_Payload):
    score: Annotated[int, Field(ge=1, le=5)]
    tags: list[Annotated[str, Field(max_length=20)]] = []


class OrderUpdateData(_Payload):
    """An order linked to the conversation changed status (webhook, poll, refresh, API,
    a refund or re-issue kefu sent). Public: the customer reads "订单 … 已退款"."""

    order_no: Code
    to: OrderStatus
    from_: OrderStatus | None = Field(default=None, alias="from")
    upstream_status: Code = ""
    source: OrderUpdateSource
    marketplace: MarketplaceKind | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class CardCodesData(_Payload):
    """Card codes handled deliberately: ``revealed`` to an agent (internal; the codes are
    never in the event) or ``resent`` to the order's contact (public, masked address)."""

    order_no: Code
    action: Literal["revealed", "resent"]
    count: Annotated[int, Field(ge=0, le=1000)]
    author: AuthorRef | None = None
    sent_to: Annotated[str, Field(max_length=254)] | None = None  # masked address


PAYLOADS: dict[EventType, type[_Payload]] = {
    EventType.MESSAGE: MessageData,
    EventType.BOT_TURN: BotTurnData,
    EventType.HANDOFF: HandoffData,
    EventType.ASSIGNMENT: AssignmentData,
    EventType.TRANSFER: TransferData,
    EventType.NOTE: NoteData,
    EventType.STATUS_CHANGE: StatusChangeData,
    EventType.SLA_WARNING: SlaWarningData,
    EventType.SLA_BREACH: SlaBreachData,
    EventType.RATING: RatingData,
    EventType.ORDER_UPDATE: OrderUpdateData,
    EventType.CARD_CODES: CardCodesData,
}


class InvalidEventPayload(KefuError):
    """A writer produced an event the timeline's schema does not allow (a bug)."""

    status_code = 500

    def __init__(self, type_: str, problems: str) -> None:
        super().__init__(
            "invalid_event_payload",
            "内部错误：事件内容不符合格式，未保存",
            f"event {type_!r} has an invalid payload ({problems}); see domain/event_payloads.py",
        )


def parse_event_data(type_: EventType | str, data: dict[str, Any] | None) -> _Payload:
    """The typed payload of one event; raises InvalidEventPayload."""
    try:
        model = PAYLOADS[EventType(type_)]
    except ValueError:
        raise InvalidEventPayload(str(type_), "unknown event type") from None
    try:
        return model.model_validate(data or {})
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()
        )
        raise InvalidEventPayload(str(type_), problems) from None
