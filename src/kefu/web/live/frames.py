"""The frames of the live protocol (docs/protocol.md): client frames are validated
here, server frames are built here as JSON text."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from kefu.actions.event_wire import customer_payload, event_payload
from kefu.errors import KefuError
from kefu.storage.models import Event

ConversationId = Annotated[str, Field(min_length=1, max_length=32)]
Seq = Annotated[int, Field(ge=0, le=2**31 - 1)]


class _Frame(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Hello(_Frame):
    type: Literal["hello"]
    token: Annotated[str, Field(max_length=2000)] | None = None


class Subscribe(_Frame):
    type: Literal["subscribe"]
    conversation_id: ConversationId
    after_seq: Seq = 0


class Unsubscribe(_Frame):
    type: Literal["unsubscribe"]
    conversation_id: ConversationId


class SubscribeTenant(_Frame):
    type: Literal["subscribe_tenant"]


class Send(_Frame):
    type: Literal["send"]
    conversation_id: ConversationId
    client_msg_id: (
        Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")] | None
    ) = None
    body: Annotated[str, Field(max_length=20000)] = ""
    attachment_ids: Annotated[list[Annotated[str, Field(max_length=32)]], Field(max_length=10)] = []


class Typing(_Frame):
    type: Literal["typing"]
    conversation_id: ConversationId
    on: bool = True
    internal: bool = False  # staff typing an internal note: never shown to the customer


class Read(_Frame):
    type: Literal["read"]
    conversation_id: ConversationId
    seq: Seq


class Ping(_Frame):
    type: Literal["ping"]


class Pong(_Frame):
    type: Literal["pong"]


ClientFrame = Annotated[
    Subscribe | Unsubscribe | SubscribeTenant | Send | Typing | Read | Ping | Pong | Hello,
    Field(discriminator="type"),
]
_client_frame: TypeAdapter[ClientFrame] = TypeAdapter(ClientFrame)


class BadFrame(KefuError):
    status_code = 422

    def __init__(self, detail: str) -> None:
        super().__init__("bad_frame", f"消息格式错误：{detail}", f"malformed frame: {detail}")


def parse_client_frame(text: str) -> ClientFrame:
    try:
        return _client_frame.validate_json(text)
    except ValidationError as exc:
        errors = exc.errors()
        if not errors:
            raise BadFrame("invalid") from None
        where = ".".join(str(p) for p in errors[0]["loc"]) or "frame"
        raise BadFrame(f"{where}: {errors[0]['msg']}") from None


_CLIENT_MSG_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def client_msg_id_of(text: str) -> str | None:
    """The client_msg_id of a `send` frame, read leniently (the frame may be invalid
    otherwise), so that an error about it can carry it in `ref`."""
    if '"send"' not in text:
        return None
    try:
        raw = json.loads(text)
    except ValueError:
        return None
    if not isinstance(raw, dict) or raw.get("type") != "send":
        return None
    value = raw.get("client_msg_id")
    if isinstance(value, str) and _CLIENT_MSG_ID.match(value):
        return value
    return None


def dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"), default=str)


def event_frame_from_payload(payload: dict[str, Any], *, for_customer: bool = False) -> str:
    shown = customer_payload(payload) if for_customer else payload
    return dumps(
        {
            "type": "event",
            "conversation_id": payload["conversation_id"],
            "seq": payload["seq"],
            "event": shown,
        }
    )


def event_frame(conversation_public_id: str, event: Event, *, for_customer: bool = False) -> str:
    return event_frame_from_payload(
        event_payload(conversation_public_id, event), for_customer=for_customer
    )


def error_frame(err: KefuError, ref: str | None = None) -> str:
    return dumps(
        {
            "type": "error",
            "code": err.code,
            "message": err.message_zh,
            "message_en": err.message_en,
            "ref": ref,
        }
    )


PING = dumps({"type": "ping"})
PONG = dumps({"type": "pong"})
