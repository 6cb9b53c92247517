"""TenantSettings: a tenant's configuration, typed, versioned, validated on write.

``tenants.settings`` (JSON) holds one :class:`TenantSettings`; every reader goes through
:func:`parse_tenant_settings` and every writer through
``actions.tenant_settings.do_update_tenant_settings``. Defaults live here and only here.
See docs/vocabulary.md for the keys and the versioning rule.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from kefu.domain.business_calendar import BusinessCalendar, TimeRange
from kefu.domain.canned_answers import CannedAnswer
from kefu.domain.sla import DEFAULT_COMPLEX_CATEGORIES, SlaPolicy
from kefu.domain.vocabulary import MarketplaceKind
from kefu.errors import KefuError

log = logging.getLogger(__name__)

#: The current shape. Stored settings without ``version`` are version 0 (the same keys,
#: written before validation existed) and are read as version 1. Version 2: the widget's
#: 留言 promise is the SLA policy's message first response (one place), so version 1's
#: ``leave_message_reply_minutes`` moves to ``sla_policy.message_first_response_minutes``.
SETTINGS_VERSION = 2

Minutes = Annotated[float, Field(gt=0, le=60 * 24 * 60)]
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_CHANNEL_KINDS = {
    "qq": "qq",
    "wechat": "wechat",
    "weixin": "wechat",
    "wx": "wechat",
    "phone": "phone",
    "tel": "phone",
    "site": "website",
    "website": "website",
    "url": "website",
    "domain": "website",
    "agent_id": "agent_id",
    "agent_no": "agent_id",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OfficialChannelSetting(_Model):
    """One official contact point (QQ, 微信, phone, website, 工号) the bot vouches for."""

    type: Literal["qq", "wechat", "phone", "website", "agent_id"]
    value: Annotated[str, Field(min_length=1, max_length=200)]
    label: Annotated[str, Field(max_length=100)] = ""

    @field_validator("type", mode="before")
    @classmethod
    def _kind(cls, value: object) -> object:
        return _CHANNEL_KINDS.get(str(value).strip().lower(), value)

    @field_validator("value")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("empty")
        return value.strip()


class BotExample(_Model):
    """A tenant's own phrasing for an intent (trains the tenant's classifier)."""

    text: Annotated[str, Field(min_length=1, max_length=500)]
    intent: Annotated[str, Field(pattern=_CODE.pattern)]


class SlaPolicySettings(_Model):
    """Overrides of the SLA promises (minutes of business time); None = the default."""

    chat_first_response_minutes: Minutes | None = None
    message_first_response_minutes: Minutes | None = None
    callback_minutes: Minutes | None = None
    simple_resolution_minutes: Minutes | None = None
    complex_resolution_minutes: Minutes | None = None
    complex_categories: list[Annotated[str, Field(pattern=_CODE.pattern)]] | None = None
    warning_ratio: Annotated[float, Field(gt=0, lt=1)] = 0.8
    #: The refund time promised on the public page /status (hours; None: no promise).
    refund_promise_hours: Annotated[int, Field(ge=1, le=24 * 60)] | None = None
    reassign_on_breach: bool = False

    def to_policy(self) -> SlaPolicy:
        base = SlaPolicy()

        def minutes(value: float | None, default: timedelta) -> timedelta:
            return timedelta(minutes=value) if value is not None else default

        complex_ = self.complex_categories
        return SlaPolicy(
            chat_first_response=minutes(self.chat_first_response_minutes, base.chat_first_response),
            message_first_response=minutes(
                self.message_first_response_minutes, base.message_first_response
            ),
            callback_first_response=minutes(self.callback_minutes, base.callback_first_response),
            simple_resolution=minutes(self.simple_resolution_minutes, base.simple_resolution),
            complex_resolution=minutes(self.complex_resolution_minutes, base.complex_resolution),
            complex_categories=frozenset(complex_)
            if complex_ is not None
            else DEFAULT_COMPLEX_CATEGORIES,
            warning_ratio=self.warning_ratio,
            reassign_on_breach=self.reassign_on_breach,
        )


Ranges = list[Annotated[str, Field(max_length=11)]]


class BusinessCalendarSettings(_Model):
    """Opening hours. Default: open 7x24 in China time (``always_open``)."""

    timezone: str = "Asia/Shanghai"
    always_open: bool = True
    weekly: dict[Annotated[int, Field(ge=0, le=6)], Ranges] | None = None  # 0 = Monday
    weekdays: Ranges = []
    saturday: Ranges = []
    sunday: Ranges = []
    holidays: list[date] = []
    makeup_workdays: list[date] = []
    china_holidays: bool = True  # the shipped Chinese holidays and 调休 workdays

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("weekdays", "saturday", "sunday")
    @classmethod
    def _ranges(cls, value: list[str]) -> list[str]:
        for text in value:
            _check_range(text)
        return value

    @field_validator("weekly")
    @classmethod
    def _weekly(cls, value: dict[int, list[str]] | None) -> dict[int, list[str]] | None:
        for ranges in (value or {}).values():
            for text in ranges:
                _check_range(text)
        return value

    def uses_hours(self) -> bool:
        return not self.always_open or bool(self.weekly) or bool(self.weekdays)

    def to_calendar(self) -> BusinessCalendar:
        if not self.uses_hours():
            return BusinessCalendar.always_open(self.timezone)
        if self.weekly is not None:
            weekly = {day: _parsed(self.weekly.get(day, [])) for day in range(7)}
        else:
            weekly = dict.fromkeys(range(5), _parsed(self.weekdays))
            weekly[5] = _parsed(self.saturday)
            weekly[6] = _parsed(self.sunday)
        extra, workdays = frozenset(self.holidays), frozenset(self.makeup_workdays)
        if self.china_holidays:
            from kefu.domain.holidays_cn import china_holidays

            data = china_holidays()
            return BusinessCalendar(
                weekly,
                timezone=self.timezone,
                holidays=(data.holidays | extra) - workdays,
                makeup_workdays=(data.makeup_workdays | workdays) - extra,
            )
        return BusinessCalendar(
            weekly, timezone=self.timezone, holidays=extra, makeup_workdays=workdays
        )


def _check_range(text: str) -> None:
    try:
        TimeRange.parse(text)
    except KefuError:
        raise ValueError(f"not a time range like 09:00-18:00: {text!r}") from None


def _parsed(values: list[str]) -> tuple[TimeRange, ...]:
    return tuple(TimeRange.parse(v) for v in values)


class RoutingSettings(_Model):
    #: How long an agent may be offline/away before their conversations go back.
    reassign_grace_seconds: Annotated[float, Field(ge=0, le=86400)] = 120.0

    @property
    def reassign_grace(self) -> timedelta:
        return timedelta(seconds=self.reassign_grace_seconds)


class OrderSourceSettings(_Model):
    """Where this tenant's orders live and how kefu talks to it (docs/orders.md).

    ``api_secret`` and ``hook_token`` are stored sealed (domain/sealed_secrets.py): the
    write action seals what an admin typed; reading the settings returns the sealed text,
    which is useless without the server secret and may be sent back unchanged."""

    kind: MarketplaceKind
    #: the marketplace's base URL (kefu_api, dujiao_next; dujiaoka: its site, for look-ups)
    base_url: Annotated[str, Field(max_length=500, pattern=r"^https?://[^\s/$.?#][^\s]*$")]
    api_key: Annotated[str, Field(max_length=200)] = ""
    api_secret: Annotated[str, Field(max_length=2000)] = ""
    #: dujiaoka: the secret part of the api_hook URL kefu gives the site
    hook_token: Annotated[str, Field(max_length=2000)] = ""
    #: how often open orders are looked up again (the webhook's fallback); 0 = never
    poll_minutes: Annotated[int, Field(ge=0, le=24 * 60)] = 10
    timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 5.0

    @model_validator(mode="after")
    def _hook_token(self) -> OrderSourceSettings:
        if self.kind is MarketplaceKind.DUJIAOKA and len(self.hook_token) < 24:
            raise ValueError("dujiaoka needs a random hook_token of at least 24 characters")
        return self


_SEALED = r"^sealed:v1:[0-9a-f]{8}:[A-Za-z0-9_\-]{20,1500}$"
#: A secret stored sealed (domain/sealed_secrets.py); never a plaintext value.
Sealed = Annotated[str, Field(pattern=_SEALED)]
_WX_ID = r"^[A-Za-z0-9_\-]{1,64}$"
_API_BASE = r"^https?://[^\s/]+(:[0-9]+)?(/[^\s]*)?$"


class KfAccountSetting(_Model):
    """One 微信客服 account (客服帐号) whose chats kefu handles."""

    open_kfid: Annotated[str, Field(pattern=_WX_ID)]
    name: Annotated[str, Field(max_length=100)] = ""


class WeComKfSetting(_Model):
    """企业微信 微信客服: the corp, its 微信客服 secret and the callback token/key."""

    corp_id: Annotated[str, Field(pattern=_WX_ID)]
    secret: Sealed
    token: Sealed
    aes_key: Sealed
    previous_aes_key: Sealed | None = None
    accounts: Annotated[list[KfAccountSetting], Field(min_length=1, max_length=50)]
    api_base: Annotated[str, Field(pattern=_API_BASE, max_length=200)] = (
        "https://qyapi.weixin.qq.com"
    )


class OfficialAccountSetting(_Model):
    """A 公众号 (Official Account); ``aes_key`` None = 明文模式, set = 安全模式."""

    app_id: Annotated[str, Field(pattern=_WX_ID)]
    original_id: Annotated[str, Field(pattern=_WX_ID)]  # gh_…, the ToUserName of pushes
    secret: Sealed
    token: Sealed
    aes_key: Sealed | None = None
    previous_aes_key: Sealed | None = None
    #: The EventKey of the menu button that opens a conversation (e.g. "在线客服").
    menu_key: Annotated[str, Field(min_length=1, max_length=128)] = "kefu"
    api_base: Annotated[str, Field(pattern=_API_BASE, max_length=200)] = "https://api.weixin.qq.com"


class WeChatSettings(_Model):
    wecom: WeComKfSetting | None = None
    official_accounts: Annotated[list[OfficialAccountSetting], Field(max_length=10)] = []


class TenantSettings(_Model):
    version: Literal[2] = 2
    #: Official contact points (the bot's 官方渠道核验, the help center, the widget).
    official_channels: Annotated[list[OfficialChannelSetting], Field(max_length=100)] = []
    #: Tenant phrasings for intents (a tenant classifier is trained with them).
    bot_examples: Annotated[list[BotExample], Field(max_length=5000)] = []
    #: Category (intent code) -> department code; ``"*"`` is the fallback.
    department_routes: dict[str, Annotated[str, Field(pattern=_CODE.pattern)]] = {}
    sla_policy: SlaPolicySettings = SlaPolicySettings()
    business_calendar: BusinessCalendarSettings = BusinessCalendarSettings()
    routing: RoutingSettings = RoutingSettings()
    #: Days after resolution during which a customer's reply reopens the ticket
    #: (None: the platform's KEFU_TICKET_REOPEN_DAYS).
    reopen_days: Annotated[int, Field(ge=1, le=365)] | None = None
    #: Addresses that receive support mail for this tenant (inbound SMTP).
    support_emails: Annotated[list[str], Field(max_length=20)] = []
    #: The From address of this tenant's mail (None: the platform's KEFU_MAIL_FROM).
    mail_from: Annotated[str, Field(max_length=254)] | None = None
    #: The console's canned answers (None: the built-in seven, domain/canned_answers.py).
    canned_answers: Annotated[list[CannedAnswer], Field(max_length=500)] | None = None
    #: The marketplace this tenant's orders come from (None: only the upsert API).
    order_source: OrderSourceSettings | None = None

    #: WeChat channels (written through actions/wechat_config.py, secrets sealed).
    wechat: WeChatSettings = WeChatSettings()

    @field_validator("department_routes")
    @classmethod
    def _routes(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if key != "*" and not _CODE.match(key):
                raise ValueError(f"not a category code: {key!r}")
        return value

    @field_validator("support_emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        for address in value:
            if not _EMAIL.match(address):
                raise ValueError(f"not an e-mail address: {address!r}")
        return [a.strip().lower() for a in value]

    @field_validator("mail_from")
    @classmethod
    def _from(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value.split("<")[-1].strip(" >")):
            raise ValueError(f"not an e-mail address: {value!r}")
        return value

    def stored(self) -> dict[str, Any]:
        """The JSON written to ``tenants.settings`` (defaults included, so it documents
        itself)."""
        return self.model_dump(mode="json")


def upgrade_stored(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Bring stored settings of an older version to the current shape."""
    data = dict(raw)
    version = data.pop("version", 0)
    if version in (0, 1):
        promise = data.pop("leave_message_reply_minutes", None)
        policy = data.get("sla_policy")
        if promise is not None and isinstance(policy, dict | None):
            policy = dict(policy or {})
            if policy.get("message_first_response_minutes") is None:
                policy["message_first_response_minutes"] = promise
            data["sla_policy"] = policy
        version = 2
    if version == SETTINGS_VERSION:
        return {**data, "version": SETTINGS_VERSION}
    raise ValueError(f"unknown settings version {version!r}")


@lru_cache(maxsize=512)
def _parse_json(text: str) -> TenantSettings:
    raw: dict[str, Any] = json.loads(text)
    data = upgrade_stored(raw)
    try:
        return TenantSettings.model_validate(data)
    except ValidationError as err:
        # stored before validation existed: keep what is valid, default the rest
        bad = {str(e["loc"][0]) for e in err.errors() if e["loc"]}
        log.warning("invalid tenant settings ignored", extra={"keys": sorted(bad)})
        return TenantSettings.model_validate({k: v for k, v in data.items() if k not in bad})


def parse_tenant_settings(raw: Mapping[str, Any] | TenantSettings | None) -> TenantSettings:
    """The typed settings of a ``tenants.settings`` value (cached per distinct value)."""
    if isinstance(raw, TenantSettings):
        return raw
    return _parse_json(json.dumps(dict(raw or {}), sort_keys=True, default=str))
