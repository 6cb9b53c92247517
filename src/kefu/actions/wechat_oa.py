"""Official Account (公众号) pushes: answered ``success`` at once, worked through the outbox.

WeChat waits 5 s and tries 3 times, so the endpoint only checks, opens and enqueues an
``oa.inbound`` job keyed by WeChat's own dedupe key (``MsgId`` for messages,
``FromUserName + CreateTime`` for events): a retried push is the same job and stores
nothing twice. Plaintext mode checks ``signature``; 安全模式 also checks
``msg_signature`` and decrypts with the current EncodingAESKey, then the previous one.
The menu button whose EventKey is the account's ``menu_key`` ("在线客服") starts a
conversation.
"""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import select

from kefu.actions.context import Kefu, transaction
from kefu.actions.outbox import GiveUp, enqueue
from kefu.actions.wechat_config import OfficialAccountApp, official_account
from kefu.actions.wechat_inbound import WeChatMessageIn, contact_of, do_take_wechat_message
from kefu.channels.wechat.callback_xml import BadCallbackXml, OaMessage, oa_message, parse_xml
from kefu.channels.wechat.crypto import CallbackRejected, check_plain_signature
from kefu.domain.tenant_settings import parse_tenant_settings
from kefu.errors import Forbidden, InvalidInput, NotFound
from kefu.storage.models import Job, Tenant

#: What a tap on the 在线客服 button says on the timeline: a greeting, so the bot offers its
#: menu and 转人工 (the words "在线客服" alone read to the classifier as a complaint).
MENU_TEXT = "你好"


async def _app(kefu: Kefu, tenant_slug: str, app_id: str) -> tuple[int, OfficialAccountApp]:
    async with kefu.db.read() as session:
        tenant = (
            await session.execute(select(Tenant).where(Tenant.slug == tenant_slug))
        ).scalar_one_or_none()
        if tenant is None:
            raise NotFound("tenant", "平台")
        app = official_account(kefu, tenant.id, parse_tenant_settings(tenant.settings), app_id)
        if app is None:
            raise NotFound("official account", "公众号")
        return tenant.id, app


def _rejected(reason: str) -> Forbidden:
    return Forbidden(f"微信回调校验失败（{reason}）", f"WeChat callback rejected ({reason})")


async def check_oa_url(kefu: Kefu, tenant_slug: str, app_id: str, query: dict[str, str]) -> str:
    _tenant_id, app = await _app(kefu, tenant_slug, app_id)
    try:
        check_plain_signature(
            app.keys.token,
            query.get("timestamp", ""),
            query.get("nonce", ""),
            query.get("signature"),
        )
    except CallbackRejected as exc:
        raise _rejected(exc.reason) from None
    return query.get("echostr", "")


def open_push(app: OfficialAccountApp, query: dict[str, str], body: bytes) -> OaMessage:
    timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
    try:
        check_plain_signature(app.keys.token, timestamp, nonce, query.get("signature"))
        fields = parse_xml(body)
        if query.get("encrypt_type") == "aes" or "Encrypt" in fields:
            if not app.safe_mode:
                raise CallbackRejected("encrypted_but_plain_mode")
            inner = app.keys.open_envelope(
                timestamp, nonce, query.get("msg_signature"), fields.get("Encrypt", "")
            )
            fields = parse_xml(inner)
        elif app.safe_mode:
            raise CallbackRejected("plaintext_in_safe_mode")
    except CallbackRejected as exc:
        raise _rejected(exc.reason) from None
    except BadCallbackXml:
        raise InvalidInput("bad_callback", "回调内容无法解析", "unreadable callback body") from None
    message = oa_message(fields)
    if message.account != app.original_id or not message.openid:
        raise _rejected("wrong_account")
    return message


async def do_oa_callback(
    kefu: Kefu, tenant_slug: str, app_id: str, query: dict[str, str], body: bytes
) -> list[int]:
    tenant_id, app = await _app(kefu, tenant_slug, app_id)
    message = open_push(app, query, body)
    async with transaction(kefu) as tx:
        job = await enqueue(
            tx,
            "oa.inbound",
            f"{tenant_id}:{app.app_id}:{message.dedupe_key}",
            {"app_id": app.app_id, "message": asdict(message)},
            tenant_id=tenant_id,
            fast_path=False,
        )
    return [job.id] if job is not None else []


def _text_of(app: OfficialAccountApp, m: OaMessage) -> tuple[str, str | None] | None:
    if m.msg_type == "text":
        return m.content, (m.menu_id or None)
    if m.msg_type == "image":
        return "[图片]", None
    if m.msg_type == "voice":
        return "[语音]", None
    if m.msg_type == "location":
        return f"[位置] {m.label} ({m.location})".strip(), None
    if m.msg_type == "event" and m.event == "CLICK" and m.event_key == app.menu_key:
        return MENU_TEXT, None
    return None


async def run_inbound_job(kefu: Kefu, job: Job) -> None:
    assert job.tenant_id is not None
    async with kefu.db.read() as session:
        tenant = await session.get(Tenant, job.tenant_id)
        app = official_account(
            kefu,
            job.tenant_id,
            parse_tenant_settings(tenant.settings if tenant else None),
            job.payload["app_id"],
        )
    if app is None:
        raise GiveUp("the Official Account is no longer configured")
    m = OaMessage(**job.payload["message"])
    found = _text_of(app, m)
    if found is None:
        if m.msg_type == "event" and m.event == "SUBSCRIBE":
            async with transaction(kefu) as tx:
                await contact_of(tx, job.tenant_id, "oa", app.app_id, m.openid)
        return
    text, quick_reply = found
    media = {"type": m.msg_type, "media_id": m.media_id} if m.media_id else None
    await do_take_wechat_message(
        kefu,
        WeChatMessageIn(
            tenant_id=job.tenant_id,
            kind="oa",
            account=app.app_id,
            user_id=m.openid,
            msg_key=f"oa:{app.app_id}:{m.dedupe_key}",
            text=text,
            sent_at=kefu.clock.now(),
            quick_reply=quick_reply,
            media=media,
        ),
    )
