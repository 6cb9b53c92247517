"""企业微信 微信客服: the callback is a doorbell, the messages are pulled.

``kf_msg_or_event`` (encrypted, signed) carries only a ``Token`` (10 min) and the
``OpenKfId``. kefu answers at once and enqueues a ``wecom.sync`` job (key: account +
Token, so a repeated doorbell is one job); the job loops ``sync_msg`` from the stored
cursor while ``has_more``, takes each message once by ``msgid``
(actions/wechat_inbound.py) and stores the cursor after each page.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from sqlalchemy import select

from kefu.actions.context import Kefu, transaction
from kefu.actions.outbox import GiveUp, enqueue
from kefu.actions.wechat_config import WeComApp, wecom_app
from kefu.actions.wechat_inbound import WeChatMessageIn, contact_of, do_take_wechat_message
from kefu.actions.wechat_tokens import access_token
from kefu.channels.wechat.api import WeChatApi, WeChatApiError
from kefu.channels.wechat.callback_xml import BadCallbackXml, kf_doorbell, parse_xml
from kefu.channels.wechat.crypto import CallbackRejected
from kefu.channels.wechat.outgoing import kf_inbound
from kefu.domain.tenant_settings import parse_tenant_settings
from kefu.errors import Forbidden, InvalidInput, NotFound
from kefu.storage.models import Job, Tenant, WeChatCursor

log = logging.getLogger("kefu.wechat")

ORIGIN_CUSTOMER = 3
ORIGIN_EVENT = 4


def _rejected(reason: str) -> Forbidden:
    return Forbidden(f"微信回调校验失败（{reason}）", f"WeChat callback rejected ({reason})")


async def _app(kefu: Kefu, tenant_slug: str, corp_id: str) -> tuple[int, WeComApp]:
    async with kefu.db.read() as session:
        tenant = (
            await session.execute(select(Tenant).where(Tenant.slug == tenant_slug))
        ).scalar_one_or_none()
        if tenant is None:
            raise NotFound("tenant", "平台")
        app = wecom_app(kefu, tenant.id, parse_tenant_settings(tenant.settings))
        if app is None or app.corp_id != corp_id:
            raise NotFound("wecom app", "企业微信应用")
        return tenant.id, app


async def check_kf_url(kefu: Kefu, tenant_slug: str, corp_id: str, query: dict[str, str]) -> str:
    """URL verification (GET): the decrypted echostr, or 403."""
    _tenant_id, app = await _app(kefu, tenant_slug, corp_id)
    try:
        return app.keys.open_envelope(
            query.get("timestamp", ""),
            query.get("nonce", ""),
            query.get("msg_signature"),
            query.get("echostr", ""),
        )
    except CallbackRejected as exc:
        raise _rejected(exc.reason) from None


async def do_kf_doorbell(
    kefu: Kefu, tenant_slug: str, corp_id: str, query: dict[str, str], body: bytes
) -> list[int]:
    """Check and open the callback; enqueue the pull. Returns the job ids to run after the
    answer is sent (the runner takes them otherwise)."""
    tenant_id, app = await _app(kefu, tenant_slug, corp_id)
    try:
        envelope = parse_xml(body)
        inner = app.keys.open_envelope(
            query.get("timestamp", ""),
            query.get("nonce", ""),
            query.get("msg_signature"),
            envelope.get("Encrypt", ""),
        )
        bell = kf_doorbell(parse_xml(inner))
    except CallbackRejected as exc:
        raise _rejected(exc.reason) from None
    except BadCallbackXml:
        raise InvalidInput("bad_callback", "回调内容无法解析", "unreadable callback body") from None
    if bell is None or bell.open_kfid not in app.accounts:
        return []  # another event of the app: acknowledged, nothing to do
    async with transaction(kefu) as tx:
        job = await enqueue(
            tx,
            "wecom.sync",
            f"{tenant_id}:{bell.open_kfid}:{bell.token[:120]}",
            {"open_kfid": bell.open_kfid, "token": bell.token},
            tenant_id=tenant_id,
            fast_path=False,
        )
    return [job.id] if job is not None else []


async def run_sync_job(kefu: Kefu, job: Job) -> None:
    assert job.tenant_id is not None
    await sync_account(
        kefu, job.tenant_id, str(job.payload["open_kfid"]), str(job.payload.get("token", ""))
    )


async def _cursor(kefu: Kefu, tenant_id: int, open_kfid: str) -> str:
    async with kefu.db.read() as session:
        row = (
            await session.execute(
                select(WeChatCursor.cursor).where(
                    WeChatCursor.tenant_id == tenant_id, WeChatCursor.open_kfid == open_kfid
                )
            )
        ).scalar_one_or_none()
        return row or ""


async def _store_cursor(kefu: Kefu, tenant_id: int, open_kfid: str, cursor: str) -> None:
    async with transaction(kefu) as tx:
        row = (
            await tx.session.execute(
                select(WeChatCursor)
                .where(WeChatCursor.tenant_id == tenant_id, WeChatCursor.open_kfid == open_kfid)
                .with_for_update()
            )
        ).scalar_one_or_none()
        if row is None:
            row = WeChatCursor(tenant_id=tenant_id, open_kfid=open_kfid)
            tx.session.add(row)
        row.cursor = cursor
        row.updated_at = tx.now


async def sync_account(kefu: Kefu, tenant_id: int, open_kfid: str, callback_token: str) -> int:
    """Pull everything new for one kf account; returns how many messages were taken."""
    async with kefu.db.read() as session:
        tenant = await session.get(Tenant, tenant_id)
        app = wecom_app(kefu, tenant_id, parse_tenant_settings(tenant.settings if tenant else None))
    if app is None:
        raise GiveUp("WeCom is no longer configured")
    taken = 0
    async with httpx.AsyncClient(timeout=10) as http:
        api = WeChatApi(http, app.api_base)
        token = await access_token(kefu, http, tenant_id, app)
        cursor = await _cursor(kefu, tenant_id, open_kfid)
        for _page in range(100):
            try:
                page = await api.kf_sync_msg(token, open_kfid, cursor, callback_token)
            except WeChatApiError as exc:
                if exc.token_invalid:
                    token = await access_token(kefu, http, tenant_id, app, refused=token)
                    continue
                if exc.errcode == 95007 and callback_token:  # the doorbell's Token expired
                    callback_token = ""
                    continue
                raise
            for msg in page.get("msg_list", []):
                taken += await _take_kf(kefu, tenant_id, app, msg)
            cursor = str(page.get("next_cursor", cursor))
            await _store_cursor(kefu, tenant_id, open_kfid, cursor)
            if not page.get("has_more"):
                break
    return taken


async def _take_kf(kefu: Kefu, tenant_id: int, app: WeComApp, msg: dict[str, Any]) -> int:
    msgid = str(msg.get("msgid", ""))
    open_kfid = str(msg.get("open_kfid", ""))
    user = str(msg.get("external_userid", ""))
    origin = int(msg.get("origin", 0) or 0)
    if not msgid or open_kfid not in app.accounts:
        return 0
    if origin == ORIGIN_EVENT or msg.get("msgtype") == "event":
        event = msg.get("event") or {}
        user = str(event.get("external_userid", user))
        if event.get("event_type") == "enter_session" and user:
            async with transaction(kefu) as tx:  # link the user before they write
                await contact_of(tx, tenant_id, "wecom", open_kfid, user)
        return 0
    if origin != ORIGIN_CUSTOMER or not user:
        return 0  # a 接待人员's message from the WeCom client: not ours to store
    text = kf_inbound(msg)
    if text is None:
        log.info("kf message type not kept", extra={"msgtype": msg.get("msgtype")})
        return 0
    taken = await do_take_wechat_message(
        kefu,
        WeChatMessageIn(
            tenant_id=tenant_id,
            kind="wecom",
            account=open_kfid,
            user_id=user,
            msg_key=f"kf:{msgid}",
            text=text.text,
            sent_at=kefu.clock.now(),
            quick_reply=text.quick_reply,
            media=text.media,
        ),
    )
    return 0 if taken.outcome == "duplicate" else 1
