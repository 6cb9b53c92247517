"""The bot's dialogue policy: a pure function from (understanding, bot state) to a decision.

Order of the rules (first match wins, warnings are prepended):

1. The conversation is handed over -> the bot is silent.
2. The 转人工 button was pressed -> hand over.
3. account_security -> hand over at once, urgent, with the first steps to take.
4. human_agent / complaint -> hand over.
5. Strong negative sentiment -> apologise and hand over.
6. The customer says the last answer did not help (没用, 不是这个, ？？, 没解决) and this is
   the second unhelpful bot turn -> hand over; the first time -> ask to rephrase.
7. channel_verify -> check the named QQ / WeChat / phone / site / 工号 against the
   tenant's official list and say plainly whether it is official.
8. An order was named and the caller supplied its status -> say it (plus the KB answer).
9. Low confidence -> offer the three likeliest topics as quick replies.
10. Otherwise answer with the best knowledge-base article for the intent.

A redacted secret always adds: 为了您的安全，请勿发送密码/验证码…，客服不会向您索要.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kefu.nlu.entities import first
from kefu.nlu.intents import intent_by_code
from kefu.nlu.pipeline import Understanding
from kefu.nlu.retrieve import Article, KnowledgeIndex

__all__ = [
    "NEVER_ASK",
    "SECRET_WARNING",
    "BotDecision",
    "BotState",
    "OfficialChannel",
    "OrderLookup",
    "QuickReply",
    "decide",
    "is_unhelpful_feedback",
]

CONFIDENCE_THRESHOLD = 0.5
NEVER_ASK = "客服不会索要密码、验证码，也不会要求转账。"
SECRET_WARNING = "为了您的安全，请勿发送密码/验证码/卡密/银行卡号/身份证号，客服不会向您索要。"
HANDOFF_PAYLOAD = "handoff"


@dataclass(frozen=True, slots=True)
class QuickReply:
    label: str
    payload: str

    def to_dict(self) -> dict[str, str]:
        return {"label": self.label, "payload": self.payload}


@dataclass(frozen=True, slots=True)
class OfficialChannel:
    """One official contact point of a tenant. kind: qq, wechat, phone, website, agent_id."""

    kind: str
    value: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class OrderLookup:
    """What the marketplace told us about an order the customer named.

    status: an OrderStatus (kefu.domain.vocabulary) or ``not_found``.
    """

    order_no: str
    status: str
    product: str = ""
    amount: str = ""
    eta_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class BotState:
    unhelpful_turns: int = 0
    handed_over: bool = False
    handoff_pressed: bool = False
    order: OrderLookup | None = None
    official_channels: tuple[OfficialChannel, ...] = ()


@dataclass(frozen=True, slots=True)
class BotDecision:
    reply: str
    quick_replies: tuple[QuickReply, ...] = ()
    handoff: bool = False
    urgent: bool = False
    reason: str = ""
    article_id: str | None = None
    silent: bool = False
    unhelpful_feedback: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reply": self.reply,
            "quick_replies": [q.to_dict() for q in self.quick_replies],
            "handoff": self.handoff,
            "urgent": self.urgent,
            "reason": self.reason,
            "article_id": self.article_id,
            "silent": self.silent,
            "unhelpful_feedback": self.unhelpful_feedback,
        }


_UNHELPFUL_RE = re.compile(
    r"^(?:[?？!！.。\s]+|.{0,4}(?:没用|没有用|不是这个|不是这样|没解决|没有解决|答非所问|不对|"
    r"不管用|还是不行|看不懂|听不懂|废话|说了等于没说|什么玩意).{0,6})$"
)

_ORDER_STATUS_ZH = {
    "pending_payment": "待支付，请在 15 分钟内完成支付，超时订单会自动关闭",
    "paid": "已支付，上游渠道处理中，预计 {eta} 分钟内到账",
    "processing": "已支付，上游渠道处理中，预计 {eta} 分钟内到账",
    "delivered": "已完成，商品已发出/已充入您的账号，请重新登录查看",
    "cancelled": "已取消，如已付款，款项会原路退回",
    "failed": "充值失败，款项会原路退回，支付宝/微信 1–3 个工作日到账",
    "refunding": "正在退款，款项会原路退回，支付宝/微信 1–3 个工作日到账",
    "refunded": "已退款，款项已原路退回，请查看支付账户",
    "not_found": "未查询到，请核对订单号（KM 开头）是否完整",
}

_HANDOFF_QR = QuickReply("转人工", HANDOFF_PAYLOAD)
_FEEDBACK_QR = (
    QuickReply("已解决", "feedback:resolved"),
    QuickReply("没解决", "feedback:unresolved"),
    _HANDOFF_QR,
)
_POPULAR_QR = (
    *(
        QuickReply(intent_by_code(c).quick_reply_zh, f"intent:{c}")
        for c in ("recharge_not_received", "refund", "card_invalid", "channel_verify")
    ),
    _HANDOFF_QR,
)


def is_unhelpful_feedback(normalised: str) -> bool:
    """The customer says the previous bot answer did not help."""
    return bool(_UNHELPFUL_RE.match(normalised.strip()))


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _site(value: str) -> str:
    v = value.lower().strip()
    v = re.sub(r"^https?://", "", v).split("/", 1)[0].split(":", 1)[0]
    return v[4:] if v.startswith("www.") else v


def _channel_matches(kind: str, value: str, official: OfficialChannel) -> bool:
    if official.kind != kind:
        return False
    if kind in ("qq", "phone"):
        return _digits(value) == _digits(official.value) != ""
    if kind == "agent_id":
        return _digits(value) == _digits(official.value) != ""
    if kind == "website":
        mine, theirs = _site(value), _site(official.value)
        return mine == theirs or mine.endswith("." + theirs)
    return value.strip().lower() == official.value.strip().lower()


_KIND_ZH = {"qq": "QQ", "wechat": "微信号", "phone": "电话", "website": "网站", "agent_id": "工号"}


def _verify_channels(u: Understanding, channels: tuple[OfficialChannel, ...]) -> str:
    named = [(e.kind, e.value) for e in u.entities if e.kind in _KIND_ZH]
    if not named:
        listing = "、".join(f"{_KIND_ZH.get(c.kind, c.kind)} {c.value}" for c in channels[:6])
        head = "请把对方的 QQ、微信号、电话、网址或客服工号发给我，我帮您核对是否为官方。"
        if listing:
            head += f"我们的官方渠道有：{listing}。"
        return head + NEVER_ASK
    lines: list[str] = []
    for kind, value in named:
        official = next((c for c in channels if _channel_matches(kind, value, c)), None)
        label = _KIND_ZH[kind]
        if official is not None:
            extra = f"（{official.label}）" if official.label else ""
            lines.append(f"{label} {value} 是官方渠道{extra}。")
        else:
            lines.append(
                f"{label} {value} 不是我们的官方渠道，请不要相信，也不要向对方付款或提供任何信息。"
            )
    return "".join(lines) + NEVER_ASK


def _order_sentence(u: Understanding, order: OrderLookup | None) -> str | None:
    named = u.entity("order_no")
    if order is None or (named is not None and named.upper() != order.order_no.upper()):
        return None
    template = _ORDER_STATUS_ZH.get(order.status, "状态为“" + order.status + "”")
    eta = order.eta_minutes if order.eta_minutes is not None else 10
    return f"订单 {order.order_no} {template.format(eta=eta)}。"


def _answer(article: Article) -> str:
    return f"【{article.title}】{article.body}"


def decide(u: Understanding, state: BotState, index: KnowledgeIndex | None = None) -> BotDecision:
    """Decide the bot's next move for one customer message. Pure: no I/O, no clock."""
    if state.handed_over:
        return BotDecision("", silent=True, reason="handed_over")
    warning = SECRET_WARNING if u.redaction_kinds else ""
    unhelpful = is_unhelpful_feedback(u.normalised)

    def handoff(reason: str, text: str, *, urgent: bool = False) -> BotDecision:
        return BotDecision(
            warning + text, handoff=True, urgent=urgent, reason=reason, unhelpful_feedback=unhelpful
        )

    if state.handoff_pressed:
        return handoff("button", "正在为您转接人工客服，请稍候，排队期间您可以继续描述问题。")
    if u.intent == "account_security":
        return handoff(
            "account_security",
            "已为您加急转接人工客服。请立即修改登录密码和支付密码，并在“账号安全”中一键冻结账号；"
            "如已转账被骗，请保留凭证并拨打 110 报警。" + NEVER_ASK,
            urgent=True,
        )
    if u.intent == "human_agent":
        return handoff("human_agent", "好的，正在为您转接人工客服，请稍候。")
    if u.intent == "complaint":
        return handoff("complaint", "非常抱歉给您带来不好的体验，正在为您转接客服主管处理投诉。")
    if u.sentiment.strong_negative:
        return handoff("negative_sentiment", "非常抱歉让您着急了，正在为您转接人工客服优先处理。")
    if unhelpful:
        if state.unhelpful_turns + 1 >= 2:
            return handoff("unhelpful", "抱歉没能解决您的问题，正在为您转接人工客服。")
        return BotDecision(
            warning + "抱歉没能帮到您。您可以换个说法描述问题（附上订单号更快），或直接转人工。",
            quick_replies=_POPULAR_QR,
            reason="unhelpful_once",
            unhelpful_feedback=True,
        )

    if u.intent == "channel_verify":
        return BotDecision(
            warning + _verify_channels(u, state.official_channels),
            quick_replies=_FEEDBACK_QR,
            reason="channel_verify",
        )

    order_text = _order_sentence(u, state.order)
    article = index.best_for(u.intent, u.normalised) if index is not None else None
    if order_text is not None:
        body = order_text
        waiting = state.order is not None and state.order.status in ("paid", "processing")
        if waiting and u.intent in ("recharge_not_received", "order_status", "refund"):
            body += "如超过预计时间仍未到账，您可以申请退款或转人工。"
        return BotDecision(
            warning + body,
            quick_replies=_FEEDBACK_QR,
            reason="order_status",
            article_id=article.id if article else None,
        )

    if u.confidence < CONFIDENCE_THRESHOLD and u.intent != "greeting":
        choices = tuple(
            QuickReply(intent_by_code(code).quick_reply_zh, f"intent:{code}")
            for code, _ in u.top[:3]
            if code != "other"
        )
        return BotDecision(
            warning + "我还不太确定您的问题，您想咨询的是下面哪一项？",
            quick_replies=(*choices, _HANDOFF_QR),
            reason="unsure",
        )
    if u.intent == "greeting":
        return BotDecision(
            warning + "您好，我是智能客服，请直接描述您的问题（附上订单号更快），"
            "或选择下面的常见问题。",
            quick_replies=_POPULAR_QR,
            reason="greeting",
        )
    if article is not None:
        return BotDecision(
            warning + _answer(article),
            quick_replies=_FEEDBACK_QR,
            reason="answer",
            article_id=article.id,
        )
    if warning:
        return BotDecision(warning, quick_replies=_POPULAR_QR, reason="secret_warning")
    return BotDecision(
        "抱歉，这个问题我暂时回答不了，您可以换个说法或转人工。",
        quick_replies=_POPULAR_QR,
        reason="no_answer",
    )


def order_number(u: Understanding) -> str | None:
    """The order number the customer named, for the caller's order look-up."""
    return first(u.entities, "order_no")
