"""kefu's public answers out to WeChat, through the outbox, within the reply window.

The subscriber enqueues one ``wechat.send`` job per public bot turn or agent message of
a WeChat conversation, one for a handoff (the queue position goes back) and one for a
resolution (微信客服: service_state → 4 and the satisfaction menu). The job checks the
window (48 h after the user's last message, 5 messages) before calling WeChat; a closed
window is not retried: the answer stays on the public timeline, staff get an internal
note, and the ticket link is sent the next time the user writes. In 微信客服 kefu moves
a new session to state 1 (智能助手) so the API keeps the chat while kefu agents answer.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from sqlalchemy import select

from kefu.actions.context import Kefu, TimelineFact, Tx, transaction
from kefu.actions.outbox import enqueue, mark_done
from kefu.actions.queueing import queue_info
from kefu.actions.ticket_tracking import tracking_token, tracking_url
from kefu.actions.timeline import append_event
from kefu.actions.wechat_config import OfficialAccountApp, WeComApp, official_account, wecom_app
from kefu.actions.wechat_tokens import access_token
from kefu.channels.interface import Outgoing, QuickReply
from kefu.channels.wechat import outgoing
from kefu.channels.wechat.api import KF_STATE_FORBIDS_SEND, WeChatApi, WeChatApiError
from kefu.clock import ensure_aware
from kefu.domain.conversation_state import AuthorType, EventType, Status, Visibility
from kefu.domain.reply_window import WindowState, window_state
from kefu.domain.tenant_settings import parse_tenant_settings
from kefu.storage.models import Conversation, Event, Job, Tenant, WeChatContact

log = logging.getLogger("kefu.wechat")

_WHY = {
    "expired": "客户超过 48 小时未发消息",
    "used_up": "客户上次发消息后已发满 5 条",
    "never_wrote": "客户尚未发过消息",
    "refused": "微信拒绝发送",
    "session_ended": "微信客服会话已结束",
}


def _window(contact: WeChatContact, kefu: Kefu) -> WindowState:
    last = ensure_aware(contact.last_user_at) if contact.last_user_at else None
    return window_state(last, contact.sent_since, kefu.clock.now())


def _what(fact: TimelineFact) -> str | None:
    if fact.visibility != Visibility.PUBLIC.value:
        return None
    if fact.type == EventType.BOT_TURN.value:
        return "answer"
    if fact.type == EventType.MESSAGE.value and fact.author_type == AuthorType.AGENT.value:
        return "answer"
    if fact.type == EventType.HANDOFF.value:
        return "queue_position"
    if fact.type == EventType.STATUS_CHANGE.value and fact.data.get("to") == Status.RESOLVED:
        return "resolved"
    return None


async def on_timeline(kefu: Kefu, tx: Tx, facts: list[TimelineFact]) -> None:
    wanted = [(f, w) for f in facts if (w := _what(f)) is not None]
    if not wanted:
        return
    ids = {f.conversation_id for f, _ in wanted}
    contacts = (
        await tx.session.execute(
            select(WeChatContact.id, WeChatContact.conversation_id).where(
                WeChatContact.conversation_id.in_(ids)
            )
        )
    ).all()
    by_conv = {conv_id: contact_id for contact_id, conv_id in contacts}
    for fact, what in wanted:
        contact_id = by_conv.get(fact.conversation_id)
        if contact_id is None:
            continue
        await enqueue(
            tx,
            "wechat.send",
            f"{fact.conversation_id}:{fact.seq}:{what}",
            {"contact_id": contact_id, "seq": fact.seq, "what": what},
            tenant_id=fact.tenant_id,
            conversation_id=fact.conversation_id,
        )


async def enqueue_link(tx: Tx, contact: WeChatContact, conv: Conversation) -> None:
    """The user wrote again after answers could not be sent: send them the ticket link."""
    await enqueue(
        tx,
        "wechat.send",
        f"{conv.id}:{conv.last_seq}:link",
        {"contact_id": contact.id, "seq": conv.last_seq, "what": "link"},
        tenant_id=conv.tenant_id,
        conversation_id=conv.id,
    )


async def _compose(kefu: Kefu, what: str, conv: Conversation, event: Event | None) -> Outgoing:
    if what == "queue_position":
        info = await queue_info(kefu, conv)
        text = "已为您转接人工客服，请稍候。"
        if info.position is not None:
            text = f"已为您转接人工客服，您前面还有 {max(info.position - 1, 0)} 位。"
            if info.estimate is not None and info.estimate.expected_wait is not None:
                minutes = max(1, round(info.estimate.expected_wait.total_seconds() / 60))
                text += f"预计等待约 {minutes} 分钟。"
        return Outgoing(text)
    if what == "link":
        async with kefu.db.read() as session:
            tenant = await session.get(Tenant, conv.tenant_id)
            slug = tenant.slug if tenant else ""
        link = tracking_url(kefu, slug, tracking_token(kefu, conv.tenant_id, conv.public_id))
        return Outgoing(f"客服的回复因微信发送时限未能送达，请在工单 {conv.number} 中查看：{link}")
    assert event is not None
    replies = tuple(
        QuickReply(str(q.get("label", "")), str(q.get("payload", "")))
        for q in (event.data or {}).get("quick_replies", [])
        if isinstance(q, dict)
    )
    return Outgoing(event.body or "", replies)


async def run_send_job(kefu: Kefu, job: Job) -> None:
    payload = job.payload
    async with kefu.db.read() as session:
        contact = await session.get(WeChatContact, int(payload["contact_id"]))
        conv = await session.get(Conversation, job.conversation_id)
        tenant = await session.get(Tenant, job.tenant_id)
        event = None
        if conv is not None:
            event = (
                await session.execute(
                    select(Event).where(
                        Event.conversation_id == conv.id, Event.seq == int(payload["seq"])
                    )
                )
            ).scalar_one_or_none()
    if contact is None or conv is None or tenant is None:
        return
    typed = parse_tenant_settings(tenant.settings)
    app: WeComApp | OfficialAccountApp | None = (
        wecom_app(kefu, tenant.id, typed)
        if contact.kind == "wecom"
        else official_account(kefu, tenant.id, typed, contact.account)
    )
    if app is None:
        return
    what = str(payload["what"])
    async with httpx.AsyncClient(timeout=10) as http:
        if what == "resolved":
            await _resolve(kefu, http, job, contact, app)
            return
        window = _window(contact, kefu)
        if not window.open:
            await _undelivered(kefu, job, contact, window.reason)
            return
        message = await _compose(kefu, what, conv, event)
        try:
            await _send(kefu, http, contact, app, message)
        except WeChatApiError as exc:
            if exc.errcode == KF_STATE_FORBIDS_SEND:  # the session ended meanwhile
                await _undelivered(kefu, job, contact, "session_ended")
                return
            if not exc.window_closed:
                raise
            await _undelivered(kefu, job, contact, "refused")
            return
    async with transaction(kefu) as tx:
        if not await mark_done(tx, job.id):
            return
        row = await tx.session.get(WeChatContact, contact.id, with_for_update=True)
        if row is not None:
            row.sent_since += 1
            if contact.kind == "wecom" and row.service_state == 0:
                row.service_state = 1
            if what == "link":
                row.undelivered = 0


async def _call(
    kefu: Kefu,
    http: httpx.AsyncClient,
    contact: WeChatContact,
    app: WeComApp | OfficialAccountApp,
    fn: Any,
) -> Any:
    """One API call with the shared token; an invalid/expired token is replaced once."""
    api = WeChatApi(http, app.api_base)
    token = await access_token(kefu, http, contact.tenant_id, app)
    try:
        return await fn(api, token)
    except WeChatApiError as exc:
        if not exc.token_invalid:
            raise
        token = await access_token(kefu, http, contact.tenant_id, app, refused=token)
        return await fn(api, token)


async def _send(
    kefu: Kefu,
    http: httpx.AsyncClient,
    contact: WeChatContact,
    app: WeComApp | OfficialAccountApp,
    message: Outgoing,
) -> None:
    if isinstance(app, WeComApp):
        if contact.service_state == 0:  # kefu takes the session (智能助手), keeps it there
            try:
                await _call(
                    kefu, http, contact, app,
                    lambda api, t: api.kf_trans_state(t, contact.account, contact.user_id, 1),
                )  # fmt: skip
            except WeChatApiError as exc:
                log.info("kf state 0->1 refused", extra={"errcode": exc.errcode})
        body = outgoing.kf_message(message, contact.account, contact.user_id)
        await _call(kefu, http, contact, app, lambda api, t: api.kf_send_msg(t, body))
    else:
        oa_body = outgoing.oa_message(message, contact.user_id)
        await _call(kefu, http, contact, app, lambda api, t: api.custom_send(t, oa_body))


async def _resolve(
    kefu: Kefu,
    http: httpx.AsyncClient,
    job: Job,
    contact: WeChatContact,
    app: WeComApp | OfficialAccountApp,
) -> None:
    if isinstance(app, WeComApp):
        code = await _call(
            kefu, http, contact, app,
            lambda api, t: api.kf_trans_state(t, contact.account, contact.user_id, 4),
        )  # fmt: skip
        if code:
            menu = outgoing.satisfaction_menu(contact.account, contact.user_id)
            menu.pop("touser")
            menu.pop("open_kfid")
            await _call(
                kefu, http, contact, app, lambda api, t: api.kf_send_on_event(t, code, menu)
            )
    else:
        window = _window(contact, kefu)
        if window.open:
            menu = outgoing.oa_message(
                Outgoing(
                    "本次服务已结束，请对我们的服务进行评价：",
                    tuple(
                        QuickReply(c, p)
                        for p, c in (
                            ("rate_5", "非常满意"),
                            ("rate_4", "满意"),
                            ("rate_2", "不满意"),
                        )
                    ),
                ),
                contact.user_id,
            )
            try:
                await _call(kefu, http, contact, app, lambda api, t: api.custom_send(t, menu))
            except WeChatApiError as exc:
                if not exc.window_closed:
                    raise
    async with transaction(kefu) as tx:
        if not await mark_done(tx, job.id):
            return
        row = await tx.session.get(WeChatContact, contact.id, with_for_update=True)
        if row is not None and isinstance(app, WeComApp):
            row.service_state = 4


async def _undelivered(kefu: Kefu, job: Job, contact: WeChatContact, reason: str) -> None:
    async with transaction(kefu) as tx:
        if not await mark_done(tx, job.id):
            return
        row = await tx.session.get(WeChatContact, contact.id, with_for_update=True)
        conv = await tx.session.get(Conversation, job.conversation_id, with_for_update=True)
        if row is None or conv is None:
            return
        row.undelivered += 1
        if reason == "refused":
            row.sent_since = 5  # WeChat knows better than our count
        await append_event(
            tx,
            conv,
            EventType.NOTE,
            author_type=AuthorType.SYSTEM,
            body=(
                f"微信回复窗口已关闭（{_WHY.get(reason, reason)}），这条回复没有送达微信，"
                "已保留在工单公开记录中；客户下次发消息时会收到工单链接。"
            ),
            visibility=Visibility.INTERNAL,
            data={"wechat_undelivered": reason},
        )
