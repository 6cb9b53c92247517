"""The bot's dialogue policy: a pure function from (understanding, bot state) to a decision.

Order of the rules (first match wins, warnings are prepended), in the customer's
language (``Understanding.lang``: zh or en):

1. The conversation is handed over -> the bot is silent.
2. The 转人工 button was pressed -> hand over.
3. account_security -> hand over at once, urgent, with the first steps to take, and a
   verdict for every contact the customer named (never an article).
4. human_agent (a request for a person, in any wording) / complaint -> hand over.
5. Strong negative sentiment -> apologise and hand over.
6. The customer says the last answer did not help (the feedback model, any wording):
   the second time -> hand over; the first time -> ask to rephrase (or, when the same
   message also asks a clear new question, answer it).
7. channel_verify -> a verdict for each named QQ / WeChat / phone / site / 工号.
8. Orders were named and the caller supplied their status -> one line per order.
9. greeting -> hello and the common topics.
10. Out of scope (``other``) or confidence below the calibrated threshold -> say what
    the bot can help with, quick replies for the likeliest topics and 转人工; never a
    random article.
11. Otherwise answer with the best knowledge-base article for the intent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from kefu.nlu.channel_check import OfficialChannel, channel_verdicts, named_contacts
from kefu.nlu.entities import first
from kefu.nlu.feedback import FEEDBACK_THRESHOLD, refers_back
from kefu.nlu.pipeline import Understanding
from kefu.nlu.replies import ORDER_STATUS, quick_reply_label, say
from kefu.nlu.retrieve import Article, KnowledgeIndex

__all__ = [
    "CONFIDENCE_THRESHOLD",
    "FALLBACK_REASONS",
    "HANDOFF_PAYLOAD",
    "NEVER_ASK",
    "SECRET_WARNING",
    "BotDecision",
    "BotState",
    "OfficialChannel",
    "OrderLookup",
    "QuickReply",
    "decide",
    "is_unhelpful_feedback",
    "order_numbers",
]

#: Below this calibrated confidence the bot does not guess (rule 10).
CONFIDENCE_THRESHOLD = 0.5
#: The model alone (no rule) must be this sure before an urgent security handoff; below
#: it the bot asks, with 账号被盗 as the first choice (small talk read as theft at 0.3-0.55
#: sent contented customers to the urgent queue).
SECURITY_MODEL_THRESHOLD = 0.6
#: A message this strongly "did not help" and this short is feedback, not a new question.
_PURE_FEEDBACK = 0.9
_PURE_FEEDBACK_LEN = 14
#: Replies that did not answer: a third one in a row hands over (the bot never loops).
FALLBACK_REASONS = frozenset({"out_of_scope", "unsure", "unhelpful_once", "no_answer"})
MAX_FALLBACKS = 2
NEVER_ASK = say("never_ask", "zh")
SECRET_WARNING = say("secret_warning", "zh")
HANDOFF_PAYLOAD = "handoff"
_NO_ANSWER_INTENTS = frozenset({"other", "greeting", "human_agent", "complaint"})
_POPULAR = ("recharge_not_received", "refund", "card_invalid", "channel_verify")


@dataclass(frozen=True, slots=True)
class QuickReply:
    label: str
    payload: str

    def to_dict(self) -> dict[str, str]:
        return {"label": self.label, "payload": self.payload}


@dataclass(frozen=True, slots=True)
class OrderLookup:
    """What the marketplace told us about an order the customer named.

    status: an OrderStatus (kefu.domain.vocabulary) or ``not_found`` (also: not this
    customer's order - the answer reveals nothing).
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
    orders: tuple[OrderLookup, ...] = ()
    official_channels: tuple[OfficialChannel, ...] = ()
    turns: int = 0  # bot turns so far in this conversation
    fallback_streak: int = 0  # bot turns in a row that did not answer (FALLBACK_REASONS)

    def all_orders(self) -> tuple[OrderLookup, ...]:
        if self.order is not None and self.order not in self.orders:
            return (self.order, *self.orders)
        return self.orders


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
    lang: str = "zh"
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
            "lang": self.lang,
        }


def is_unhelpful_feedback(u: Understanding) -> bool:
    """The customer says the previous bot answer did not help."""
    return u.unhelpful >= FEEDBACK_THRESHOLD


def _handoff_qr(lang: str) -> QuickReply:
    return QuickReply(quick_reply_label("handoff", lang), HANDOFF_PAYLOAD)


def _feedback_qr(lang: str) -> tuple[QuickReply, ...]:
    return (
        QuickReply(quick_reply_label("resolved", lang), "feedback:resolved"),
        QuickReply(quick_reply_label("unresolved", lang), "feedback:unresolved"),
        _handoff_qr(lang),
    )


def _topics_qr(
    lang: str, first_codes: tuple[str, ...] = (), *, allow_security: bool = False
) -> tuple[QuickReply, ...]:
    codes = [
        c
        for c in first_codes
        if c not in _NO_ANSWER_INTENTS and (allow_security or c != "account_security")
    ]
    codes += [c for c in _POPULAR if c not in codes]
    return (
        *(QuickReply(quick_reply_label(c, lang), f"intent:{c}") for c in codes[:4]),
        _handoff_qr(lang),
    )


def _order_lines(u: Understanding, state: BotState) -> str | None:
    orders = state.all_orders()
    if not orders:
        return None
    named = {n.upper() for n in u.entities_of("order_no")}
    shown = [o for o in orders if not named or o.order_no.upper() in named]
    if not shown:
        return None
    lines = []
    for order in shown:
        status = ORDER_STATUS.get(order.status)
        eta = order.eta_minutes if order.eta_minutes is not None else 10
        if status is None:
            text = f"状态为“{order.status}”" if u.lang == "zh" else f"status “{order.status}”"
        else:
            text = (status.get(u.lang) or status["zh"]).format(eta=eta)
        lines.append(say("order_line", u.lang, order_no=order.order_no, status=text))
    if any(o.status in ("paid", "processing") for o in shown) and u.intent in (
        "recharge_not_received",
        "order_status",
        "refund",
    ):
        lines.append(say("order_wait_more", u.lang))
    return "".join(lines)


def _answer(article: Article, lang: str) -> str:
    if lang == "en":
        if article.title_en and article.body_en:
            return f"[{article.title_en}] {article.body_en}"
        return say("article_zh_only", lang) + f"【{article.title}】{article.body}"
    return f"【{article.title}】{article.body}"


# "is it real?" about a named contact is a channel check whatever the topic around it
_AUTHENTICITY = re.compile(
    r"是真的吗|真的假的|是不是真的|是真是假|靠谱吗|可信吗|可靠吗|是你们的吗|是不是你们|你们打的"
    r"|官方的吗|是官方吗|legit|genuine|is (?:this|it|that|he|she) (?:really )?(?:you|real|official)"
)


def _asks_about_contact(u: Understanding) -> bool:
    if not named_contacts(u.entities):
        return False
    return u.intent == "channel_verify" or _security(u) or bool(_AUTHENTICITY.search(u.normalised))


def decide(u: Understanding, state: BotState, index: KnowledgeIndex | None = None) -> BotDecision:
    """Decide the bot's next move for one customer message. Pure: no I/O, no clock."""
    decision = _decide(u, state, index)
    return replace(decision, lang=u.lang)


def _security(u: Understanding) -> bool:
    return u.intent == "account_security" and (
        u.rule == "account_security" or u.confidence >= SECURITY_MODEL_THRESHOLD
    )


def _decide(u: Understanding, state: BotState, index: KnowledgeIndex | None) -> BotDecision:
    if state.handed_over:
        return BotDecision("", silent=True, reason="handed_over")
    decision = _decide_once(u, state, index)
    if (
        decision.reason in FALLBACK_REASONS
        and state.fallback_streak >= MAX_FALLBACKS
        and not decision.handoff
    ):
        # the bot has not understood twice in a row: a third non-answer would trap them
        warning = say("secret_warning", u.lang) if u.redaction_kinds else ""
        return BotDecision(
            warning + say("unhelpful", u.lang),
            handoff=True,
            reason="unhelpful",
            unhelpful_feedback=decision.unhelpful_feedback,
        )
    return decision


def _decide_once(u: Understanding, state: BotState, index: KnowledgeIndex | None) -> BotDecision:
    lang = u.lang
    warning = say("secret_warning", lang) if u.redaction_kinds else ""
    # a first message can say it too ("刚才问过了没解决"): then only when unmistakable
    unhelpful = is_unhelpful_feedback(u) and (
        state.turns > 0 or (u.unhelpful >= _PURE_FEEDBACK and refers_back(u.normalised))
    )

    def handoff(reason: str, text: str, *, urgent: bool = False) -> BotDecision:
        return BotDecision(
            warning + text, handoff=True, urgent=urgent, reason=reason, unhelpful_feedback=unhelpful
        )

    if state.handoff_pressed:
        return handoff("button", say("button", lang))
    if _security(u):
        verdicts = (
            channel_verdicts(u.entities, state.official_channels, lang)
            if named_contacts(u.entities)
            else ""
        )
        text = say("security", lang) + verdicts + say("never_ask", lang)
        return handoff("account_security", text, urgent=True)
    if u.intent == "human_agent":
        return handoff("human_agent", say("human_agent", lang))
    # "that did not help" read by the model as a complaint is feedback on the answer
    feedback_first = unhelpful and u.rule is None and u.intent == "complaint"
    if u.intent == "complaint" and not feedback_first:
        return handoff("complaint", say("complaint", lang))
    if u.sentiment.strong_negative:
        return handoff("negative_sentiment", say("negative_sentiment", lang))
    new_question = (
        u.confidence >= CONFIDENCE_THRESHOLD
        and u.intent not in _NO_ANSWER_INTENTS
        and len(u.normalised) > 6
        and not (u.unhelpful >= _PURE_FEEDBACK and len(u.normalised) <= _PURE_FEEDBACK_LEN)
    )
    if unhelpful:
        if state.unhelpful_turns + 1 >= 2:
            return handoff("unhelpful", say("unhelpful", lang))
        if not new_question:
            return BotDecision(
                warning + say("unhelpful_once", lang),
                quick_replies=_topics_qr(lang, tuple(c for c, _ in u.top[:2])),
                reason="unhelpful_once",
                unhelpful_feedback=True,
            )

    if u.intent == "channel_verify" or _asks_about_contact(u):
        return BotDecision(
            warning
            + channel_verdicts(u.entities, state.official_channels, lang)
            + say("never_ask", lang),
            quick_replies=_feedback_qr(lang),
            reason="channel_verify",
            unhelpful_feedback=unhelpful,
        )

    order_text = _order_lines(u, state)
    confident = u.confidence >= CONFIDENCE_THRESHOLD
    article = (
        index.best_for(u.intent, u.normalised)
        if index is not None and confident and u.intent not in _NO_ANSWER_INTENTS
        else None
    )
    if order_text is not None:
        return BotDecision(
            warning + order_text,
            quick_replies=_feedback_qr(lang),
            reason="order_status",
            article_id=article.id if article else None,
            unhelpful_feedback=unhelpful,
        )
    if u.intent == "greeting" and confident:
        return BotDecision(
            warning + say("greeting" if state.turns == 0 else "greeting_again", lang),
            quick_replies=_topics_qr(lang),
            reason="greeting",
            unhelpful_feedback=unhelpful,
        )
    if u.intent == "other" or not confident or u.intent == "account_security":
        # out of scope says what the bot can do; unsure asks which of the likeliest
        # topics it is (a doubtful theft first: one tap reaches the urgent queue)
        out_of_scope = u.intent == "other" and confident
        likely = tuple(c for c, p in u.top[:3] if p >= 0.05)
        return BotDecision(
            warning + say("out_of_scope" if out_of_scope else "clarify", lang),
            quick_replies=_topics_qr(lang, likely, allow_security=not out_of_scope),
            reason="out_of_scope" if out_of_scope else "unsure",
            unhelpful_feedback=unhelpful,
        )
    if article is not None:
        return BotDecision(
            warning + _answer(article, lang),
            quick_replies=_feedback_qr(lang),
            reason="answer",
            article_id=article.id,
            unhelpful_feedback=unhelpful,
        )
    if warning:
        return BotDecision(warning, quick_replies=_topics_qr(lang), reason="secret_warning")
    return BotDecision(
        say("no_answer", lang),
        quick_replies=_topics_qr(lang, (u.intent,)),
        reason="no_answer",
        unhelpful_feedback=unhelpful,
    )


def order_numbers(u: Understanding) -> list[str]:
    """The order numbers the customer named, for the caller's order look-ups."""
    return list(dict.fromkeys(v.upper() for v in u.entities_of("order_no")))


def order_number(u: Understanding) -> str | None:
    """The first order number the customer named."""
    return first(u.entities, "order_no")
