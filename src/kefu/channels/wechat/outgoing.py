"""kefu's answers as WeChat messages, and WeChat's messages as text for the timeline.

Quick replies become a 菜单消息 (``msgmenu``): in 微信客服 each item is
``{"type": "click", "click": {"id", "content"}}`` and the customer's tap comes back as a
text message with ``text.menu_id``; in the Official Account items are ``{"id",
"content"}`` and the tap comes back with ``bizmsgmenuid``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kefu.channels.interface import Capabilities, Outgoing
from kefu.domain.reply_window import WECHAT_WINDOW, WECHAT_WINDOW_MESSAGES
from kefu.domain.vocabulary import Channel

WECHAT_CAPABILITIES = Capabilities(
    images=True,
    quick_replies=True,
    reply_window=WECHAT_WINDOW,
    window_messages=WECHAT_WINDOW_MESSAGES,
    max_text=2000,
)


class WeComKfAdapter:
    channel = Channel.WECHAT
    capabilities = WECHAT_CAPABILITIES


class OfficialAccountAdapter:
    channel = Channel.WECHAT
    capabilities = WECHAT_CAPABILITIES


def _text(out: Outgoing) -> str:
    return out.text[: WECHAT_CAPABILITIES.max_text]


def kf_message(out: Outgoing, open_kfid: str, external_userid: str) -> dict[str, Any]:
    base: dict[str, Any] = {"touser": external_userid, "open_kfid": open_kfid}
    if out.quick_replies:
        items = [
            {"type": "click", "click": {"id": q.payload[:64], "content": q.label[:128]}}
            for q in out.quick_replies[:10]
        ]
        return {
            **base,
            "msgtype": "msgmenu",
            "msgmenu": {"head_content": _text(out), "list": items, "tail_content": ""},
        }
    return {**base, "msgtype": "text", "text": {"content": _text(out)}}


def oa_message(out: Outgoing, openid: str) -> dict[str, Any]:
    if out.quick_replies:
        items = [{"id": q.payload[:64], "content": q.label[:128]} for q in out.quick_replies[:10]]
        return {
            "touser": openid,
            "msgtype": "msgmenu",
            "msgmenu": {"head_content": _text(out), "list": items, "tail_content": ""},
        }
    return {"touser": openid, "msgtype": "text", "text": {"content": _text(out)}}


def satisfaction_menu(open_kfid: str, external_userid: str) -> dict[str, Any]:
    """The 满意度 menu sent with the end-of-session code (service_state → 4)."""
    labels = [("rate_5", "非常满意"), ("rate_4", "满意"), ("rate_2", "不满意")]
    items = [{"type": "click", "click": {"id": i, "content": c}} for i, c in labels]
    return {
        "touser": external_userid,
        "open_kfid": open_kfid,
        "msgtype": "msgmenu",
        "msgmenu": {
            "head_content": "本次服务已结束，请对我们的服务进行评价：",
            "list": items,
            "tail_content": "感谢您的反馈",
        },
    }


RATING_PAYLOADS = {"rate_5": 5, "rate_4": 4, "rate_2": 2}


@dataclass(frozen=True)
class InboundText:
    """A WeChat message as the timeline keeps it."""

    text: str
    quick_reply: str | None = None
    media: dict[str, str] | None = None


def kf_inbound(msg: dict[str, Any]) -> InboundText | None:
    kind = str(msg.get("msgtype", ""))
    part = msg.get(kind) if isinstance(msg.get(kind), dict) else {}
    assert isinstance(part, dict)
    if kind == "text":
        menu_id = part.get("menu_id")
        return InboundText(str(part.get("content", "")), str(menu_id) if menu_id else None)
    if kind in ("image", "voice", "video", "file"):
        label = {"image": "图片", "voice": "语音", "video": "视频", "file": "文件"}[kind]
        return InboundText(
            f"[{label}]", media={"type": kind, "media_id": str(part.get("media_id", ""))}
        )
    if kind == "location":
        name = str(part.get("name", "")) or str(part.get("address", ""))
        where = f"{part.get('latitude', '')},{part.get('longitude', '')}"
        return InboundText(f"[位置] {name} {part.get('address', '')} ({where})".strip())
    if kind in ("link", "business_card", "miniprogram"):
        return InboundText(f"[{kind}] {part.get('title', '') or part.get('userid', '')}")
    return None
