"""Outgoing webhooks over real HTTP: a uvicorn receiver that verifies every request
with the Python code printed in docs/webhooks.md (exec'd from the page, its clock set
to the test's fake clock), fails when told to, and records what it saw. SQLite and
PostgreSQL (the API world fixtures)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient

from kefu.clock import FakeClock
from kefu.domain.webhook_signing import verify
from kefu.jobs.queue import run_due_jobs
from tests.api.conftest import kefu_of
from tests.livesrv import live_server
from tests.world import As, World

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def docs_verifier(clock: FakeClock) -> Any:
    """The receiver code from docs/webhooks.md, run as printed, reading the fake clock."""
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"### Python receiver\s+```python\n(.*?)```", text, re.S)
    assert block is not None
    namespace: dict[str, Any] = {}
    exec(block.group(1), namespace)  # the documented code, verbatim
    namespace["time"] = SimpleNamespace(time=lambda: clock.now().timestamp())
    return namespace["verify_kefu_webhook"]


@dataclass
class Seen:
    headers: dict[str, str]
    body: bytes
    verified: bool
    answered: int


@dataclass
class Receiver:
    clock: FakeClock
    secrets: dict[str, str] = field(default_factory=dict)
    script: list[int] = field(default_factory=list)  # status codes to answer, then 200
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def app(self) -> FastAPI:
        check = docs_verifier(self.clock)
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            body = await request.body()
            headers = dict(request.headers)
            with self.lock:
                ok = check(dict(self.secrets), headers, body)
                code = (self.script.pop(0) if self.script else 200) if ok else 401
                self.seen.append(Seen(headers, body, ok, code))
            return Response(status_code=code)

        return app


@pytest.fixture
def receiver(clock: FakeClock) -> Iterator[Receiver]:
    rec = Receiver(clock)
    with live_server(rec.app()) as base:
        rec.url = f"{base}/hook"
        yield rec


def make_endpoint(admin: As, receiver: Receiver, events: list[str]) -> dict[str, Any]:
    r = admin.post("/api/v1/webhooks", json={"url": receiver.url, "event_types": events})
    assert r.status_code == 201, r.text
    made: dict[str, Any] = r.json()
    receiver.secrets[made["key_id"]] = made["secret"]
    return made


def run_due(client: TestClient) -> None:
    assert client.portal is not None
    client.portal.call(run_due_jobs, kefu_of(client))


def log_of(admin: As, endpoint_id: str) -> list[dict[str, Any]]:
    r = admin.get(f"/api/v1/webhooks/{endpoint_id}/deliveries")
    assert r.status_code == 200, r.text
    deliveries: list[dict[str, Any]] = r.json()["deliveries"]
    return deliveries


@pytest.fixture
def admin(client: TestClient, world: World) -> As:
    return As.staff(client, world.emails["admin"])


def test_signed_delivery_fails_once_then_is_retried_and_delivered(
    client: TestClient, clock: FakeClock, world: World, admin: As, customer: As, receiver: Receiver
) -> None:
    made = make_endpoint(admin, receiver, ["conversation.created", "conversation.status_changed"])
    receiver.script = [500]
    r = customer.post("/api/v1/conversations", json={"body": "我的订单没有发货"})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert len(receiver.seen) == 1  # sent after the response, through the outbox
    first = receiver.seen[0]
    assert first.verified and first.answered == 500
    assert first.headers["kefu-webhook-key-id"] == made["key_id"]
    [entry] = log_of(admin, made["endpoint_id"])
    assert entry["status"] == "retrying" and entry["status_label"] == "重试中"
    assert (entry["attempts"], entry["response_code"]) == (1, 500)

    clock.advance(seconds=29)
    run_due(client)
    assert len(receiver.seen) == 1  # the first retry waits 30 s
    clock.advance(seconds=2)
    run_due(client)
    assert len(receiver.seen) == 2
    second = receiver.seen[1]
    assert second.verified and second.answered == 200
    assert second.body == first.body  # the same body and id, signed afresh
    assert second.headers["kefu-webhook-id"] == first.headers["kefu-webhook-id"]
    assert second.headers["kefu-webhook-timestamp"] != first.headers["kefu-webhook-timestamp"]
    event = httpx.Response(200, content=second.body).json()
    assert event["type"] == "conversation.created" and event["tenant"] == world.slug
    assert event["data"]["conversation_id"] == cid and event["id"] == entry["id"]
    [entry] = log_of(admin, made["endpoint_id"])
    assert (entry["status"], entry["attempts"], entry["response_code"]) == ("delivered", 2, 200)
    assert re.fullmatch(r"\d{1,2}月\d{1,2}日 \d\d:\d\d", entry["last_attempt_local"])

    # a status change is its own event; an unsubscribed type (a message) sends nothing
    assert customer.post(f"/api/v1/conversations/{cid}/messages", json={"body": "在吗"}).is_success
    assert len(receiver.seen) == 2
    r = admin.post(f"/api/v1/conversations/{cid}/status", json={"status": "resolved"})
    assert r.status_code == 200, r.text
    assert len(receiver.seen) == 3 and receiver.seen[2].verified
    changed = httpx.Response(200, content=receiver.seen[2].body).json()
    assert changed["type"] == "conversation.status_changed"
    assert changed["data"]["event"]["to"] == "resolved"


def test_replayed_or_tampered_requests_fail_the_documented_check(
    client: TestClient, clock: FakeClock, admin: As, customer: As, receiver: Receiver
) -> None:
    make_endpoint(admin, receiver, ["conversation.created"])
    assert customer.post("/api/v1/conversations", json={"body": "你好"}).is_success
    [seen] = receiver.seen
    assert seen.verified
    check = docs_verifier(clock)
    assert check(receiver.secrets, seen.headers, seen.body)
    assert not check(receiver.secrets, seen.headers, seen.body.replace(b"}", b" }", 1))
    assert not check({"k_other": "whsec_wrong"}, seen.headers, seen.body)
    clock.advance(seconds=301)  # the same request captured and replayed later
    assert not check(receiver.secrets, seen.headers, seen.body)
    assert not verify(receiver.secrets, seen.headers, seen.body, clock.now().timestamp())


def test_key_rotation_signs_with_both_keys_until_the_old_one_is_retired(
    client: TestClient, admin: As, customer: As, receiver: Receiver
) -> None:
    made = make_endpoint(admin, receiver, ["conversation.created"])
    old = dict(receiver.secrets)
    r = admin.post(f"/api/v1/webhooks/{made['endpoint_id']}/keys")
    assert r.status_code == 201, r.text
    new = {r.json()["key_id"]: r.json()["secret"]}
    assert r.json()["key_ids"] == [*new, *old]
    receiver.secrets = dict(old)  # the receiver has not installed the new secret yet
    assert customer.post("/api/v1/conversations", json={"body": "一"}).is_success
    seen = receiver.seen[-1]
    assert seen.verified and seen.headers["kefu-webhook-key-id"] == next(iter(new))
    now = float(seen.headers["kefu-webhook-timestamp"])
    assert verify(new, seen.headers, seen.body, now) and verify(old, seen.headers, seen.body, now)

    listed = admin.get("/api/v1/webhooks").json()
    assert listed[0]["key_ids"] == [*new, *old] and "secret" not in str(listed)
    r = admin.delete(f"/api/v1/webhooks/{made['endpoint_id']}/keys/{next(iter(old))}")
    assert r.status_code == 200, r.text
    assert customer.post("/api/v1/conversations", json={"body": "二"}).is_success
    seen = receiver.seen[-1]
    assert not seen.verified and seen.answered == 401  # the old secret no longer signs
    now = float(seen.headers["kefu-webhook-timestamp"])
    assert verify(new, seen.headers, seen.body, now)
    r = admin.delete(f"/api/v1/webhooks/{made['endpoint_id']}/keys/{next(iter(new))}")
    assert r.status_code == 409 and r.json()["error"]["code"] == "last_webhook_key"


def test_gives_up_after_the_last_attempt_then_redelivered_by_hand(
    client: TestClient, clock: FakeClock, admin: As, customer: As, receiver: Receiver
) -> None:
    made = make_endpoint(admin, receiver, ["conversation.created"])
    receiver.script = [503] * 8
    assert customer.post("/api/v1/conversations", json={"body": "退款"}).is_success
    [entry] = log_of(admin, made["endpoint_id"])
    r = admin.post(f"/api/v1/webhooks/deliveries/{entry['id']}/redeliver")
    assert r.status_code == 409 and r.json()["error"]["code"] == "webhook_delivery_in_progress"
    for _ in range(7):
        clock.advance(hours=1)
        run_due(client)
    [entry] = log_of(admin, made["endpoint_id"])
    assert (entry["status"], entry["attempts"], entry["response_code"]) == ("failed", 8, 503)
    assert entry["status_label"] == "投递失败"
    assert len(receiver.seen) == 8

    r = admin.post(f"/api/v1/webhooks/deliveries/{entry['id']}/redeliver")
    assert r.status_code == 202, r.text
    assert len(receiver.seen) == 9 and receiver.seen[-1].answered == 200
    assert receiver.seen[-1].headers["kefu-webhook-id"] == entry["id"]
    [entry] = log_of(admin, made["endpoint_id"])
    assert (entry["status"], entry["attempts"], entry["redeliveries"]) == ("delivered", 9, 1)


def test_only_admins_and_bad_input_is_refused_in_chinese_and_english(
    client: TestClient, world: World, admin: As, alice: As, receiver: Receiver
) -> None:
    assert alice.get("/api/v1/webhooks").status_code == 404
    r = alice.post(
        "/api/v1/webhooks", json={"url": receiver.url, "event_types": ["rating.created"]}
    )
    assert r.status_code == 404
    r = admin.post(
        "/api/v1/webhooks", json={"url": "ftp://x.example/", "event_types": ["rating.created"]}
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_webhook_url"
    assert r.json()["error"]["message"] and r.json()["error"]["message_en"]
    r = admin.post("/api/v1/webhooks", json={"url": receiver.url, "event_types": ["order.eaten"]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_webhook_events"
    assert admin.get("/api/v1/webhooks").json() == []  # nothing stored


def test_another_tenant_sees_no_endpoint_or_delivery(
    client: TestClient,
    world: World,
    other_world: World,
    admin: As,
    customer: As,
    receiver: Receiver,
) -> None:
    made = make_endpoint(admin, receiver, ["conversation.created"])
    assert customer.post("/api/v1/conversations", json={"body": "你好"}).is_success
    [entry] = log_of(admin, made["endpoint_id"])
    stranger = As.staff(client, other_world.emails["admin"])
    assert stranger.get("/api/v1/webhooks").json() == []
    assert stranger.get(f"/api/v1/webhooks/{made['endpoint_id']}/deliveries").status_code == 404
    r = stranger.post(f"/api/v1/webhooks/deliveries/{entry['id']}/redeliver")
    assert r.status_code == 404
    assert stranger.post(f"/api/v1/webhooks/{made['endpoint_id']}/keys").status_code == 404


def test_admin_page_creates_an_endpoint_shows_the_log_and_redelivers(
    client: TestClient, clock: FakeClock, world: World, admin: As, customer: As, receiver: Receiver
) -> None:
    page = admin.get("/admin/webhooks")
    assert page.status_code == 200 and "还没有接收地址" in page.text
    form = {"csrf": admin.csrf or "", "action": "create", "url": receiver.url}
    r = admin.post("/admin/webhooks", data={**form, "event_types": ["conversation.created"]})
    assert r.status_code == 201, r.text
    (secret,) = re.findall(r'data-testid="admin-webhook-secret">([^<]+)<', r.text)
    (kid,) = re.findall(r"签名密钥 <code>([^<]+)</code>", r.text)
    receiver.secrets[kid] = secret
    receiver.script = [500] * 8
    assert customer.post("/api/v1/conversations", json={"body": "补发"}).is_success
    for _ in range(7):
        clock.advance(hours=1)
        run_due(client)
    page = admin.get("/admin/webhooks").text
    assert secret not in page and "投递失败" in page and "新会话" in page
    assert re.search(r"\d{1,2}月\d{1,2}日 \d\d:\d\d", page)
    (delivery,) = re.findall(r'data-delivery="([^"]+)" data-status="failed"', page)
    (endpoint,) = re.findall(r'data-endpoint="([^"]+)"', page)
    redo = {"csrf": admin.csrf or "", "action": "redeliver", "endpoint_id": endpoint}
    r = admin.post("/admin/webhooks", data={**redo, "delivery_id": delivery})
    assert r.status_code == 200 and "已送达" in r.text  # after the 303 back to the page
    assert receiver.seen[-1].verified and receiver.seen[-1].answered == 200
    bad = admin.post("/admin/webhooks", data={**form, "url": "ftp://x", "event_types": ["x"]})
    assert bad.status_code == 422 and "接收地址须为" in bad.text
    supervisor = As.staff(client, world.emails["supervisor"])
    assert "只有管理员" in supervisor.get("/admin/webhooks").text
    nope = {"csrf": supervisor.csrf or "", "action": "rotate", "endpoint_id": endpoint}
    assert supervisor.post("/admin/webhooks", data=nope).status_code == 403
