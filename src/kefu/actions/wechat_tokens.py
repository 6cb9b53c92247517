"""Access tokens: one per WeChat app, shared by every kefu process through the
``wechat_tokens`` row (sealed), refreshed early, never fetched per send.

A sender reads the row; when the token has less than ``REFRESH_EARLY`` left (or WeChat
said it is invalid) it fetches a new one and writes it back. Two processes may refresh
at once: harmless by design, because the OA token comes from ``stable_token`` (every
caller gets the same token until it expires; ``cgi-bin/token`` would invalidate the
other holder's) and WeCom's ``gettoken`` tokens are valid side by side. The HTTP call
is made outside any transaction (the SQLite writer is never held across the network).
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kefu.actions.context import Kefu, transaction
from kefu.actions.wechat_config import OfficialAccountApp, WeChatSecrets, WeComApp
from kefu.channels.wechat.api import IssuedToken, WeChatApi
from kefu.clock import ensure_aware
from kefu.storage.models import WeChatToken

REFRESH_EARLY = timedelta(minutes=10)

App = WeComApp | OfficialAccountApp


async def _fetch(http: httpx.AsyncClient, app: App, force: bool) -> IssuedToken:
    api = WeChatApi(http, app.api_base)
    if isinstance(app, WeComApp):
        return await api.corp_token(app.corp_id, app.secret)
    return await api.stable_token(app.app_id, app.secret, force=force)


async def _stored(kefu: Kefu, tenant_id: int, app_key: str) -> tuple[str, datetime] | None:
    async with kefu.db.read() as session:
        row = (
            await session.execute(
                select(WeChatToken).where(
                    WeChatToken.tenant_id == tenant_id, WeChatToken.app_key == app_key
                )
            )
        ).scalar_one_or_none()
        if row is None or row.expires_at is None or not row.access_token_sealed:
            return None
        return WeChatSecrets(kefu, tenant_id).open(row.access_token_sealed), ensure_aware(
            row.expires_at
        )


async def access_token(
    kefu: Kefu,
    http: httpx.AsyncClient,
    tenant_id: int,
    app: App,
    *,
    refused: str | None = None,
) -> str:
    """The app's token. ``refused``: a token WeChat just called invalid or expired (it is
    replaced, unless another process already did)."""
    now = kefu.clock.now()
    stored = await _stored(kefu, tenant_id, app.app_key)
    if stored is not None:
        token, expires_at = stored
        if token != refused and expires_at - now > REFRESH_EARLY:
            return token
    issued = await _fetch(http, app, force=refused is not None)
    expires_at = now + timedelta(seconds=issued.expires_in)
    with suppress(IntegrityError):  # another process stored its row first: as good
        await _store(kefu, tenant_id, app.app_key, issued.access_token, expires_at)
    return issued.access_token


async def _store(
    kefu: Kefu, tenant_id: int, app_key: str, token: str, expires_at: datetime
) -> None:
    async with transaction(kefu) as tx:
        row = (
            await tx.session.execute(
                select(WeChatToken)
                .where(WeChatToken.tenant_id == tenant_id, WeChatToken.app_key == app_key)
                .with_for_update()
            )
        ).scalar_one_or_none()
        if row is None:
            row = WeChatToken(tenant_id=tenant_id, app_key=app_key)
            tx.session.add(row)
        row.access_token_sealed = WeChatSecrets(kefu, tenant_id).seal(token)
        row.expires_at = expires_at
        row.refreshed_at = tx.now
