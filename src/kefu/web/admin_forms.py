"""The admin console's HTML forms turned into TenantSettings changes.

Only the shape changes here (checkbox -> bool, "09:00-18:00, 19:00-21:00" -> a list,
the State Council notice's dates -> ISO dates, a blank -> "use the default"); the
values are validated by ``actions/tenant_settings.py`` as a whole, and a refusal comes
back with one message per field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kefu.domain.holidays_cn import parse_notice_dates
from kefu.domain.tenant_settings import (
    BusinessCalendarSettings,
    TenantSettings,
)
from kefu.errors import InvalidInput

Form = Mapping[str, str]
WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
SLA_FIELDS = (
    "chat_first_response_minutes",
    "message_first_response_minutes",
    "callback_minutes",
    "simple_resolution_minutes",
    "complex_resolution_minutes",
)


def form_error(field: str, message_zh: str, message_en: str) -> InvalidInput:
    return InvalidInput(
        "invalid_tenant_settings",
        f"设置有误：{message_zh}，未保存任何修改",
        f"invalid settings: {message_en}; nothing was saved",
        details={"fields": {field: {"code": "value_error", "message": message_zh,
                                    "message_en": message_en}}},
    )  # fmt: skip


def weekly_hours(cal: BusinessCalendarSettings) -> list[str]:
    """The seven days' ranges as the form shows them (Monday first)."""
    if cal.weekly is not None:
        return [", ".join(cal.weekly.get(day, [])) for day in range(7)]
    days = [cal.weekdays] * 5 + [cal.saturday, cal.sunday]
    return [", ".join(d) for d in days]


def _ranges(text: str) -> list[str]:
    parts = text.replace("，", ",").replace("、", ",").replace("~", "-").replace("～", "-")
    return [p.strip().replace(" ", "") for p in parts.split(",") if p.strip()]


def _dates(form: Form, field: str) -> list[str]:
    try:
        return [d.isoformat() for d in parse_notice_dates(form.get(field, ""))]
    except ValueError as err:
        raise form_error(
            f"business_calendar.{field}",
            f"无法识别的日期「{err}」（请写成 2027-02-06 或 2027-02-06 至 2027-02-12）",
            f"cannot read the date {str(err)!r} (write 2027-02-06 or 2027-02-06 至 2027-02-12)",
        ) from None


def calendar_changes(form: Form) -> dict[str, Any]:
    return {
        "business_calendar": {
            "timezone": form.get("timezone", "").strip() or "Asia/Shanghai",
            "always_open": form.get("always_open") == "1",
            "weekly": {day: _ranges(form.get(f"day{day}", "")) for day in range(7)},
            "holidays": _dates(form, "holidays"),
            "makeup_workdays": _dates(form, "makeup_workdays"),
            "china_holidays": form.get("china_holidays") == "1",
        }
    }


def _number(form: Form, field: str) -> str | None:
    value = form.get(field, "").strip()
    return value or None


def sla_changes(form: Form, current: TenantSettings) -> dict[str, Any]:
    policy: dict[str, Any] = {f: _number(form, f) for f in SLA_FIELDS}
    percent = _number(form, "warning_percent")
    try:
        policy["warning_ratio"] = float(percent) / 100 if percent else 0.8
    except ValueError:
        raise form_error(
            "sla_policy.warning_ratio", "预警比例须为数字", "the warning share must be a number"
        ) from None
    policy["reassign_on_breach"] = form.get("reassign_on_breach") == "1"
    policy["complex_categories"] = current.sla_policy.complex_categories
    grace = _number(form, "reassign_grace_minutes")
    try:
        grace_seconds = float(grace) * 60 if grace else 120.0
    except ValueError:
        raise form_error(
            "routing.reassign_grace_seconds", "改派等待须为数字", "the grace must be a number"
        ) from None
    return {"sla_policy": policy, "routing": {"reassign_grace_seconds": grace_seconds}}


def channel_changes(form: Form, current: TenantSettings) -> dict[str, Any]:
    channels = [c.model_dump() for c in current.official_channels]
    if form.get("action") == "remove":
        key = (form.get("type", ""), form.get("value", ""))
        channels = [c for c in channels if (c["type"], c["value"]) != key]
    else:
        added = {"type": form.get("type", ""), "value": form.get("value", ""),
                 "label": form.get("label", "").strip()}  # fmt: skip
        channels.append(added)
    return {"official_channels": channels}


def canned_changes(form: Form, current: TenantSettings, defaults: list[Any]) -> dict[str, Any]:
    answers = [a.model_dump() for a in (current.canned_answers or defaults)]
    if form.get("action") == "remove":
        try:
            index = int(form.get("index", ""))
        except ValueError:
            index = -1
        if not 0 <= index < len(answers) or answers[index]["title"] != form.get("title"):
            raise InvalidInput(
                "stale_form", "页面已过期，请刷新后重试", "the page is out of date; reload it"
            )
        del answers[index]
    else:
        answers.append({"title": form.get("title", ""), "text": form.get("text", ""),
                        "agent_no": form.get("agent_no", "")})  # fmt: skip
    return {"canned_answers": answers}


def route_changes(form: Form, categories: list[str], departments: set[str]) -> dict[str, Any]:
    """``route_<category>`` / ``route_*`` -> ``department_routes`` (blank = the default)."""
    routes: dict[str, str] = {}
    for code in [*categories, "*"]:
        dept = form.get(f"route_{code}", "").strip()
        if not dept:
            continue
        if dept not in departments:
            raise form_error(f"department_routes.{code}", "没有这个部门", f"no department {dept!r}")
        routes[code] = dept
    return {"department_routes": routes}
