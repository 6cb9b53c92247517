"""Callback XML: the envelopes WeChat POSTs and the fields kefu reads from them.

Parsing is xmltodict (with DTDs and entities refused); building is the fixed layouts of
WeChat's documentation (CDATA for text, numbers bare).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import xmltodict

MAX_CALLBACK_BYTES = 64 * 1024


class BadCallbackXml(ValueError):
    pass


def parse_xml(raw: bytes | str) -> dict[str, str]:
    """The ``<xml>`` element's children as strings."""
    if len(raw) > MAX_CALLBACK_BYTES:
        raise BadCallbackXml("too large")
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise BadCallbackXml("DTD refused")
    try:
        doc: dict[str, Any] = xmltodict.parse(text, disable_entities=True)
    except Exception as exc:
        raise BadCallbackXml(str(exc)) from exc
    root = doc.get("xml")
    if not isinstance(root, dict):
        raise BadCallbackXml("no <xml> root")
    return {k: ("" if v is None else str(v)) for k, v in root.items() if isinstance(k, str)}


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def build_xml(fields: dict[str, str | int]) -> str:
    parts = []
    for key, value in fields.items():
        body = str(value) if isinstance(value, int) else _cdata(value)
        parts.append(f"<{escape(key)}>{body}</{escape(key)}>")
    return "<xml>" + "".join(parts) + "</xml>"


def encrypted_envelope(to_user: str, encrypt: str) -> str:
    return build_xml({"ToUserName": to_user, "Encrypt": encrypt})


def encrypted_reply(encrypt: str, msg_signature: str, timestamp: str, nonce: str) -> str:
    return build_xml(
        {
            "Encrypt": encrypt,
            "MsgSignature": msg_signature,
            "TimeStamp": int(timestamp),
            "Nonce": nonce,
        }
    )


@dataclass(frozen=True)
class KfDoorbell:
    """WeCom's ``kf_msg_or_event`` callback: only a doorbell (the messages are pulled)."""

    corp_id: str
    open_kfid: str
    token: str  # valid 10 minutes, lets sync_msg pull at the higher rate
    create_time: int


def kf_doorbell(fields: dict[str, str]) -> KfDoorbell | None:
    if fields.get("MsgType") != "event" or fields.get("Event") != "kf_msg_or_event":
        return None
    return KfDoorbell(
        corp_id=fields.get("ToUserName", ""),
        open_kfid=fields.get("OpenKfId", ""),
        token=fields.get("Token", ""),
        create_time=int(fields.get("CreateTime", "0") or 0),
    )


@dataclass(frozen=True)
class OaMessage:
    """One Official Account push: a user message (MsgId) or an event."""

    account: str  # ToUserName (gh_…)
    openid: str  # FromUserName
    create_time: int
    msg_type: str
    msg_id: str
    content: str = ""
    event: str = ""
    event_key: str = ""
    pic_url: str = ""
    media_id: str = ""
    menu_id: str = ""  # bizmsgmenuid: the item of a msgmenu the user tapped
    label: str = ""  # Label of a location
    location: str = ""  # Location_X,Location_Y

    @property
    def dedupe_key(self) -> str:
        """MsgId for messages; FromUserName + CreateTime for events (WeChat's own rule)."""
        if self.msg_id:
            return f"msg:{self.msg_id}"
        return f"event:{self.openid}:{self.create_time}"


def oa_message(fields: dict[str, str]) -> OaMessage:
    return OaMessage(
        account=fields.get("ToUserName", ""),
        openid=fields.get("FromUserName", ""),
        create_time=int(fields.get("CreateTime", "0") or 0),
        msg_type=fields.get("MsgType", ""),
        msg_id=fields.get("MsgId", ""),
        content=fields.get("Content", ""),
        event=fields.get("Event", "").upper(),
        event_key=fields.get("EventKey", ""),
        pic_url=fields.get("PicUrl", ""),
        media_id=fields.get("MediaId", ""),
        menu_id=fields.get("bizmsgmenuid", ""),
        label=fields.get("Label", ""),
        location=",".join(v for v in (fields.get("Location_X"), fields.get("Location_Y")) if v),
    )
