"""API tokens in the admin console: the plaintext is shown once and works, a revoked
token stops working at once, only admins manage tokens, and both steps are audited."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.world import As


def test_create_use_revoke(client: TestClient, admin: As, supervisor: As) -> None:
    form = {"csrf": admin.csrf or "", "action": "create", "name": "商城订单推送"}
    r = admin.post("/admin/tokens", data={**form, "scopes": ["commerce"]})
    assert r.status_code == 201
    (plaintext,) = re.findall(r'data-testid="admin-token-plaintext">([^<]+)<', r.text)
    bearer = {"Authorization": f"Bearer {plaintext}"}
    assert client.get("/api/v1/orders/KM-NONE", headers=bearer).status_code == 404  # scope ok
    assert client.get("/api/v1/conversations", headers=bearer).status_code == 403  # scope
    page = admin.get("/admin/tokens").text
    assert plaintext not in page  # shown once
    assert "订单与客户" in page
    token_id = re.findall(r'name="token_id" value="(\d+)"', page)[-1]

    ro = supervisor.get("/admin/tokens").text
    assert "商城订单推送" not in ro
    revoke = {"action": "revoke", "token_id": token_id}
    sup = supervisor.post("/admin/tokens", data={"csrf": supervisor.csrf or "", **revoke})
    assert sup.status_code == 403
    assert client.get("/api/v1/orders/KM-NONE", headers=bearer).status_code == 404  # still valid

    gone = admin.post("/admin/tokens", data={"csrf": admin.csrf or "", "action": "revoke",
                                             "token_id": token_id})  # fmt: skip
    assert gone.status_code == 303
    assert client.get("/api/v1/orders/KM-NONE", headers=bearer).status_code == 401
    audit = admin.get("/admin/audit").text
    assert audit.count('data-section="api_tokens"') == 2 and plaintext not in audit
    nameless = admin.post("/admin/tokens", data={"csrf": admin.csrf or "", "action": "create",
                                                 "name": " "})  # fmt: skip
    assert nameless.status_code == 422 and "请填写令牌名称" in nameless.text
