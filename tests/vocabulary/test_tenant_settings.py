"""TenantSettings: typed, versioned, validated on write (through HTTP), defaults in
one place, and what is stored is what the rest of kefu reads."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from kefu.actions.context import transaction
from kefu.domain.tenant_settings import TenantSettings, parse_tenant_settings
from kefu.storage.models import Tenant
from tests.api.conftest import kefu_of
from tests.world import As, World


def patch(party: As, changes: dict[str, Any]) -> httpx.Response:
    return party.request("PATCH", "/api/v1/tenant/settings", json=changes)


def stored(client: TestClient, tenant_id: int) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        async with kefu_of(client).db.read() as session:
            value = (
                await session.execute(select(Tenant.settings).where(Tenant.id == tenant_id))
            ).scalar_one()
        return dict(value or {})

    assert client.portal is not None
    return client.portal.call(run)


def test_defaults_come_from_one_place(admin: As) -> None:
    r = admin.get("/api/v1/tenant/settings")
    assert r.status_code == 200, r.text
    assert r.json() == TenantSettings().model_dump(mode="json")
    assert r.json()["version"] == 2
    assert r.json()["routing"]["reassign_grace_seconds"] == 120
    assert r.json()["sla_policy"]["warning_ratio"] == 0.8


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sla_policy": {"warning_ratio": 2}}, "sla_policy.warning_ratio"),
        ({"official_channels": [{"type": "fax", "value": "123"}]}, "official_channels.0.type"),
        ({"business_calendar": {"timezone": "Mars/Olympus"}}, "business_calendar.timezone"),
        ({"business_calendar": {"weekdays": ["9点到6点"]}}, "business_calendar.weekdays"),
        ({"reopen_days": 0}, "reopen_days"),
        ({"support_emails": ["not-an-address"]}, "support_emails"),
        ({"department_routes": {"Refund!": "refund"}}, "department_routes"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_stored(
    client: TestClient, world: World, admin: As, changes: dict[str, Any], field: str
) -> None:
    before = stored(client, world.tenant_id)
    r = patch(admin, {"sla_policy": {"message_first_response_minutes": 20}, **changes})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_tenant_settings"
    assert "未保存" in error["message"] and "nothing was saved" in error["message_en"]
    fields = error["details"]["fields"]
    assert any(key.startswith(field) for key in fields), fields
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in f["message"]) for f in fields.values())
    assert stored(client, world.tenant_id) == before  # not even the valid part


def test_a_valid_change_is_stored_and_read_everywhere(
    client: TestClient, world: World, admin: As
) -> None:
    r = patch(
        admin,
        {
            "sla_policy": {"message_first_response_minutes": 20},
            "official_channels": [
                {"type": "weixin", "value": " xingchen_kefu ", "label": "公众号"}
            ],
            "reopen_days": 14,
        },
    )
    assert r.status_code == 200, r.text
    raw = stored(client, world.tenant_id)
    assert raw["version"] == 2 and raw["reopen_days"] == 14
    assert raw["official_channels"] == [
        {"type": "wechat", "value": "xingchen_kefu", "label": "公众号"}
    ]
    config = client.get("/api/v1/widget/config", params={"tenant": world.slug}).json()
    assert config["promised_reply_minutes"] == 20
    assert config["official_channels"][0]["type"] == "wechat"
    # null resets one key to its default, the others stay
    r = patch(admin, {"reopen_days": None})
    assert r.status_code == 200 and r.json()["reopen_days"] is None
    assert r.json()["sla_policy"]["message_first_response_minutes"] == 20


def test_only_admins_and_platform_tokens_change_settings(
    alice: As, supervisor: As, customer: As, machine: As
) -> None:
    for party in (alice, supervisor, customer):
        assert patch(party, {"reopen_days": 3}).status_code == 403
    assert patch(machine, {"reopen_days": 3}).json()["reopen_days"] == 3


def test_settings_stored_before_versioning_are_read(client: TestClient, world: World) -> None:
    """Version 0 (no version key, never validated): the valid keys are kept, an invalid
    one falls back to its default instead of breaking the tenant."""
    legacy = {
        "official_channels": [{"type": "site", "value": "kamen.example", "label": "官网"}],
        "routing": {"reassign_grace_seconds": "soon"},
        "reopen_days": 9,
    }

    async def run() -> None:
        async with transaction(kefu_of(client)) as tx:
            await tx.session.execute(
                update(Tenant).where(Tenant.id == world.tenant_id).values(settings=legacy)
            )

    assert client.portal is not None
    client.portal.call(run)
    typed = parse_tenant_settings(stored(client, world.tenant_id))
    assert typed.official_channels[0].type == "website"
    assert typed.reopen_days == 9
    assert typed.routing.reassign_grace_seconds == 120


def test_version_1_leave_message_promise_becomes_the_message_sla(
    client: TestClient, world: World
) -> None:
    """Version 1 kept the widget's 留言 promise apart from the SLA policy; version 2 has
    one number: what the widget promises is the target the ticket is held to."""
    v1 = {"version": 1, "leave_message_reply_minutes": 45, "reopen_days": 9}

    async def run() -> None:
        async with transaction(kefu_of(client)) as tx:
            await tx.session.execute(
                update(Tenant).where(Tenant.id == world.tenant_id).values(settings=v1)
            )

    assert client.portal is not None
    client.portal.call(run)
    typed = parse_tenant_settings(stored(client, world.tenant_id))
    assert typed.sla_policy.message_first_response_minutes == 45 and typed.reopen_days == 9
    config = client.get("/api/v1/widget/config", params={"tenant": world.slug}).json()
    assert config["promised_reply_minutes"] == 45
