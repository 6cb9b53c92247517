"""Staff sign-in, throttling, CSRF, API tokens, widget identities."""

from __future__ import annotations

import secrets
from datetime import timedelta

import jwt
from fastapi.testclient import TestClient

from kefu.clock import FakeClock
from tests.world import PASSWORD, As, World


def login(client: TestClient, email: str, password: str, ip_hint: str = "") -> int:
    client.cookies.clear()
    r = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    client.cookies.clear()
    return r.status_code


def test_sign_in_sets_secure_session_and_csrf(client: TestClient, world: World) -> None:
    client.cookies.clear()
    r = client.post(
        "/api/v1/auth/login", json={"email": world.emails["alice"].upper(), "password": PASSWORD}
    )
    assert r.status_code == 200
    cookie_header = r.headers["set-cookie"]
    assert "kefu_session=" in cookie_header
    assert "HttpOnly" in cookie_header and "SameSite=lax" in cookie_header
    body = r.json()
    assert body["agent_no"].startswith("KF") and len(body["csrf_token"]) >= 32
    client.cookies.clear()


def test_wrong_password_is_401_with_code(client: TestClient, world: World) -> None:
    client.cookies.clear()
    r = client.post("/api/v1/auth/login", json={"email": world.emails["bob"], "password": "nope"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "invalid_credentials"
    r = client.post("/api/v1/auth/login", json={"email": "ghost@x.test", "password": "nope"})
    assert r.status_code == 401


def test_sign_in_throttling(client: TestClient, world: World, clock: FakeClock) -> None:
    email = world.emails["bob"]
    for _ in range(5):
        assert login(client, email, "wrong-password") == 401
    client.cookies.clear()
    r = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "login_throttled" and "Retry-After" in r.headers
    clock.advance(minutes=16)
    assert login(client, email, PASSWORD) == 200


def test_csrf_required_for_cookie_writes(client: TestClient, world: World) -> None:
    alice = As.staff(client, world.emails["alice"])
    no_csrf = As(client)
    no_csrf.cookie = alice.cookie
    r = no_csrf.put("/api/v1/agents/me/presence", json={"presence": "online"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
    assert no_csrf.get("/api/v1/agents/me").status_code == 200  # reads need no token
    r = alice.put("/api/v1/agents/me/presence", json={"presence": "online", "capacity": 3})
    assert r.status_code == 200 and r.json()["presence"] == "online"
    assert r.json()["capacity"] == 3


def test_sign_out_ends_session(client: TestClient, world: World) -> None:
    alice = As.staff(client, world.emails["alice"])
    assert alice.post("/api/v1/auth/logout").status_code == 204
    assert alice.get("/api/v1/agents/me").status_code == 401


def test_session_expires(client: TestClient, world: World, clock: FakeClock) -> None:
    alice = As.staff(client, world.emails["alice"])
    clock.advance(hours=13)
    assert alice.get("/api/v1/agents/me").status_code == 401


def test_api_tokens_shown_once_hashed_and_revocable(client: TestClient, world: World) -> None:
    admin = As.staff(client, world.emails["admin"])
    r = admin.post("/api/v1/tokens", json={"name": "shop backend"})
    assert r.status_code == 201
    token = r.json()["token"]
    assert token.startswith("kfm_")
    machine = As(client, token=token)
    assert machine.get(f"/api/v1/orders/{world.orders[0]}").status_code == 200
    # tampered secret
    bad = As(client, token=token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert bad.get(f"/api/v1/orders/{world.orders[0]}").status_code == 401
    assert admin.delete(f"/api/v1/tokens/{r.json()['id']}").status_code == 204
    assert machine.get(f"/api/v1/orders/{world.orders[0]}").status_code == 401
    # agents cannot mint tokens
    alice = As.staff(client, world.emails["alice"])
    assert alice.post("/api/v1/tokens", json={"name": "x"}).status_code in (403, 404)


def test_token_stored_hashed(client: TestClient, world: World) -> None:
    from sqlalchemy import select

    from kefu.storage.models import ApiToken
    from tests.api.conftest import kefu_of

    async def hashes() -> list[str]:
        async with kefu_of(client).db.read() as session:
            rows = await session.execute(select(ApiToken.token_hash))
            return [h for (h,) in rows]

    assert client.portal is not None
    stored = client.portal.call(hashes)
    assert world.machine_token not in stored
    assert all(len(h) == 64 for h in stored)


def identity(world: World, clock: FakeClock, **overrides: object) -> str:
    payload: dict[str, object] = {
        "customer_id": "shop-user-42",
        "exp": int((clock.now() + timedelta(minutes=5)).timestamp()),
        "nonce": secrets.token_hex(8),
        "name": "小王",
        "tier": "gold",
    }
    payload.update(overrides)
    return jwt.encode(payload, world.widget_secret, algorithm="HS256")


def test_widget_identity_token(client: TestClient, world: World, clock: FakeClock) -> None:
    token = identity(world, clock)
    r = client.post("/api/v1/widget/session", json={"tenant": world.slug, "identity_token": token})
    assert r.status_code == 200, r.text
    customer = As(client, token=r.json()["token"])
    conv = customer.post("/api/v1/conversations", json={"body": "你好"}).json()
    assert conv["customer_id"] == r.json()["customer_id"]
    # same member, new nonce: same customer
    r2 = client.post(
        "/api/v1/widget/session",
        json={"tenant": world.slug, "identity_token": identity(world, clock)},
    )
    assert r2.json()["customer_id"] == r.json()["customer_id"]


def test_widget_identity_refusals(client: TestClient, world: World, clock: FakeClock) -> None:
    def post(tok: str, tenant: str | None = None) -> tuple[int, str]:
        r = client.post(
            "/api/v1/widget/session", json={"tenant": tenant or world.slug, "identity_token": tok}
        )
        return r.status_code, r.json().get("error", {}).get("code", "")

    token = identity(world, clock)
    assert post(token)[0] == 200
    assert post(token) == (401, "token_replayed")
    expired = identity(world, clock, exp=int((clock.now() - timedelta(seconds=1)).timestamp()))
    assert post(expired) == (401, "token_expired")
    forged = jwt.encode(
        {"customer_id": "x", "exp": int(clock.now().timestamp()) + 60, "nonce": "n" * 10},
        "not-the-secret-not-the-secret-not",
        algorithm="HS256",
    )
    assert post(forged) == (401, "invalid_token")
    assert post("garbage") == (401, "invalid_token")
    assert post(identity(world, clock, nonce="short"))[0] == 401
    assert post(identity(world, clock), tenant="no-such-tenant")[0] == 404


def test_anonymous_visitor(client: TestClient, world: World) -> None:
    r = client.post("/api/v1/widget/session", json={"tenant": world.slug})
    assert r.status_code == 200
    visitor = As(client, token=r.json()["token"])
    assert visitor.post("/api/v1/conversations", json={"body": "在吗"}).status_code == 201
    # a visitor token cannot be used to read orders of members
    assert visitor.get(f"/api/v1/orders/{world.orders[0]}").status_code == 404


def test_customer_token_expires(client: TestClient, world: World, clock: FakeClock) -> None:
    customer = As(client, token=world.customer_tokens["m1"])
    assert customer.get("/api/v1/conversations").status_code == 200
    clock.advance(hours=25)
    r = customer.get("/api/v1/conversations")
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_expired"


def test_visitor_verifies_with_order_and_phone_digits(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    r = client.post("/api/v1/widget/session", json={"tenant": world.slug})
    visitor = As(client, token=r.json()["token"])
    cid = visitor.post("/api/v1/conversations", json={"body": "我的订单没到账"}).json()["id"]
    bad = visitor.post(
        "/api/v1/widget/verify", json={"order_no": world.orders[0], "phone_last4": "0000"}
    )
    assert bad.status_code == 403 and bad.json()["error"]["code"] == "verification_failed"
    ok = visitor.post(
        "/api/v1/widget/verify", json={"order_no": world.orders[0], "phone_last4": "1234"}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["customer_id"] == world.customers["m1"]
    member = As(client, token=ok.json()["token"])
    assert member.get(f"/api/v1/conversations/{cid}").status_code == 200
    assert member.get(f"/api/v1/orders/{world.orders[0]}").status_code == 200
    assert visitor.get(f"/api/v1/conversations/{cid}").status_code == 404


def test_visitor_verification_is_throttled(client: TestClient, world: World) -> None:
    r = client.post("/api/v1/widget/session", json={"tenant": world.slug})
    visitor = As(client, token=r.json()["token"])
    body = {"order_no": world.orders[0], "phone_last4": "9999"}
    codes = [visitor.post("/api/v1/widget/verify", json=body).status_code for _ in range(6)]
    assert codes == [403] * 5 + [429]
    right = {"order_no": world.orders[0], "phone_last4": "1234"}
    assert visitor.post("/api/v1/widget/verify", json=right).status_code == 429


def test_expired_visitor_token_is_renewed_for_the_same_visitor(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    first = client.post("/api/v1/widget/session", json={"tenant": world.slug}).json()
    visitor = As(client, token=first["token"])
    cid = visitor.post("/api/v1/conversations", json={"body": "在吗"}).json()["id"]
    clock.advance(hours=30)
    assert visitor.get(f"/api/v1/conversations/{cid}").status_code == 401
    renewed = client.post(
        "/api/v1/widget/session", json={"tenant": world.slug, "visitor_token": first["token"]}
    )
    assert renewed.status_code == 200 and renewed.json()["customer_id"] == first["customer_id"]
    assert (
        As(client, token=renewed.json()["token"]).get(f"/api/v1/conversations/{cid}").status_code
        == 200
    )
    member_token = world.customer_tokens["m1"]
    r = client.post(
        "/api/v1/widget/session", json={"tenant": world.slug, "visitor_token": member_token}
    )
    assert r.status_code == 401
    clock.advance(days=31)
    r = client.post(
        "/api/v1/widget/session", json={"tenant": world.slug, "visitor_token": first["token"]}
    )
    assert r.status_code == 401


def test_create_is_idempotent_by_client_msg_id(customer: As) -> None:
    body = {"body": "充值没到账", "client_msg_id": "first-1"}
    a = customer.post("/api/v1/conversations", json=body).json()
    b = customer.post("/api/v1/conversations", json=body).json()
    assert a["id"] == b["id"]
