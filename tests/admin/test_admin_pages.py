"""The admin console over HTTP: who may see and change what, forms validated as a
whole (nothing stored on a refusal), changes effective at once and audited."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from kefu.actions.queueing import department_mapping
from kefu.clock import FakeClock
from kefu.domain.routing import department_for
from tests.world import As, World

SECTIONS = ("hours", "sla", "channels", "canned", "audit")
#: Monday 2026-11-23 22:00 in Shanghai (after 18:00)
MONDAY_22 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)

WEEK_9_18 = {f"day{d}": "09:00-18:00" for d in range(5)} | {"day5": "", "day6": ""}


def post_form(party: As, section: str, data: dict[str, str], csrf: str | None = None) -> Any:
    return party.post(f"/admin/{section}", data={"csrf": party.csrf if csrf is None else csrf,
                                                 **data})  # fmt: skip


def stored(admin: As) -> dict[str, Any]:
    r = admin.get("/api/v1/tenant/settings")
    assert r.status_code == 200, r.text
    return dict(r.json())


def audit_sections(admin: As) -> list[str]:
    page = admin.get("/admin/audit")
    assert page.status_code == 200
    return re.findall(r'data-section="([a-z_]+)"', page.text)


def hours_form(**extra: str) -> dict[str, str]:
    return {"timezone": "Asia/Shanghai", "china_holidays": "1", "holidays": "",
            "makeup_workdays": "", **WEEK_9_18, **extra}  # fmt: skip


def test_who_may_see_and_change(
    client: TestClient, admin: As, supervisor: As, alice: As, world: World
) -> None:
    assert client.get("/admin/hours").status_code == 303  # signed out: to the sign-in page
    for section in SECTIONS:
        page = admin.get(f"/admin/{section}")
        assert page.status_code == 200, (section, page.text[:300])
        assert 'data-testid="admin-readonly"' not in page.text
        assert "<script>" not in page.text  # CSP: no inline script
    ro = supervisor.get("/admin/sla")
    assert ro.status_code == 200 and 'data-testid="admin-readonly"' in ro.text
    assert "<fieldset disabled>" in ro.text
    refused = post_form(supervisor, "sla", {"chat_first_response_minutes": "1"})
    assert refused.status_code == 403
    agent = alice.get("/admin/hours", headers={"accept": "text/html"})
    assert agent.status_code == 403 and "只有管理员和主管可以查看" in agent.text
    assert stored(admin)["sla_policy"]["chat_first_response_minutes"] is None
    assert audit_sections(admin) == []


def test_csrf_is_required(admin: As) -> None:
    r = post_form(admin, "sla", {"chat_first_response_minutes": "3"}, csrf="wrong")
    assert r.status_code == 403 and "csrf_failed" in r.text
    assert stored(admin)["sla_policy"]["chat_first_response_minutes"] is None


def test_business_hours_take_effect_and_are_audited(
    client: TestClient, admin: As, world: World, clock: FakeClock
) -> None:
    clock.set(MONDAY_22)

    def open_now() -> bool:
        r = client.get("/api/v1/widget/config", params={"tenant": world.slug})
        return bool(r.json()["open_now"])

    assert open_now() is True
    r = post_form(admin, "hours", hours_form())
    assert r.status_code == 303 and r.headers["location"] == "/admin/hours?saved=1"
    assert open_now() is False
    cal = stored(admin)["business_calendar"]
    assert cal["always_open"] is False and cal["weekly"]["0"] == ["09:00-18:00"]
    assert audit_sections(admin) == ["business_calendar"]
    page = admin.get("/admin/audit").text
    assert "2026-11-23 22:00" in page  # tenant time, with the date
    assert "全天候营业" in page and "周一" in page and "09:00-18:00" in page
    assert "always_open" not in page and "weekly" not in page  # words, not keys

    # a Monday that is a day off (the notice form) closes that day
    clock.set(datetime(2026, 11, 30, 3, 0, tzinfo=UTC))  # Monday 11:00
    assert open_now() is True
    assert post_form(admin, "hours", hours_form(holidays="2026-11-30")).status_code == 303
    assert open_now() is False


def test_a_refused_form_keeps_what_was_typed_and_stores_nothing(admin: As) -> None:
    before = stored(admin)
    bad = post_form(admin, "hours", hours_form(day0="9点到18点"))
    assert bad.status_code == 422
    assert 'data-testid="admin-error"' in bad.text and "未保存任何修改" in bad.text
    assert 'value="9点到18点"' in bad.text
    dates = post_form(admin, "hours", hours_form(holidays="春节放假"))
    assert dates.status_code == 422 and "春节放假" in dates.text
    assert 'data-field="business_calendar.holidays"' in dates.text
    sla = post_form(admin, "sla", {"chat_first_response_minutes": "十分钟"})
    assert sla.status_code == 422
    assert 'data-field="sla_policy.chat_first_response_minutes"' in sla.text
    assert stored(admin) == before
    assert audit_sections(admin) == []


def test_warns_when_the_coming_year_has_no_holiday_data(admin: As, clock: FakeClock) -> None:
    clock.set(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    page = admin.get("/admin/hours").text
    assert 'data-testid="admin-holiday-warning"' in page and "2027 年还没有节假日数据" in page
    notice = hours_form(
        always_open="1",
        holidays="2027-02-06 至 2027-02-12\n2027-10-01 至 2027-10-07",
        makeup_workdays="2027-02-20",
    )
    assert post_form(admin, "hours", notice).status_code == 303
    cal = stored(admin)["business_calendar"]
    assert len(cal["holidays"]) == 14 and cal["makeup_workdays"] == ["2027-02-20"]
    page = admin.get("/admin/hours").text
    assert 'data-testid="admin-holiday-warning"' not in page
    assert "2027-02-06 至 2027-02-12" in page  # shown back in the notice's own form


def test_sla_target_changes_the_next_due_time(
    admin: As, customer: As, alice: As, clock: FakeClock
) -> None:
    clock.set(MONDAY_22)
    form = {"chat_first_response_minutes": "7", "warning_percent": "80",
            "reassign_grace_minutes": "2"}  # fmt: skip
    assert post_form(admin, "sla", form).status_code == 303
    assert stored(admin)["sla_policy"]["chat_first_response_minutes"] == 7
    conv = customer.post("/api/v1/conversations", json={"body": "我要转人工"}).json()
    assert customer.post(f"/api/v1/conversations/{conv['id']}/handoff").status_code == 200
    got = alice.get(f"/api/v1/conversations/{conv['id']}").json()
    due = datetime.fromisoformat(got["first_response_due_at"].replace("Z", "+00:00"))
    assert (due - MONDAY_22).total_seconds() / 60 in (7, 3.5)  # urgent categories halve it
    assert "sla_policy" in audit_sections(admin)


def test_official_channels_add_and_remove(client: TestClient, admin: As, world: World) -> None:
    add = {"action": "add", "type": "qq", "value": "800800", "label": "官方售后 QQ"}
    assert post_form(admin, "channels", add).status_code == 303
    config = client.get("/api/v1/widget/config", params={"tenant": world.slug}).json()
    assert {"type": "qq", "value": "800800", "label": "官方售后 QQ"} in config["official_channels"]
    page = admin.get("/admin/channels").text
    assert "800800" in page and "<td>QQ</td>" in page
    empty = post_form(admin, "channels", {"action": "add", "type": "qq", "value": "  "})
    assert empty.status_code == 422
    remove = {"action": "remove", "type": "qq", "value": "800800"}
    assert post_form(admin, "channels", remove).status_code == 303
    assert stored(admin)["official_channels"] == []
    assert audit_sections(admin) == ["official_channels", "official_channels"]
    assert "QQ 800800 官方售后 QQ" in admin.get("/admin/audit").text


def test_canned_answers_reach_the_console(admin: As, alice: As, customer: As, world: World) -> None:
    page = admin.get("/admin/canned").text
    assert page.count('data-testid="admin-canned-row"') == 7  # the built-in seven
    text = "{customer_name}您好，订单 {order_no} 已查到"
    add = {"action": "add", "title": "称呼客户", "text": text, "agent_no": ""}
    assert post_form(admin, "canned", add).status_code == 303
    own = {"action": "add", "title": "我的签名", "text": "客服 {agent_name} 为您服务",
           "agent_no": "KF8002"}  # alice  # fmt: skip
    assert post_form(admin, "canned", own).status_code == 303
    bad = post_form(admin, "canned", {**add, "text": "您好 {password}"})
    assert bad.status_code == 422 and "password" not in stored(admin)["canned_answers"][-1]["text"]
    assert len(stored(admin)["canned_answers"]) == 9

    conv = customer.post("/api/v1/conversations", json={"body": "订单没到账"}).json()
    console = alice.get(f"/console/partials/conversation/{conv['id']}").text
    chips = re.findall(r'data-canned="([^"]*)"', console)
    assert len(chips) == 9  # the seven, the new shared one, alice's own
    # this customer has no name and the conversation no order yet: visible blanks
    assert "____您好，订单 ____ 已查到" in chips
    assert "客服 alice 为您服务" in chips
    own_chips = re.findall(r'data-canned="([^"]*)"', admin.get(
        f"/console/partials/conversation/{conv['id']}").text)  # fmt: skip
    assert len(own_chips) == 8 and "客服 alice 为您服务" not in own_chips  # not alice's

    first = stored(admin)["canned_answers"][0]["title"]
    remove = {"action": "remove", "index": "0", "title": first}
    assert post_form(admin, "canned", remove).status_code == 303
    stale = {"action": "remove", "index": "0", "title": first}
    assert post_form(admin, "canned", stale).status_code == 422
    assert len(stored(admin)["canned_answers"]) == 8


def test_api_changes_are_audited_too(machine: As, admin: As) -> None:
    r = machine.request("PATCH", "/api/v1/tenant/settings", json={"reopen_days": 3})
    assert r.status_code == 200, r.text
    assert audit_sections(admin) == ["reopen_days"]
    assert "接口令牌" in admin.get("/admin/audit").text


def test_api_docs_are_local_and_under_the_csp(client: TestClient, admin: As) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert re.findall(r'(?:src|href)="(https?:)?//', page.text) == []  # no CDN
    assert "<script>" not in page.text
    assert 'content=""' in page.text  # signed out: no CSRF token in the page
    signed = admin.get("/docs")
    assert admin.csrf and f'content="{admin.csrf}"' in signed.text
    for asset in ("/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/api-docs.js",
                  "/static/vendor/swagger-ui/LICENSE"):  # fmt: skip
        assert client.get(asset).status_code == 200, asset
    assert client.get("/openapi.json").json()["paths"]["/api/v1/tenant/settings"]


def test_public_verification_page_follows_the_admin(
    client: TestClient, admin: As, world: World, other_world: World
) -> None:
    def verdict(slug: str, kind: str, value: str) -> str:
        r = client.post(f"/help/{slug}/verify", data={"kind": kind, "value": value})
        assert r.status_code == 200, r.text
        (official,) = re.findall(r'data-testid="verify-verdict" data-official="(\d)"', r.text)
        return official

    assert client.get(f"/help/{world.slug}/verify").status_code == 200
    assert verdict(world.slug, "qq", "800 800") == "0"
    add = {"action": "add", "type": "qq", "value": "800800", "label": "官方售后 QQ"}
    assert post_form(admin, "channels", add).status_code == 303
    assert verdict(world.slug, "qq", "800 800") == "1"  # digits compared, as the bot does
    assert verdict(world.slug, "wechat", "800800") == "0"  # another kind
    assert verdict(other_world.slug, "qq", "800800") == "0"  # another tenant's channel
    assert verdict(world.slug, "agent_id", "KF8002") == "1"  # an active 工号
    bad = client.post(f"/help/{world.slug}/verify", data={"kind": "icq", "value": "1"})
    assert bad.status_code == 422


def test_department_routes_are_validated_stored_and_read_by_routing(admin: As) -> None:
    """The routing pass reads the table through queueing.department_mapping (the
    end-to-end effect on an assignment is not exercised here: docs/admin.md)."""
    category = "recharge_not_received"
    assert department_for(category, department_mapping(stored(admin))) == "recharge"
    assert 'data-testid="admin-routes-form"' in admin.get("/admin/routes").text
    bad = post_form(admin, "routes", {f"route_{category}": "nowhere"})
    assert bad.status_code == 422 and "没有这个部门" in bad.text
    assert stored(admin)["department_routes"] == {}
    form = {f"route_{category}": "refund", "route_*": "security"}
    assert post_form(admin, "routes", form).status_code == 303
    routes = stored(admin)
    assert routes["department_routes"] == {category: "refund", "*": "security"}
    assert department_for(category, department_mapping(routes)) == "refund"
    assert department_for("something_new", department_mapping(routes)) == "security"
    assert 'value="refund" selected' in admin.get("/admin/routes").text
    assert "department_routes" in audit_sections(admin)
