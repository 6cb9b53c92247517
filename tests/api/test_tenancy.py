"""Every endpoint, driven as tenant A against tenant B's objects, answers 404."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.api.pixels import png_bytes
from tests.world import As, World

# valid bodies, so that only the object's tenant decides the answer. Every parameterised
# operation of the OpenAPI document must be listed here or in CAPABILITY_URLS.
BODIES: dict[tuple[str, str], dict[str, Any] | None] = {
    ("GET", "/api/v1/conversations/{conversation_id}"): None,
    ("GET", "/api/v1/conversations/{conversation_id}/events"): None,
    ("POST", "/api/v1/conversations/{conversation_id}/messages"): {"body": "你好"},
    ("POST", "/api/v1/conversations/{conversation_id}/assign"): {"agent_id": 1},
    ("POST", "/api/v1/conversations/{conversation_id}/transfer"): {"department": "refund"},
    ("POST", "/api/v1/conversations/{conversation_id}/status"): {"status": "closed"},
    ("POST", "/api/v1/conversations/{conversation_id}/notes"): {"body": "备注"},
    ("POST", "/api/v1/conversations/{conversation_id}/rating"): {"score": 5},
    ("POST", "/api/v1/conversations/{conversation_id}/handoff"): {},
    ("GET", "/api/v1/conversations/{conversation_id}/queue"): None,
    ("GET", "/api/v1/conversations/{conversation_id}/wechat-window"): None,
    ("POST", "/api/v1/conversations/{conversation_id}/callback"): {"phone": "13800001234"},
    ("POST", "/api/v1/conversations/{conversation_id}/escalate"): {},
    ("POST", "/api/v1/conversations/{conversation_id}/merge"): None,
    ("POST", "/api/v1/conversations/{conversation_id}/dismiss-link"): None,
    ("POST", "/api/v1/callbacks/{callback_id}/outcome"): {"outcome": "reached"},
    ("GET", "/api/v1/customers/{customer_id}"): None,
    ("GET", "/api/v1/customers/{customer_id}/orders"): None,
    ("GET", "/api/v1/orders/{order_no}"): None,
    ("POST", "/api/v1/orders/{order_no}/refresh"): {},
    ("POST", "/api/v1/orders/{order_no}/card-codes/reveal"): {"conversation_id": "x"},
    ("POST", "/api/v1/orders/{order_no}/card-codes/resend"): {"conversation_id": "x"},
    ("GET", "/api/v1/attachments/{attachment_id}"): None,
    ("DELETE", "/api/v1/tokens/{token_id}"): None,
    ("POST", "/api/v1/agents/{agent_id}/password-reset"): {"mode": "temporary"},
    ("GET", "/api/v1/tickets/{conversation_id}/transcript"): None,
    ("PUT", "/api/v1/announcements/{announcement_id}"): {"title": "改", "body": "改"},
    ("DELETE", "/api/v1/announcements/{announcement_id}"): None,
    ("GET", "/api/v1/kb/articles/{kb_slug}?tenant={slug}"): None,
    ("POST", "/api/v1/kb/articles/{kb_slug}/vote?tenant={slug}"): {"helpful": True},
    ("PUT", "/api/v1/kb/manage/articles/{kb_slug}"): {"title": "改", "body": "改"},
    ("PATCH", "/api/v1/webhooks/{endpoint_id}"): {"active": False},
    ("POST", "/api/v1/webhooks/{endpoint_id}/keys"): None,
    ("DELETE", "/api/v1/webhooks/{endpoint_id}/keys/{key_id}"): None,
    ("GET", "/api/v1/webhooks/{endpoint_id}/deliveries"): None,
    ("POST", "/api/v1/webhooks/deliveries/{delivery_id}/redeliver"): None,
}

# staff pages (signed in as tenant A's admin) with tenant B's objects
PAGES: dict[tuple[str, str], dict[str, Any] | None] = {
    ("GET", "/console/partials/conversation/{conversation_id}"): None,
    ("GET", "/console/partials/conversation/{conversation_id}/events"): None,
    ("GET", "/console/partials/customer/{customer_id}"): None,
    ("GET", "/help/{slug}/a/{kb_slug}"): None,
    ("POST", "/help/{slug}/a/{kb_slug}/vote"): {"helpful": "1"},
}

# the URL itself is the credential (a signed tracking token names its tenant and ticket);
# covered by test_capability_urls_refuse_tampered_tokens instead
CAPABILITY_URLS: set[tuple[str, str]] = {
    ("GET", "/api/v1/tickets/track/{token}"),
    ("POST", "/api/v1/tickets/track/{token}/messages"),
    ("POST", "/api/v1/tickets/track/{token}/rating"),
    ("POST", "/api/v1/tickets/track/{token}/escalate"),
    ("GET", "/api/v1/tickets/track/{token}/transcript"),
    ("GET", "/help/{slug}/t/{token}"),
    ("POST", "/help/{slug}/t/{token}/reply"),
    ("POST", "/help/{slug}/t/{token}/rate"),
    ("POST", "/help/{slug}/t/{token}/escalate"),
    ("GET", "/help/{slug}/t/{token}/transcript"),
    ("GET", "/help/{slug}/t/{token}/files/{attachment_id}"),
    # signed by the tenant's marketplace secret (tests/api/test_order_sync.py)
    ("POST", "/api/v1/hooks/orders/{tenant_slug}/{kind}"),
    ("POST", "/api/v1/hooks/orders/{tenant_slug}/dujiaoka/{hook_token}"),  # secret URL
    # signed with the tenant's WeChat token and encrypted (tests/channels/wechat/)
    ("GET", "/api/v1/wechat/{tenant}/oa/{app_id}"),
    ("POST", "/api/v1/wechat/{tenant}/oa/{app_id}"),
    ("GET", "/api/v1/wechat/{tenant}/wecom/{corp_id}"),
    ("POST", "/api/v1/wechat/{tenant}/wecom/{corp_id}"),
}

# public per-tenant pages: aggregates only, each tenant's own; covered by
# test_public_commitments_show_each_tenant_only_its_own
PUBLIC_TENANT_URLS: set[tuple[str, str]] = {
    ("GET", "/api/v1/public/{tenant}/commitments"),
    ("GET", "/status/{tenant}"),
}

# pages whose only parameter is the tenant's own slug (no object of another tenant to name)
TENANT_PAGES: set[tuple[str, str]] = {
    ("GET", "/help/{slug}"),
    ("GET", "/help/{slug}/c/{category}"),
    ("GET", "/help/{slug}/search"),
    ("GET", "/help/{slug}/ticket"),
    ("POST", "/help/{slug}/ticket"),
    ("GET", "/help/{slug}/track"),
    ("POST", "/help/{slug}/track"),
    # the signed challenge names its tenant and is refused under another slug
    # (tests/security/test_tracking_proof.py)
    ("POST", "/help/{slug}/track/code"),
    # the tenant's own official channels only (tests/admin/test_admin_pages.py)
    ("GET", "/help/{slug}/verify"),
    ("POST", "/help/{slug}/verify"),
}


def _template(path: str) -> str:
    """The route template a case stands for (query strings and our renamed slugs undone)."""
    path = path.split("?", 1)[0]
    if path.startswith("/api/v1/kb/"):
        path = path.replace("{kb_slug}", "{slug}")
    return path.replace("{kb_slug}", "{article}")


def openapi_operations(client: TestClient) -> set[tuple[str, str]]:
    """Every parameterised operation of the OpenAPI document (FastAPI 0.165 hides the
    APIRoutes of included routers from app.routes, the document does not)."""
    paths: dict[str, dict[str, Any]] = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        if "{" in path
        for method in operations
        if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}
    }


def page_operations(client: TestClient) -> set[tuple[str, str]]:
    """Parameterised routes outside the OpenAPI document (console, help center pages),
    found by walking the included routers."""

    def walk(routes: list[Any], prefix: str) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                out += walk(inner.routes, prefix + route.include_context.prefix)
            elif isinstance(route, APIRoute) and not route.include_in_schema:
                full = prefix + route.path
                if "{" in full:
                    out += [(m, full) for m in route.methods if m != "HEAD"]
            elif hasattr(route, "routes") and not isinstance(route, APIRoute):
                out += walk(list(route.routes), prefix + getattr(route, "path", ""))
        return out

    return set(walk(list(client.app.routes), ""))  # type: ignore[attr-defined]


def test_every_parameterised_operation_has_a_case(client: TestClient) -> None:
    operations = openapi_operations(client)
    assert len(operations) >= 20, "the OpenAPI document lost its operations"
    covered = {(m, _template(p)) for m, p in BODIES} | CAPABILITY_URLS | PUBLIC_TENANT_URLS
    missing = operations - covered
    assert not missing, f"add a tenancy case for {sorted(missing)}"


def test_every_parameterised_page_has_a_case(client: TestClient) -> None:
    pages = page_operations(client)
    assert ("GET", "/console/partials/conversation/{conversation_id}") in pages
    covered = (
        {(m, _template(p)) for m, p in PAGES} | CAPABILITY_URLS | TENANT_PAGES | PUBLIC_TENANT_URLS
    )
    missing = pages - covered
    assert not missing, f"add a tenancy case for {sorted(missing)}"


@pytest.fixture
def b_objects(client: TestClient, world: World, other_world: World) -> dict[str, str]:
    b_machine = As(client, token=other_world.machine_token)
    b_customer = As(client, token=other_world.customer_tokens["m1"])
    b_admin = As.staff(client, other_world.emails["admin"])
    hook = b_admin.post(  # nothing listens there: B's delivery is left retrying
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "event_types": ["conversation.created"]},
    ).json()
    conv = b_customer.post("/api/v1/conversations", json={"body": "B 的会话"}).json()
    att = b_machine.post(
        "/api/v1/attachments", files={"file": ("b.png", png_bytes(), "image/png")}
    ).json()
    callback = b_customer.post(
        f"/api/v1/conversations/{conv['id']}/callback", json={"phone": "13800001234"}
    )
    assert callback.status_code == 201, callback.text
    announcement = b_admin.post("/api/v1/announcements", json={"title": "B 的公告"})
    assert announcement.status_code == 201, announcement.text
    article = b_admin.post(
        "/api/v1/kb/manage/articles",
        json={"slug": "b-only-article", "title": "B 的文章", "body": "只属于 B"},
    )
    assert article.status_code == 201, article.text
    return {
        "conversation_id": conv["id"],
        "customer_id": str(other_world.customers["m1"]),
        "order_no": other_world.orders[0],
        "attachment_id": att["id"],
        "token_id": str(other_world.token_id),
        "agent_id": str(other_world.agents["alice"]),
        "callback_id": str(callback.json()["id"]),
        "announcement_id": str(announcement.json()["id"]),
        "kb_slug": "b-only-article",
        "endpoint_id": hook["endpoint_id"],
        "key_id": hook["key_id"],
        "delivery_id": b_admin.get(f"/api/v1/webhooks/{hook['endpoint_id']}/deliveries").json()[
            "deliveries"
        ][0]["id"],
        "slug": world.slug,  # tenant A names itself and asks for B's object
    }


def fill(path: str, objects: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: objects[m.group(1)], path)


# operations a role refuses before any lookup: a party without the role may get 401/403
# (it learns nothing about the object); parties with the role must get 404
ROLE_GATED: dict[tuple[str, str], set[str]] = {
    ("POST", "/api/v1/callbacks/{callback_id}/outcome"): {"customer"},
    ("POST", "/api/v1/orders/{order_no}/card-codes/reveal"): {"customer", "machine"},
    ("PUT", "/api/v1/announcements/{announcement_id}"): {"customer", "machine"},
    ("DELETE", "/api/v1/announcements/{announcement_id}"): {"customer", "machine"},
    ("PUT", "/api/v1/kb/manage/articles/{kb_slug}"): {"customer", "machine"},
    ("GET", "/api/v1/tickets/{conversation_id}/transcript"): {"customer"},
    ("DELETE", "/api/v1/tokens/{token_id}"): set(),
    ("GET", "/api/v1/conversations/{conversation_id}/wechat-window"): {"customer"},
    ("POST", "/api/v1/conversations/{conversation_id}/merge"): {"customer"},
    ("POST", "/api/v1/conversations/{conversation_id}/dismiss-link"): {"customer"},
}


@pytest.mark.parametrize("party", ["admin", "machine", "customer"])
def test_tenant_a_gets_404_for_tenant_b_objects(
    client: TestClient,
    world: World,
    b_objects: dict[str, str],
    party: str,
    admin: As,
    machine: As,
    customer: As,
) -> None:
    actor = {"admin": admin, "machine": machine, "customer": customer}[party]
    for (method, path), body in sorted(BODIES.items()):
        url = fill(path, b_objects)
        r = (
            actor.request(method, url, json=body)
            if body is not None
            else actor.request(method, url)
        )
        if party in ROLE_GATED.get((method, path), set()):
            assert r.status_code in (401, 403, 404), f"{party} {method} {url}: {r.status_code}"
            continue
        assert r.status_code == 404, f"{party} {method} {url}: {r.status_code} {r.text}"
        assert r.json()["error"]["code"] == "not_found"


def test_tenant_a_pages_get_404_for_tenant_b_objects(
    client: TestClient, world: World, b_objects: dict[str, str], admin: As
) -> None:
    for (method, path), form in sorted(PAGES.items()):
        url = fill(path, b_objects)
        r = admin.request(method, url, data=form) if form is not None else admin.get(url)
        assert r.status_code == 404, f"{method} {url}: {r.status_code} {r.text[:200]}"
        assert "B 的" not in r.text and "只属于 B" not in r.text


def test_capability_urls_refuse_tampered_tokens(
    client: TestClient, world: World, b_objects: dict[str, str]
) -> None:
    bogus = "v1." + "A" * 40 + ".bogus"
    for method, path in sorted(CAPABILITY_URLS):
        objects = {**b_objects, "token": bogus, "tenant_slug": world.slug}
        objects |= {"kind": "dujiao_next", "hook_token": bogus, "tenant": world.slug}
        objects |= {"app_id": "wx0000000000000000", "corp_id": "ww0000000000000000"}
        url = fill(path, objects)
        r = client.request(method, url, json={} if method == "POST" else None)
        assert r.status_code in (400, 401, 403, 404, 422), f"{method} {url}: {r.status_code}"
        assert r.status_code != 200


def test_lists_never_show_other_tenants(
    client: TestClient, world: World, other_world: World, b_objects: dict[str, str], admin: As
) -> None:
    r = admin.get("/api/v1/conversations", params={"customer_id": other_world.customers["m1"]})
    assert r.status_code == 200 and r.json()["items"] == []
    ids = [c["id"] for c in admin.get("/api/v1/conversations").json()["items"]]
    assert b_objects["conversation_id"] not in ids
    agents = admin.get("/api/v1/agents").json()
    assert {a["id"] for a in agents} == set(world.agents.values())


def test_cannot_assign_to_another_tenants_agent(
    client: TestClient, world: World, other_world: World, supervisor: As, customer: As
) -> None:
    cid = customer.post("/api/v1/conversations", json={"body": "hi"}).json()["id"]
    r = supervisor.post(
        f"/api/v1/conversations/{cid}/assign", json={"agent_id": other_world.agents["alice"]}
    )
    assert r.status_code == 404
    r = supervisor.post(
        f"/api/v1/conversations/{cid}/transfer", json={"agent_id": other_world.agents["bob"]}
    )
    assert r.status_code == 404


def test_cannot_attach_another_tenants_upload(
    client: TestClient, world: World, b_objects: dict[str, str], customer: As
) -> None:
    r = customer.post(
        "/api/v1/conversations",
        json={"body": "截图", "attachment_ids": [b_objects["attachment_id"]]},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_attachment"


def test_public_commitments_show_each_tenant_only_its_own(
    client: TestClient, world: World, other_world: World, alice: As
) -> None:
    """Tenant A has a conversation a person answered; tenant B's public page measures
    nothing of it, and a slug nobody has is 404."""
    r = As(client, token=world.customer_tokens["m1"]).post(
        "/api/v1/conversations", json={"body": "充值没到账，转人工"}
    )
    assert r.status_code in (200, 201), r.text
    public_id = r.json()["id"]
    assert alice.post(f"/api/v1/conversations/{public_id}/assign", json={}).status_code < 500
    alice.post(f"/api/v1/conversations/{public_id}/messages", json={"body": "您好"})
    mine = client.get(f"/api/v1/public/{world.slug}/commitments").json()
    theirs = client.get(f"/api/v1/public/{other_world.slug}/commitments").json()
    assert sum(1 for _ in mine["promises"]) == sum(1 for _ in theirs["promises"])
    assert all(m["decided"] == 0 for p in theirs["promises"] for m in p["measured"])
    assert theirs["queue"]["waiting"] == 0
    assert theirs["name"] != mine["name"]
    for path in ("/api/v1/public/{}/commitments", "/status/{}"):
        r = client.get(path.format("no-such-tenant"))
        assert r.status_code == 404
