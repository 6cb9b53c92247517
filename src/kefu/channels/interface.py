"""The channel interface: what every way of reaching a customer (widget, e-mail, WeCom
微信客服, Official Account) declares and how kefu's outgoing messages are rendered for it.

Inbound, an adapter turns the channel's message into text + a stable message key and the
actions open or continue a conversation with it; outbound, a subscriber enqueues one
outbox job per public answer and the channel's job renders and sends it within the
channel's limits (docs/wechat.md, docs/outbox.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from kefu.domain.vocabulary import Channel


@dataclass(frozen=True)
class Capabilities:
    images: bool
    quick_replies: bool  # rendered natively (widget buttons, WeChat msgmenu)
    reply_window: timedelta | None  # None: kefu may write at any time
    window_messages: int | None  # messages allowed within the window
    max_text: int = 2000


@dataclass(frozen=True)
class QuickReply:
    label: str
    payload: str


@dataclass(frozen=True)
class Outgoing:
    """One answer to deliver: a bot turn, an agent reply, a system notice."""

    text: str
    quick_replies: tuple[QuickReply, ...] = field(default_factory=tuple)


class ChannelAdapter(Protocol):
    channel: Channel
    capabilities: Capabilities
