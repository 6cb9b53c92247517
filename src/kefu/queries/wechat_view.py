"""What staff see of the WeChat channels: the callback URLs to paste into WeChat's admin
consoles (no secrets), and a conversation's reply window for the console's composer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kefu.actions.access import access_conversation_by_public_id, access_tenant, require_staff
from kefu.actions.context import Actor, Kefu
from kefu.actions.tenant_settings import require_settings_writer
from kefu.clock import ensure_aware
from kefu.domain.reply_window import WECHAT_WINDOW_MESSAGES, window_state
from kefu.domain.tenant_settings import parse_tenant_settings
from kefu.storage.models import WeChatContact


def _base(kefu: Kefu, slug: str) -> str:
    return f"{kefu.settings.public_base_url.rstrip('/')}/api/v1/wechat/{slug}"


async def wechat_setup(kefu: Kefu, actor: Actor) -> dict[str, Any]:
    """The configured apps, their callback URLs and modes; secrets only as "set"."""
    require_settings_writer(actor)
    async with kefu.db.read() as session:
        tenant = await access_tenant(session, actor)
        typed = parse_tenant_settings(tenant.settings)
        slug = tenant.slug
    wecom = typed.wechat.wecom
    out: dict[str, Any] = {"wecom": None, "official_accounts": []}
    if wecom is not None:
        out["wecom"] = {
            "corp_id": wecom.corp_id,
            "callback_url": f"{_base(kefu, slug)}/wecom/{wecom.corp_id}",
            "accounts": [a.model_dump() for a in wecom.accounts],
            "secret_set": True,
            "previous_aes_key_set": wecom.previous_aes_key is not None,
            "api_base": wecom.api_base,
        }
    for oa in typed.wechat.official_accounts:
        out["official_accounts"].append(
            {
                "app_id": oa.app_id,
                "original_id": oa.original_id,
                "callback_url": f"{_base(kefu, slug)}/oa/{oa.app_id}",
                "mode": "safe" if oa.aes_key else "plaintext",
                "previous_aes_key_set": oa.previous_aes_key is not None,
                "menu_key": oa.menu_key,
                "api_base": oa.api_base,
            }
        )
    return out


async def reply_window(kefu: Kefu, actor: Actor, public_id: str) -> dict[str, Any]:
    """The WeChat window of a conversation: open or not, seconds and messages left.
    ``{"channel": null}`` for a conversation that is not on WeChat."""
    require_staff(actor)
    async with kefu.db.read() as session:
        conv = await access_conversation_by_public_id(session, actor, public_id)
        contact = (
            await session.execute(
                select(WeChatContact).where(WeChatContact.conversation_id == conv.id)
            )
        ).scalar_one_or_none()
    if contact is None:
        return {"channel": None}
    now = kefu.clock.now()
    last = ensure_aware(contact.last_user_at) if contact.last_user_at else None
    state = window_state(last, contact.sent_since, now)
    return {
        "channel": contact.kind,
        "open": state.open,
        "reason": state.reason,
        "closes_at": state.closes_at.isoformat() if state.closes_at else None,
        "seconds_left": state.seconds_left(now),
        "messages_left": state.messages_left,
        "messages_max": WECHAT_WINDOW_MESSAGES,
        "undelivered": contact.undelivered,
    }
