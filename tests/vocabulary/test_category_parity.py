"""A problem is the same problem whichever way it arrives: a help-center ticket of
category 账号安全 and a chat the bot hands over as ``account_security`` get the same
category, urgency, priority and resolution target (issue 9, one vocabulary)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.helpcenter.conftest import file_ticket
from tests.world import As, World


def conversation(party: As, public_id: str) -> dict[str, Any]:
    r = party.get(f"/api/v1/conversations/{public_id}")
    assert r.status_code == 200, r.text
    return dict(r.json())


def chat_handed_over_as_account_security(customer: As) -> str:
    r = customer.post("/api/v1/conversations", json={"body": "我的账号被盗了，有人异地登录"})
    assert r.status_code == 201, r.text
    public_id = str(r.json()["id"])
    # the quick reply the bot offers for this topic carries the intent itself
    r = customer.post(
        f"/api/v1/conversations/{public_id}/messages",
        json={"body": "账号被盗", "quick_reply": "intent:account_security"},
    )
    assert r.status_code == 201, r.text
    return public_id


def targets(conv: dict[str, Any]) -> tuple[timedelta, timedelta]:
    start = datetime.fromisoformat(conv["queued_at"])
    return (
        datetime.fromisoformat(conv["first_response_due_at"]) - start,
        datetime.fromisoformat(conv["resolution_due_at"]) - start,
    )


def test_a_ticket_of_account_security_is_treated_like_the_chat_case(
    client: TestClient, world: World, customer: As, alice: As
) -> None:
    chat = conversation(alice, chat_handed_over_as_account_security(customer))
    assert chat["status"] in ("queued", "assigned"), chat
    assert chat["category"] == "account_security"

    created = file_ticket(
        client,
        world.slug,
        category="account",  # the form's 账号安全
        order_no="",
        description="今天早上发现账号在外地登录，余额被转走了",
    )
    found = alice.get("/api/v1/conversations", params={"number": created["number"]}).json()
    ticket = conversation(alice, found["items"][0]["id"])

    assert ticket["category"] == chat["category"] == "account_security"
    assert ticket["category_label"] == chat["category_label"] == "账号安全"
    assert ticket["priority"] == chat["priority"] == 3
    assert ticket["priority_label"] == chat["priority_label"] == "urgent"
    assert ticket["urgencies"] == chat["urgencies"] == ["account_security"]
    assert ticket["department"] == chat["department"]
    chat_first, chat_resolution = targets(chat)
    ticket_first, ticket_resolution = targets(ticket)
    # the complex-case target (24 h) at the urgent factor (x 0.5), for both
    assert ticket_resolution == chat_resolution == timedelta(hours=12)
    # the first answer: each channel's own promise (chat 10 min, message 30 min), both urgent
    assert chat_first == timedelta(minutes=5)
    assert ticket_first == timedelta(minutes=15)
