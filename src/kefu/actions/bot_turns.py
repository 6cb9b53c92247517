"""The bot inside the live conversation: it answers each customer message while the
conversation is with the bot (status ``bot``) and is silent once a person has it.

For one customer message: load what the policy needs (the conversation's bot state, the
tenant's official channels and agents' 工号, the order the customer named — only if it is
*this* customer's order in *this* tenant — and the tenant's knowledge index), understand
the text, ``decide``, then write the ``bot_turn`` event and the new bot state in one
transaction; a handoff decision then goes through ``do_request_handoff``.

Quick replies arrive as the message body: ``handoff`` (or the button label 转人工),
``intent:<code>`` (answer that topic), ``feedback:resolved`` / ``feedback:unresolved``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.actions.access import access_order_by_no
from kefu.actions.context import Actor, ActorKind, Kefu, TimelineFact, Tx, transaction
from kefu.actions.conversations import do_request_handoff
from kefu.actions.knowledge import knowledge_index
from kefu.actions.outbox import add_failure_note, enqueue, mark_done
from kefu.actions.timeline import append_event
from kefu.domain.conversation_state import AuthorType, EventType, Status
from kefu.domain.routing import department_for
from kefu.domain.tenant_settings import TenantSettings, parse_tenant_settings
from kefu.domain.vocabulary import CATEGORIES
from kefu.errors import NotFound
from kefu.nlu.intents import INTENT_CODES
from kefu.nlu.pipeline import NluEngine, Understanding
from kefu.nlu.policy import (
    CONFIDENCE_THRESHOLD,
    FALLBACK_REASONS,
    HANDOFF_PAYLOAD,
    BotDecision,
    BotState,
    OfficialChannel,
    OrderLookup,
    QuickReply,
    decide,
    order_numbers,
)
from kefu.nlu.replies import quick_reply_label, say
from kefu.nlu.retrieve import KnowledgeIndex
from kefu.storage.models import (
    Agent,
    Conversation,
    ConversationOrder,
    Department,
    Event,
    Job,
    Order,
    Tenant,
)

log = logging.getLogger("kefu.bot")

ORDER_INTENTS = frozenset(c.code for c in CATEGORIES if c.order_related)
UNINFORMATIVE_INTENTS = frozenset(c.code for c in CATEGORIES if not c.informative)
_HANDOFF_BODIES = frozenset({HANDOFF_PAYLOAD, "转人工"})

_engines: dict[str, NluEngine] = {}

BOT_JOB = "bot.answer"
BOT_FAILED_APOLOGY = (
    "非常抱歉，智能助手暂时出了点问题，已为您转接人工客服，请稍候，客服会尽快回复您。"
)


@dataclass(frozen=True)
class TurnContext:
    """Everything the policy needs about one customer message, read before deciding."""

    conversation_id: int
    public_id: str
    body: str
    redacted: tuple[str, ...]
    lang_hint: str | None
    state: BotState
    unhelpful_turns: int
    departments: frozenset[str]
    examples: tuple[tuple[str, str], ...]


async def on_timeline(kefu: Kefu, tx: Tx, facts: list[TimelineFact]) -> None:
    """Each customer message to a conversation with the bot gets one ``bot.answer`` job
    (key: conversation + seq), run at once after the commit."""
    for fact in facts:
        if fact.type != EventType.MESSAGE or fact.author_type != AuthorType.CUSTOMER:
            continue
        if fact.status != Status.BOT:
            continue  # with a person (or closed) once the message committed: stay silent
        if fact.data.get("merged_from"):
            continue  # copied from a merged duplicate (actions/ticket_merge.py): not new
        await enqueue(
            tx,
            BOT_JOB,
            f"{fact.conversation_id}:{fact.seq}",
            {"public_id": fact.conversation_public_id, "seq": fact.seq},
            tenant_id=fact.tenant_id,
            conversation_id=fact.conversation_id,
        )


async def run_bot_job(kefu: Kefu, job: Job) -> None:
    assert job.tenant_id is not None and job.conversation_id is not None
    fact = TimelineFact(
        tenant_id=job.tenant_id,
        conversation_id=job.conversation_id,
        conversation_public_id=str(job.payload.get("public_id", "")),
        seq=int(job.payload["seq"]),
        type=EventType.MESSAGE.value,
        author_type=AuthorType.CUSTOMER.value,
        author_id=None,
        visibility="public",
        data={},
        status=Status.BOT.value,
    )
    await answer_message(kefu, fact, job_id=job.id)


async def bot_gave_up(kefu: Kefu, job: Job) -> None:
    """The bot kept failing on a message: apologise, queue the customer for a person, and
    tell staff why (one transaction)."""
    async with transaction(kefu) as tx:
        stmt = (
            select(Conversation)
            .where(Conversation.id == job.conversation_id, Conversation.tenant_id == job.tenant_id)
            .with_for_update()
        )
        conv = (await tx.session.execute(stmt)).scalar_one_or_none()
        if conv is None or conv.status != Status.BOT:
            return  # a person has it already
        await append_event(
            tx,
            conv,
            EventType.BOT_TURN,
            author_type=AuthorType.BOT,
            body=BOT_FAILED_APOLOGY,
            data={
                "intent": "other",
                "confidence": 0.0,
                "reason": "bot_failed",
                "handoff": True,
                "quick_replies": [],
            },
        )
        await add_failure_note(
            tx, job, f"机器人连续 {job.attempts} 次未能回复客户的消息，已自动转人工。"
        )
        await do_request_handoff(
            kefu,
            Actor(kind=ActorKind.MACHINE, tenant_id=conv.tenant_id),
            conv.public_id,
            reason="bot_failed",
        )


async def answer_message(
    kefu: Kefu, fact: TimelineFact, *, job_id: int | None = None
) -> BotDecision | None:
    """Answer one stored customer message (None when the bot stays silent). The answer,
    a handoff it decides and the job's "done" are one transaction."""
    async with kefu.db.read() as session:
        ctx = await _load_context(session, fact)
        if ctx is None:
            return None
        engine = await engine_for(ctx.examples)
        # the sentence embedding blocks for milliseconds: keep it off the event loop
        u = await asyncio.to_thread(_understand, engine, ctx)
        orders = await _order_lookups(session, fact, u)
        index = await knowledge_index(session, fact.tenant_id)
    state = replace(ctx.state, orders=orders) if orders else ctx.state
    decision = _decide(u, ctx, state, index)
    if decision.silent:
        return None
    async with transaction(kefu):
        written = await do_record_bot_turn(
            kefu, fact.tenant_id, ctx.conversation_id, u, decision, seq=fact.seq, job_id=job_id
        )
        if written and decision.handoff:
            code = department_for(u.intent)
            await do_request_handoff(
                kefu,
                Actor(kind=ActorKind.MACHINE, tenant_id=fact.tenant_id),
                ctx.public_id,
                reason=decision.reason or "bot",
                urgent=decision.urgent,
                category=u.intent if u.intent not in UNINFORMATIVE_INTENTS else None,
                department_code=code if code in ctx.departments else None,
            )
    return decision if written else None


async def _load_context(session: AsyncSession, fact: TimelineFact) -> TurnContext | None:
    conv = await session.get(Conversation, fact.conversation_id)
    if conv is None or conv.tenant_id != fact.tenant_id or conv.status != Status.BOT:
        return None
    bot_state = dict(conv.bot_state or {})
    if bot_state.get("handed_over"):
        return None
    event = (
        await session.execute(
            select(Event).where(Event.conversation_id == conv.id, Event.seq == fact.seq)
        )
    ).scalar_one_or_none()
    if event is None or not event.body.strip():
        return None  # an attachment alone: nothing to understand
    tenant = await session.get(Tenant, fact.tenant_id)
    settings = parse_tenant_settings(tenant.settings if tenant else None)
    departments = frozenset(
        (
            await session.execute(
                select(Department.code).where(Department.tenant_id == conv.tenant_id)
            )
        ).scalars()
    )
    agent_nos = (
        await session.execute(
            select(Agent.agent_no).where(
                Agent.tenant_id == conv.tenant_id, Agent.is_active.is_(True)
            )
        )
    ).scalars()
    # a quick-reply click carries its machine payload beside the readable label
    payload = (event.data or {}).get("quick_reply")
    body = str(payload) if isinstance(payload, str) and payload else event.body.strip()
    hint = (event.data or {}).get("lang")
    return TurnContext(
        conversation_id=conv.id,
        public_id=conv.public_id,
        body=body,
        redacted=tuple(str(k) for k in (event.data or {}).get("redacted", [])),
        lang_hint=hint if hint in ("zh", "en") else bot_state.get("lang"),
        state=BotState(
            unhelpful_turns=int(bot_state.get("unhelpful_turns", 0)),
            turns=int(bot_state.get("turns", 0)),
            fallback_streak=int(bot_state.get("fallback_streak", 0)),
            handoff_pressed=body.lower() in _HANDOFF_BODIES,
            official_channels=official_channels(settings, list(agent_nos)),
        ),
        unhelpful_turns=int(bot_state.get("unhelpful_turns", 0)),
        departments=departments,
        examples=tenant_examples(settings),
    )


def official_channels(
    settings: dict[str, Any] | TenantSettings | None, agent_nos: list[str]
) -> tuple[OfficialChannel, ...]:
    """TenantSettings.official_channels plus every active 工号."""
    typed = parse_tenant_settings(settings)
    out = [OfficialChannel(c.type, c.value, c.label) for c in typed.official_channels]
    out.extend(OfficialChannel("agent_id", no, "客服工号") for no in agent_nos if no)
    return tuple(out)


def tenant_examples(
    settings: dict[str, Any] | TenantSettings | None,
) -> tuple[tuple[str, str], ...]:
    """TenantSettings.bot_examples (tenant phrasings and intents)."""
    return tuple((e.text, e.intent) for e in parse_tenant_settings(settings).bot_examples)


async def warm_bot() -> None:
    """Load (or, on a fresh install, train and cache) the shipped engine and run a
    message through it, in a worker thread; the app calls this at start-up."""
    started = time.perf_counter()
    engine = await asyncio.to_thread(lambda: NluEngine.default().warm())
    log.info(
        "bot model ready",
        extra={
            "seconds": round(time.perf_counter() - started, 2),
            "encoder": engine.classifier.encoder_name,
        },
    )


async def engine_for(examples: tuple[tuple[str, str], ...]) -> NluEngine:
    """The shipped engine, or one trained with a tenant's examples (cached per example set;
    training takes seconds, so it runs in a worker thread)."""
    if not examples:
        return await asyncio.to_thread(NluEngine.default)
    key = hashlib.sha256(json.dumps(examples, ensure_ascii=False).encode()).hexdigest()
    engine = _engines.get(key)
    if engine is None:
        engine = await asyncio.to_thread(NluEngine.with_examples, examples)
        _engines[key] = engine
    return engine


def _understand(engine: NluEngine, ctx: TurnContext) -> Understanding:
    body = ctx.body
    lowered = body.lower()
    if lowered == "feedback:unresolved":
        body = "没解决"
    u = engine.understand(body, lang_hint=ctx.lang_hint)
    if lowered.startswith("intent:"):
        code = lowered.split(":", 1)[1]
        if code in INTENT_CODES:
            u = replace(u, intent=code, confidence=1.0, top=((code, 1.0),))
    if ctx.redacted:
        # the stored text is already masked; the customer did send a secret
        u = replace(u, redaction_kinds=tuple(dict.fromkeys((*ctx.redacted, *u.redaction_kinds))))
    return u


def _decide(
    u: Understanding, ctx: TurnContext, state: BotState, index: KnowledgeIndex
) -> BotDecision:
    if ctx.body.lower() == "feedback:resolved":
        return BotDecision(
            say("resolved", u.lang),
            quick_replies=(QuickReply(quick_reply_label("handoff", u.lang), HANDOFF_PAYLOAD),),
            reason="resolved",
            lang=u.lang,
        )
    return decide(u, state, index)


async def _order_lookups(
    session: AsyncSession, fact: TimelineFact, u: Understanding
) -> tuple[OrderLookup, ...]:
    """Each named order if it is this customer's in this tenant; never anyone else's (an
    order of someone else, or of nobody, gets the same not_found answer, which offers
    verification and reveals nothing - also to an anonymous visitor).
    With no number named, an order linked to the conversation answers order questions."""
    conv = await session.get(Conversation, fact.conversation_id)
    if conv is None:
        return ()
    named = order_numbers(u)[:5]
    if conv.customer_id is None:
        return tuple(OrderLookup(order_no=n, status="not_found") for n in named)
    customer = Actor(
        kind=ActorKind.CUSTOMER, tenant_id=conv.tenant_id, customer_id=conv.customer_id
    )
    if named:
        found: list[OrderLookup] = []
        for number in named:
            try:
                found.append(_lookup(await access_order_by_no(session, customer, number)))
            except NotFound:
                found.append(OrderLookup(order_no=number, status="not_found"))
        return tuple(found)
    if u.intent not in ORDER_INTENTS:
        return ()
    stmt = (
        select(Order)
        .join(ConversationOrder, ConversationOrder.order_id == Order.id)
        .where(
            ConversationOrder.conversation_id == conv.id,
            Order.tenant_id == conv.tenant_id,
            Order.customer_id == conv.customer_id,
        )
        .order_by(Order.id)
        .limit(1)
    )
    linked = (await session.execute(stmt)).scalar_one_or_none()
    return (_lookup(linked),) if linked is not None else ()


def _lookup(order: Order) -> OrderLookup:
    return OrderLookup(
        order_no=order.order_no,
        status=order.status,
        product=order.product,
        amount=str(order.amount),
    )


async def do_record_bot_turn(
    kefu: Kefu,
    tenant_id: int,
    conversation_id: int,
    u: Understanding,
    decision: BotDecision,
    *,
    seq: int = 0,
    job_id: int | None = None,
) -> bool:
    """Write the bot's answer and its new state. False (nothing written) when a person
    took the conversation in the meantime, or message ``seq`` was answered already
    (the same job run twice)."""
    async with transaction(kefu) as tx:
        stmt = (
            select(Conversation)
            .where(Conversation.id == conversation_id, Conversation.tenant_id == tenant_id)
            .with_for_update()
        )
        conv = (await tx.session.execute(stmt)).scalar_one_or_none()
        if conv is None or conv.status != Status.BOT:
            return False
        previous = dict(conv.bot_state or {})
        if previous.get("handed_over"):
            return False
        if seq and int(previous.get("answered_seq", 0)) >= seq:
            return False
        if not await mark_done(tx, job_id):
            return False
        unhelpful = int(previous.get("unhelpful_turns", 0))
        state: dict[str, Any] = {
            **previous,
            "turns": int(previous.get("turns", 0)) + 1,
            "unhelpful_turns": unhelpful + 1 if decision.unhelpful_feedback else unhelpful,
            "last_intent": u.intent,
            "last_reason": decision.reason,
            "fallback_streak": (
                int(previous.get("fallback_streak", 0)) + 1
                if decision.reason in FALLBACK_REASONS
                else 0
            ),
            "lang": decision.lang,
        }
        if seq:
            state["answered_seq"] = seq
        if decision.article_id:
            state["last_article"] = decision.article_id
        conv.bot_state = state
        confident = u.confidence >= CONFIDENCE_THRESHOLD
        if confident and u.intent not in UNINFORMATIVE_INTENTS:
            conv.category = u.intent
        await append_event(
            tx,
            conv,
            EventType.BOT_TURN,
            author_type=AuthorType.BOT,
            body=decision.reply,
            data={
                "intent": u.intent,
                "confidence": u.confidence,
                "quick_replies": [q.to_dict() for q in decision.quick_replies],
                "article_id": decision.article_id,
                "reason": decision.reason,
                "handoff": decision.handoff,
                "urgent": decision.urgent,
                "redaction_warning": list(u.redaction_kinds),
                "lang": decision.lang,
            },
        )
        return True
