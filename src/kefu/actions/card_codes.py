"""Card codes (卡密) are secrets: an agent's reveal is a deliberate, logged, limited act.

Codes are never stored in clear and never written to a timeline: dujiao-next's are read
from the marketplace at the moment of the reveal. A reveal names its conversation (the
case it serves); the order must be that conversation's or its customer's. It is refused
past the per-agent budget (429); otherwise one transaction writes an internal
``card_codes`` event (who, which order, how many — not the codes) and an audit-log row,
and the codes go back to the agent in the answer only (``Cache-Control: no-store``).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from kefu.actions.access import (
    access_conversation_by_public_id,
    access_order_by_no,
    access_tenant,
)
from kefu.actions.audit import record_change
from kefu.actions.context import Actor, ActorKind, Kefu, transaction
from kefu.actions.order_source import codes_purpose, open_order_adapter, secret_box
from kefu.actions.throttles import Budget, budget_key, guard, record_attempts
from kefu.actions.timeline import append_event
from kefu.domain.conversation_state import AuthorType, EventType, Visibility
from kefu.domain.tenant_settings import parse_tenant_settings
from kefu.errors import Forbidden, KefuError, NotFound
from kefu.storage.models import Agent, ConversationOrder

REVEAL_BUDGET = Budget(
    "card-code-reveal",
    20,
    timedelta(hours=1),
    failures_only=False,
    message_zh="查看卡密过于频繁（每小时最多 20 次），请稍后再试",
    message_en="too many card-code reveals (20 an hour); try again later",
)


class NoCardCodes(KefuError):
    status_code = 404

    def __init__(self) -> None:
        super().__init__(
            "no_card_codes", "该订单没有可查看的卡密", "this order has no card codes to show"
        )


async def do_reveal_card_codes(
    kefu: Kefu, actor: Actor, conversation_id: str, order_no: str
) -> tuple[str, ...]:
    if actor.kind is not ActorKind.STAFF:  # a person, never a token: it is their act
        raise Forbidden("只有客服本人可以查看卡密", "only a signed-in agent may reveal card codes")
    async with kefu.db.read() as session:
        conv = await access_conversation_by_public_id(session, actor, conversation_id)
        order = await access_order_by_no(session, actor, order_no)
        linked = (
            await session.execute(
                select(ConversationOrder).where(
                    ConversationOrder.conversation_id == conv.id,
                    ConversationOrder.order_id == order.id,
                )
            )
        ).scalar_one_or_none()
        if linked is None and (order.customer_id is None or order.customer_id != conv.customer_id):
            raise NotFound("order", "订单")  # not this case's order: nothing to say about it
        tenant = await access_tenant(session, actor)
        agent = await session.get(Agent, actor.agent_id) if actor.agent_id else None
    key = budget_key(REVEAL_BUDGET, actor.tenant_id, actor.agent_id or actor.token_id)
    await guard(kefu, [(REVEAL_BUDGET, key)])
    codes: tuple[str, ...] = ()
    if order.card_codes_sealed:  # pushed once in clear (dujiaoka), sealed at rest
        plain = secret_box(kefu).open(order.card_codes_sealed, codes_purpose(tenant.id, order_no))
        codes = tuple(plain.splitlines())
    else:  # read from the marketplace at this moment, never stored
        settings = parse_tenant_settings(tenant.settings)
        async with open_order_adapter(kefu, tenant.id, settings) as adapter:
            snap = await adapter.lookup(order_no)
        codes = snap.card_codes if snap is not None else ()
    if not codes:
        raise NoCardCodes()
    author = {"name": agent.display_name, "agent_no": agent.agent_no} if agent else None
    async with transaction(kefu) as tx:
        conv = await access_conversation_by_public_id(tx.session, actor, conversation_id)
        record_attempts(tx.session, [key], True, tx.now)
        await append_event(
            tx,
            conv,
            EventType.CARD_CODES,
            author_type=AuthorType.AGENT,
            author_id=actor.agent_id,
            visibility=Visibility.INTERNAL,
            data={
                "order_no": order_no,
                "action": "revealed",
                "count": len(codes),
                "author": author,
            },
        )
        await record_change(
            kefu,
            tx.session,
            actor,
            "card_codes",
            None,
            {"order_no": order_no, "count": len(codes), "conversation": conv.number},
            target=order_no,
        )
    return codes
