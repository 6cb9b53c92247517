"""Staff accounts in the admin console: create, change, deactivate (sessions end, the
agent's waiting chats return to the queue), reset a password; admins only; another
tenant's accounts are out of reach; passwords never reach the audit log."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.world import As, World


def post(party: As, data: dict[str, str]) -> Any:
    return party.post("/admin/agents", data={"csrf": party.csrf or "", **data})


def accounts(admin: As) -> str:
    page = admin.get("/admin/agents")
    assert page.status_code == 200
    return page.text


def sign_in_status(client: TestClient, email: str, password: str) -> int:
    r = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    client.cookies.clear()
    return r.status_code


NEW = {"action": "create", "agent_no": "KF8100", "display_name": "小新", "role": "agent",
       "email": "xin@example.test", "password": "new-agent-pass-1", "department_code": "refund",
       "capacity": "3"}  # fmt: skip


def test_create_change_and_reset(client: TestClient, admin: As, world: World) -> None:
    assert post(admin, NEW).status_code == 303
    assert 'data-agent-no="KF8100"' in accounts(admin)
    assert sign_in_status(client, "xin@example.test", "new-agent-pass-1") == 200
    again = post(admin, {**NEW, "email": "other@example.test"})
    assert again.status_code == 409 and "该工号已被使用" in again.text
    assert "new-agent-pass-1" not in again.text  # the password is never echoed
    weak = post(admin, {**NEW, "agent_no": "KF8101", "email": "w@example.test", "password": "123"})
    assert weak.status_code == 422 and 'data-field="password"' in weak.text

    agent_id = int(re.findall(r'name="agent_id" value="(\d+)"', accounts(admin))[-1])
    xin = As.staff(client, "xin@example.test", "new-agent-pass-1")
    change = {"action": "update", "agent_id": str(agent_id), "role": "supervisor",
              "department_code": "recharge", "capacity": "8", "is_active": "1"}  # fmt: skip
    assert post(admin, change).status_code == 303
    assert xin.get("/api/v1/agents/me").json()["role"] == "supervisor"  # at once

    reset = {"action": "password", "agent_id": str(agent_id), "password": "reset-pass-2026"}
    assert post(admin, reset).status_code == 303
    assert xin.get("/api/v1/agents/me").status_code == 401  # the old session ended
    assert sign_in_status(client, "xin@example.test", "new-agent-pass-1") == 401
    assert sign_in_status(client, "xin@example.test", "reset-pass-2026") == 200
    forced = As.staff(client, "xin@example.test", "reset-pass-2026")
    assert forced.get("/api/v1/agents/me").json()["must_change_password"] is True
    assert forced.get("/api/v1/conversations").status_code == 403  # change it first

    audit = admin.get("/admin/audit").text
    assert audit.count('data-section="agents"') == 3
    assert "主管" in audit and "（已重置）" in audit
    assert "reset-pass-2026" not in audit and "new-agent-pass-1" not in audit


def test_deactivate_ends_sessions_and_requeues(
    client: TestClient, admin: As, alice: As, customer: As, world: World
) -> None:
    conv = customer.post("/api/v1/conversations", json={"body": "充值没到账"}).json()
    customer.post(f"/api/v1/conversations/{conv['id']}/handoff")
    r = alice.post(
        f"/api/v1/conversations/{conv['id']}/assign", json={"agent_id": world.agents["alice"]}
    )
    assert r.status_code == 200, r.text
    stop = {
        "action": "update",
        "agent_id": str(world.agents["alice"]),
        "role": "agent",
        "department_code": "recharge",
        "capacity": "2",
    }  # fmt: skip  (no is_active)
    assert post(admin, stop).status_code == 303
    assert alice.get("/api/v1/agents/me").status_code == 401
    assert sign_in_status(client, world.emails["alice"], "correct-horse-battery") == 401
    assert admin.get(f"/api/v1/conversations/{conv['id']}").json()["status"] == "queued"


def test_only_admins_and_only_their_tenant(
    client: TestClient, admin: As, supervisor: As, world: World, other_world: World
) -> None:
    refused = post(supervisor, {**NEW, "agent_no": "KF8200", "email": "s@example.test"})
    assert refused.status_code == 403
    assert "KF8200" not in accounts(admin)
    ro = supervisor.get("/admin/agents").text
    assert "<fieldset disabled>" in ro and 'data-testid="admin-agent-form"' not in ro
    foreign = {"action": "update", "agent_id": str(other_world.agents["alice"]),
               "role": "admin", "capacity": "1", "is_active": "1"}  # fmt: skip
    assert post(admin, foreign).status_code == 404
    self_lock = {"action": "update", "agent_id": str(world.agents["admin"]), "role": "agent",
                 "capacity": "5", "is_active": "1"}  # fmt: skip
    r = post(admin, self_lock)
    assert r.status_code == 409 and "不能停用自己" in r.text
    assert admin.get("/api/v1/agents/me").json()["role"] == "admin"
