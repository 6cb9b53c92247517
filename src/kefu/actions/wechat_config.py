"""Configuring the WeChat channels: the admin gives plaintext secrets once, kefu seals
them (domain/sealed_secrets.py, AES-GCM bound to the tenant) into the typed tenant
settings; readers open them into :class:`WeComApp` / :class:`OfficialAccountApp`.
A new EncodingAESKey keeps the old one
as ``previous_aes_key`` so callbacks already encrypted under it still decrypt."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kefu.actions.context import Actor, Kefu
from kefu.actions.order_source import purpose, secret_box
from kefu.actions.tenant_settings import do_update_tenant_settings, require_settings_writer
from kefu.channels.wechat.crypto import CallbackKeys, valid_aes_key
from kefu.domain.tenant_settings import (
    OfficialAccountSetting,
    TenantSettings,
    WeComKfSetting,
)
from kefu.errors import InvalidInput

_TOKEN = re.compile(r"^[A-Za-z0-9]{3,32}$")  # WeChat's rule for the callback Token


class WeChatSecrets:
    """The server's secret box (domain/sealed_secrets.py), bound to one tenant's WeChat
    settings: a sealed value copied to another tenant does not open."""

    def __init__(self, kefu: Kefu, tenant_id: int) -> None:
        self._box = secret_box(kefu)
        self._purpose = purpose(tenant_id, "wechat")

    def seal(self, plain: str) -> str:
        return self._box.seal(plain, self._purpose)

    def open(self, sealed: str) -> str:
        return self._box.open(sealed, self._purpose)


@dataclass(frozen=True)
class WeComApp:
    corp_id: str
    secret: str
    keys: CallbackKeys
    accounts: dict[str, str]  # open_kfid -> name
    api_base: str

    @property
    def app_key(self) -> str:
        return f"wecom:{self.corp_id}"


@dataclass(frozen=True)
class OfficialAccountApp:
    app_id: str
    original_id: str
    secret: str
    keys: CallbackKeys
    menu_key: str
    api_base: str

    @property
    def app_key(self) -> str:
        return f"oa:{self.app_id}"

    @property
    def safe_mode(self) -> bool:
        return self.keys.aes_key is not None


def _open(box: WeChatSecrets, sealed: str | None) -> str | None:
    return box.open(sealed) if sealed else None


def wecom_app(kefu: Kefu, tenant_id: int, typed: TenantSettings) -> WeComApp | None:
    cfg = typed.wechat.wecom
    if cfg is None:
        return None
    box = WeChatSecrets(kefu, tenant_id)
    keys = CallbackKeys(
        box.open(cfg.token),
        cfg.corp_id,
        box.open(cfg.aes_key),
        _open(box, cfg.previous_aes_key),
    )
    accounts = {a.open_kfid: a.name for a in cfg.accounts}
    return WeComApp(cfg.corp_id, box.open(cfg.secret), keys, accounts, cfg.api_base)


def official_account(
    kefu: Kefu, tenant_id: int, typed: TenantSettings, app_id: str
) -> OfficialAccountApp | None:
    box = WeChatSecrets(kefu, tenant_id)
    for cfg in typed.wechat.official_accounts:
        if cfg.app_id == app_id:
            keys = CallbackKeys(
                box.open(cfg.token),
                cfg.app_id,
                _open(box, cfg.aes_key),
                _open(box, cfg.previous_aes_key),
            )
            return OfficialAccountApp(
                cfg.app_id,
                cfg.original_id,
                box.open(cfg.secret),
                keys,
                cfg.menu_key,
                cfg.api_base,
            )
    return None


def _bad(field: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput(
        "invalid_wechat_settings",
        f"微信设置有误：{field} {zh}，未保存任何修改",
        f"invalid WeChat settings: {field} {en}; nothing was saved",
        details={"field": field},
    )


def _secret_fields(
    box: WeChatSecrets, given: dict[str, Any], stored: Any, where: str
) -> dict[str, Any]:
    """Seal what was given; keep what is stored when a secret is left out; a changed
    EncodingAESKey moves the stored one to previous_aes_key."""
    out: dict[str, Any] = {}
    for name in ("secret", "token"):
        value = given.get(name)
        if value:
            if name == "token" and not _TOKEN.match(str(value)):
                raise _bad(
                    f"{where}.token", "须为 3–32 位字母或数字", "must be 3-32 letters/digits"
                )
            out[name] = box.seal(str(value))
        elif stored is not None:
            out[name] = getattr(stored, name)
        else:
            raise _bad(f"{where}.{name}", "缺少此项", "is required")
    previous = getattr(stored, "previous_aes_key", None) if stored is not None else None
    current = getattr(stored, "aes_key", None) if stored is not None else None
    if "aes_key" in given:
        key = given["aes_key"]
        if key is None:  # 明文模式 (OA only)
            out["aes_key"], out["previous_aes_key"] = None, None
            return out
        if not valid_aes_key(str(key)):
            raise _bad(
                f"{where}.aes_key",
                "须为 43 位 EncodingAESKey",
                "must be a 43-character EncodingAESKey",
            )
        if current is None or box.open(current) != key:
            previous = current
            current = box.seal(str(key))
    out["aes_key"], out["previous_aes_key"] = current, previous
    return out


async def do_configure_wechat(
    kefu: Kefu, actor: Actor, current: TenantSettings, changes: dict[str, Any]
) -> TenantSettings:
    """``changes``: ``{"wecom": {...} | null, "official_accounts": [...]}`` with
    plaintext secrets (left out = unchanged)."""
    require_settings_writer(actor)
    box = WeChatSecrets(kefu, actor.tenant_id)
    wechat = current.wechat.model_dump(mode="json")
    if "wecom" in changes:
        given = changes["wecom"]
        if given is None:
            wechat["wecom"] = None
        elif not isinstance(given, dict):
            raise _bad("wecom", "须为对象", "must be an object")
        else:
            stored: WeComKfSetting | None = current.wechat.wecom
            if stored is not None and stored.corp_id != given.get("corp_id", stored.corp_id):
                stored = None
            fields = {k: v for k, v in given.items() if k not in ("secret", "token", "aes_key")}
            if stored is not None:
                fields = {**stored.model_dump(mode="json"), **fields}
            fields.update(_secret_fields(box, given, stored, "wecom"))
            wechat["wecom"] = fields
    if "official_accounts" in changes:
        given_list = changes["official_accounts"]
        if not isinstance(given_list, list):
            raise _bad("official_accounts", "须为列表", "must be a list")
        by_id = {a.app_id: a for a in current.wechat.official_accounts}
        accounts = []
        for i, given in enumerate(given_list):
            if not isinstance(given, dict):
                raise _bad(f"official_accounts.{i}", "须为对象", "must be an object")
            old: OfficialAccountSetting | None = by_id.get(str(given.get("app_id")))
            fields = {k: v for k, v in given.items() if k not in ("secret", "token", "aes_key")}
            if old is not None:
                fields = {**old.model_dump(mode="json"), **fields}
            fields.update(_secret_fields(box, given, old, f"official_accounts.{i}"))
            accounts.append(fields)
        wechat["official_accounts"] = accounts
    return await do_update_tenant_settings(kefu, actor, {"wechat": wechat})
