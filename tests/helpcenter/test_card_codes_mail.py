"""A customer gets their card codes re-sent to the order's own address (real aiosmtpd),
never to one they name; the re-send is on the timeline and limited to 3 a day."""

from __future__ import annotations

import secrets
from decimal import Decimal
from email import message_from_bytes
from email.message import Message
from typing import Any

from fastapi.testclient import TestClient

from kefu.marketplace_fakes.dujiaoka import FakeDujiaokaOrder
from tests.api.conftest import customer, customer2, machine  # noqa: F401
from tests.world import As, World


def _body(msg: Message) -> str:
    part = msg.get_payload(decode=True) if not msg.is_multipart() else None
    if isinstance(part, bytes):
        return part.decode(msg.get_content_charset() or "utf-8")
    for sub in msg.walk():
        if sub.get_content_type() == "text/plain":
            raw = sub.get_payload(decode=True)
            if isinstance(raw, bytes):
                return raw.decode(sub.get_content_charset() or "utf-8")
    return ""


def test_codes_resent_to_the_orders_contact_only(
    client: TestClient, world: World, admin: As, machine: As, customer: As,  # noqa: F811
    customer2: As, alice: As, smtp_server: Any,  # noqa: F811
) -> None:  # fmt: skip
    token = secrets.token_urlsafe(32)
    source = {"kind": "dujiaoka", "base_url": "https://shop.example.com", "hook_token": token}
    r = admin.request("PATCH", "/api/v1/tenant/settings", json={"order_source": source})
    assert r.status_code == 200, r.text
    machine.put("/api/v1/customers", json={"external_id": "m1", "email": "buyer@example.com"})
    order = FakeDujiaokaOrder("Steam 充值卡 50", "buyer@example.com", Decimal("48.00"),
                              carmis=["STEAM-AAAA-BBBB"])  # fmt: skip
    hook = f"/api/v1/hooks/orders/{world.slug}/dujiaoka/{token}"
    assert client.post(hook, content=order.hook_body()).status_code == 200
    cid = customer.post("/api/v1/conversations", json={"body": "卡密邮件找不到了"}).json()["id"]
    other = customer2.post("/api/v1/conversations", json={"body": "你好"}).json()["id"]

    url = f"/api/v1/orders/{order.order_sn}/card-codes/resend"
    assert customer2.post(url, json={"conversation_id": other}).status_code == 404
    r = customer.post(url, json={"conversation_id": cid, "email": "thief@evil.example"})
    assert r.status_code == 200, r.text
    assert r.json()["sent_to"] == "b***@example.com"

    mails = smtp_server.handler.received
    assert len(mails) == 1 and mails[0].rcpt_tos == ["buyer@example.com"]
    text = _body(message_from_bytes(mails[0].content))
    assert "STEAM-AAAA-BBBB" in text and order.order_sn in text
    shown = [e for e in customer.get(f"/api/v1/conversations/{cid}/events").json()["events"]
             if e["type"] == "card_codes"]  # fmt: skip
    assert len(shown) == 1 and "重新发送至 b***@example.com" in shown[0]["text"]
    assert "STEAM-AAAA" not in str(shown)

    for _ in range(2):
        assert customer.post(url, json={"conversation_id": cid}).status_code == 200
    limited = customer.post(url, json={"conversation_id": cid})
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "card_code_resend_throttled"
    assert len(smtp_server.handler.received) == 3
