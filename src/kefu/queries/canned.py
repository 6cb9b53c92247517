"""The canned answers one agent sees in one conversation, with the variables filled.

The answers come from ``TenantSettings.canned_answers`` (the admin console writes them;
domain/canned_answers.py holds the built-in seven a tenant starts with); the values are
the agent, the conversation's customer and its (first linked) order."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.domain.canned_answers import answers_for, render_answer
from kefu.domain.tenant_settings import TenantSettings
from kefu.storage.models import Agent, Conversation, ConversationOrder, Customer, Order


async def canned_for_conversation(
    session: AsyncSession, settings: TenantSettings, agent: Agent, conv: Conversation
) -> list[tuple[str, str]]:
    """(title, text) pairs for the console's canned-answer chips."""
    customer = await session.get(Customer, conv.customer_id) if conv.customer_id else None
    order_no = (
        await session.execute(
            select(Order.order_no)
            .join(ConversationOrder, ConversationOrder.order_id == Order.id)
            .where(ConversationOrder.conversation_id == conv.id, Order.tenant_id == conv.tenant_id)
            .order_by(Order.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    values = {
        "agent_name": agent.display_name,
        "agent_no": agent.agent_no,
        "customer_name": customer.display_name if customer else "",
        "order_no": order_no or "",
        "number": conv.number,
    }
    return [
        (a.title, render_answer(a, values))
        for a in answers_for(settings.canned_answers, agent.agent_no)
    ]
