"""A WeChat user's message into kefu: once per WeChat key, on the user's conversation.

Both WeChat channels end here (actions/wechat_kf.py pulls 微信客服 messages,
actions/wechat_oa.py takes Official Account pushes). The ``wechat_inbound`` row (unique
per tenant and WeChat key) is written in the same transaction as the message, so a
second doorbell or a retried push stores nothing twice. The user is linked to one kefu
customer (``wechat_contacts``) and to their current conversation; a new one starts with
the bot, like the widget. The message also reopens the reply window (48 h, 5 messages).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kefu.actions.context import Actor, ActorKind, Kefu, Tx, transaction
from kefu.actions.conversations import (
    NewConversation,
    do_create_conversation,
    do_post_message,
    do_rate_conversation,
)
from kefu.actions.wechat_delivery import enqueue_link
from kefu.channels.wechat.outgoing import RATING_PAYLOADS
from kefu.domain.conversation_state import Channel, Status
from kefu.storage.models import Conversation, Customer, WeChatContact, WeChatInbound


@dataclass(frozen=True)
class WeChatMessageIn:
    tenant_id: int
    kind: str  # "wecom" / "oa"
    account: str  # open_kfid / appid
    user_id: str  # external_userid / openid
    msg_key: str  # WeChat's key: kf msgid, OA MsgId or FromUserName+CreateTime
    text: str
    sent_at: datetime
    quick_reply: str | None = None
    media: dict[str, str] | None = None


@dataclass(frozen=True)
class Taken:
    outcome: str  # "created" / "appended" / "rated" / "duplicate"
    conversation_public_id: str | None = None


async def seen(tx: Tx, tenant_id: int, msg_key: str) -> bool:
    row = await tx.session.execute(
        select(WeChatInbound.id).where(
            WeChatInbound.tenant_id == tenant_id, WeChatInbound.msg_key == msg_key
        )
    )
    return row.first() is not None


async def remember(tx: Tx, tenant_id: int, msg_key: str, conversation_id: int | None) -> None:
    tx.session.add(
        WeChatInbound(
            tenant_id=tenant_id,
            msg_key=msg_key[:200],
            conversation_id=conversation_id,
            created_at=tx.now,
        )
    )
    await tx.session.flush()


async def contact_of(
    tx: Tx, tenant_id: int, kind: str, account: str, user_id: str
) -> WeChatContact:
    contact = (
        await tx.session.execute(
            select(WeChatContact)
            .where(
                WeChatContact.tenant_id == tenant_id,
                WeChatContact.kind == kind,
                WeChatContact.account == account,
                WeChatContact.user_id == user_id,
            )
            .with_for_update()
        )
    ).scalar_one_or_none()
    if contact is not None:
        return contact
    digest = hashlib.sha256(f"{kind}:{account}:{user_id}".encode()).hexdigest()[:40]
    customer = Customer(
        tenant_id=tenant_id,
        visitor_id=f"wx:{digest}",
        display_name="微信客服用户" if kind == "wecom" else "公众号用户",
        created_at=tx.now,
    )
    tx.session.add(customer)
    await tx.session.flush()
    contact = WeChatContact(
        tenant_id=tenant_id,
        kind=kind,
        account=account,
        user_id=user_id,
        customer_id=customer.id,
        sent_since=0,
        service_state=0,
        created_at=tx.now,
        updated_at=tx.now,
    )
    tx.session.add(contact)
    await tx.session.flush()
    return contact


def _ref(m: WeChatMessageIn) -> dict[str, Any]:
    ref: dict[str, Any] = {"kind": m.kind, "msg_key": m.msg_key[:200]}
    if m.media:
        ref["media_type"] = m.media.get("type")
        ref["media_id"] = m.media.get("media_id")
    return ref


async def do_take_wechat_message(kefu: Kefu, m: WeChatMessageIn) -> Taken:
    try:
        return await _take(kefu, m)
    except IntegrityError:
        # another worker took the same key (then this is a duplicate) or created the same
        # contact at the same moment (then the second try appends to it)
        try:
            return await _take(kefu, m)
        except IntegrityError:
            return Taken("duplicate")


async def _take(kefu: Kefu, m: WeChatMessageIn) -> Taken:
    async with transaction(kefu) as tx:
        if await seen(tx, m.tenant_id, m.msg_key):
            return Taken("duplicate")
        contact = await contact_of(tx, m.tenant_id, m.kind, m.account, m.user_id)
        contact.last_user_at = tx.now
        contact.sent_since = 0
        contact.updated_at = tx.now
        if contact.service_state == 4:
            contact.service_state = 0  # WeChat starts a new session
        actor = Actor(
            kind=ActorKind.CUSTOMER, tenant_id=m.tenant_id, customer_id=contact.customer_id
        )
        conv = None
        if contact.conversation_id is not None:
            conv = await tx.session.get(Conversation, contact.conversation_id)
            if conv is not None and conv.status == Status.CLOSED:
                conv = None
        if conv is not None and m.quick_reply in RATING_PAYLOADS and conv.status == Status.RESOLVED:
            await do_rate_conversation(
                kefu, actor, conv.public_id, RATING_PAYLOADS[m.quick_reply], [], ""
            )
            await remember(tx, m.tenant_id, m.msg_key, conv.id)
            return Taken("rated", conv.public_id)
        if conv is None:
            conv = await do_create_conversation(
                kefu,
                actor,
                NewConversation(
                    channel=Channel.WECHAT,
                    subject=m.text[:60],
                    body=m.text,
                    start_with_bot=True,
                    data={"source": "wechat", "wechat": _ref(m)},
                ),
            )
            outcome = "created"
        else:
            posted = await do_post_message(
                kefu, actor, conv.public_id, m.text, quick_reply=m.quick_reply
            )
            posted.event.data = {**posted.event.data, "source": "wechat", "wechat": _ref(m)}
            outcome = "appended"
        contact.conversation_id = conv.id
        await remember(tx, m.tenant_id, m.msg_key, conv.id)
        if contact.undelivered > 0:
            await enqueue_link(tx, contact, conv)
        return Taken(outcome, conv.public_id)
