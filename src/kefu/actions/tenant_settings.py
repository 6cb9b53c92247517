"""Writing a tenant's settings: validated as a whole, stored only when valid.

``check_tenant_settings`` merges the changes (top-level keys replace the stored ones,
``null`` resets a key to its default) and validates the result as
:class:`TenantSettings`; a problem raises 422 ``invalid_tenant_settings`` with one
message per field (Chinese and English) and nothing is written.
``do_update_tenant_settings`` stores the validated settings in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from kefu.actions.access import access_tenant
from kefu.actions.audit import record_settings_changes
from kefu.actions.context import Actor, ActorKind, Kefu, Role, transaction
from kefu.actions.order_source import seal_order_source
from kefu.domain.tenant_settings import SETTINGS_VERSION, TenantSettings, parse_tenant_settings
from kefu.errors import Forbidden, InvalidInput

_ERRORS_ZH = {
    "missing": "缺少此项",
    "extra_forbidden": "不支持此设置项",
    "literal_error": "取值不在允许范围内",
    "string_pattern_mismatch": "格式不正确",
    "string_too_long": "内容太长",
    "string_too_short": "不能为空",
    "too_long": "条目太多",
    "greater_than": "数值太小",
    "greater_than_equal": "数值太小",
    "less_than": "数值太大",
    "less_than_equal": "数值太大",
    "int_parsing": "须为整数",
    "int_from_float": "须为整数",
    "float_parsing": "须为数字",
    "bool_parsing": "须为是/否",
    "date_from_datetime_parsing": "须为日期（YYYY-MM-DD）",
    "date_parsing": "须为日期（YYYY-MM-DD）",
    "list_type": "须为列表",
    "dict_type": "须为对象",
    "model_type": "须为对象",
    "value_error": "取值无效",
}


class TenantSettingsInvalid(InvalidInput):
    def __init__(self, fields: dict[str, dict[str, str]]) -> None:
        first = next(iter(fields))
        super().__init__(
            "invalid_tenant_settings",
            f"设置有误：{first} {fields[first]['message']}，未保存任何修改",
            f"invalid settings: {first} {fields[first]['message_en']}; nothing was saved",
            details={"fields": fields},
        )


def require_settings_writer(actor: Actor) -> None:
    if actor.kind is ActorKind.MACHINE or (actor.is_staff and actor.role is Role.ADMIN):
        return
    raise Forbidden("只有管理员可以修改平台设置", "only an admin may change tenant settings")


def check_tenant_settings(
    current: Mapping[str, Any] | None, changes: Mapping[str, Any]
) -> TenantSettings:
    merged = {**parse_tenant_settings(current).stored(), **changes}
    merged = {k: v for k, v in merged.items() if v is not None}
    merged["version"] = SETTINGS_VERSION
    try:
        return TenantSettings.model_validate(merged)
    except ValidationError as err:
        fields: dict[str, dict[str, str]] = {}
        for e in err.errors():
            where = ".".join(str(part) for part in e["loc"]) or "settings"
            fields.setdefault(
                where,
                {"code": e["type"], "message": _ERRORS_ZH.get(e["type"], "取值无效"),
                 "message_en": e["msg"]},
            )  # fmt: skip
        raise TenantSettingsInvalid(fields) from None


async def do_update_tenant_settings(
    kefu: Kefu, actor: Actor, changes: Mapping[str, Any]
) -> TenantSettings:
    """Validate the merged settings, then store them (or raise; nothing is written)."""
    require_settings_writer(actor)
    async with transaction(kefu) as tx:
        tenant = await access_tenant(tx.session, actor)
        before = parse_tenant_settings(tenant.settings).stored()
        typed = check_tenant_settings(tenant.settings, changes)
        typed = seal_order_source(kefu, actor.tenant_id, typed)  # no secret rests in clear
        tenant.settings = typed.stored()
        await record_settings_changes(kefu, tx.session, actor, before, tenant.settings)
    return typed


async def tenant_settings_of(kefu: Kefu, actor: Actor) -> TenantSettings:
    require_settings_writer(actor)
    async with kefu.db.read() as session:
        tenant = await access_tenant(session, actor)
        return parse_tenant_settings(tenant.settings)
