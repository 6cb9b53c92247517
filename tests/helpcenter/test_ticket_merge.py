"""A linked "claims to be ticket X" conversation can be merged into X (messages copied,
attachments moved, an audit note on both, the duplicate closed pointing at X) or the
link dismissed; staff only, tenancy-checked, and only the newer side of a pending link."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from kefu.actions.email_inbound import Outcome
from kefu.storage.models import Conversation
from tests.api.conftest import kefu_of
from tests.helpcenter.conftest import file_ticket
from tests.helpcenter.test_email_proof import VICTIM, _events, _mail, _receive
from tests.world import As, World


def _public_id(client: TestClient, world: World, number: str) -> str:
    async def go() -> str:
        async with kefu_of(client).db.read() as s:
            row = await s.execute(
                select(Conversation.public_id).where(
                    Conversation.tenant_id == world.tenant_id, Conversation.number == number
                )
            )
            return str(row.scalar_one())

    assert client.portal is not None
    return client.portal.call(go)


def _claim(client: TestClient, world: World, number: str, n: int = 1) -> Any:
    raw = _mail(
        "new-address@example.net",
        "kefu@kamen.example",
        f"Re: [{number}] 点券还没到",
        f"我换了邮箱，订单还没到账（第 {n} 封）",
        f"<claim-{n}-{number}@example.net>",
    )
    result = _receive(client, world.slug, raw)
    assert result.outcome is Outcome.CREATED and result.number != number
    return result


def test_merge_copies_the_messages_and_closes_the_duplicate(
    client: TestClient, world: World, alice: As, admin: As
) -> None:
    t = file_ticket(client, world.slug, contact_email=VICTIM)
    t["id"] = _public_id(client, world, t["number"])
    dup = _claim(client, world, t["number"])
    page = alice.get(f"/console/partials/conversation/{dup.conversation_public_id}")
    assert 'data-testid="console-merge"' in page.text and t["number"] in page.text
    older = alice.get(f"/console/partials/conversation/{t['id']}")
    assert 'data-testid="console-merge"' not in older.text  # X is not the duplicate
    assert alice.post(f"/api/v1/conversations/{t['id']}/merge").status_code == 409

    before = len(_events(client, t["number"]))
    r = alice.post(f"/api/v1/conversations/{dup.conversation_public_id}/merge")
    assert r.status_code == 200, r.text
    assert r.json()["number"] == t["number"]
    added = _events(client, t["number"])[before:]
    copied = [e for e in added if e.type == "message"]
    assert [e.body for e in copied] == ["我换了邮箱，订单还没到账（第 1 封）"]
    assert copied[0].data["merged_from"] == dup.number and copied[0].data["merged_seq"] == 1
    audit = [e for e in added if e.type == "note"]
    assert audit[-1].visibility == "internal" and dup.number in audit[-1].body
    assert "alice" in audit[-1].body  # who merged
    gone = _events(client, str(dup.number))
    assert gone[-1].type == "status_change" and gone[-1].data["to"] == "closed"
    assert any(e.type == "note" and t["number"] in e.body for e in gone[-3:])
    shown = alice.get(f"/api/v1/conversations/{dup.conversation_public_id}").json()
    assert shown["status"] == "closed"
    page = alice.get(f"/console/partials/conversation/{dup.conversation_public_id}")
    assert 'data-testid="console-merged-into"' in page.text and 'console-merge"' not in page.text
    again = alice.post(f"/api/v1/conversations/{dup.conversation_public_id}/merge")
    assert again.status_code == 409 and again.json()["error"]["code"] == "no_pending_link"
    customer_view = client.get(f"/api/v1/conversations/{t['id']}/events")
    assert customer_view.status_code == 401


def test_dismiss_leaves_both_apart(client: TestClient, world: World) -> None:
    bob = As.staff(client, world.emails["bob"])
    t = file_ticket(client, world.slug, contact_email=VICTIM)
    t["id"] = _public_id(client, world, t["number"])
    dup = _claim(client, world, t["number"], 2)
    before = len(_events(client, t["number"]))
    r = bob.post(f"/api/v1/conversations/{dup.conversation_public_id}/dismiss-link")
    assert r.status_code == 200, r.text
    added = _events(client, t["number"])[before:]
    assert [e.type for e in added] == ["note"] and "驳回" in added[0].body
    assert bob.post(f"/api/v1/conversations/{dup.conversation_public_id}/merge").status_code == 409
    page = bob.get(f"/console/partials/conversation/{dup.conversation_public_id}")
    assert 'data-testid="console-merge"' not in page.text


def test_merge_is_staff_only_and_tenancy_checked(
    client: TestClient, world: World, other_world: World
) -> None:
    customer = As(client, token=world.customer_tokens["m1"])
    t = file_ticket(client, world.slug, contact_email=VICTIM)
    t["id"] = _public_id(client, world, t["number"])
    dup = _claim(client, world, t["number"], 3)
    foreign = As.staff(client, other_world.emails["admin"])
    for path in ("merge", "dismiss-link"):
        r = foreign.post(f"/api/v1/conversations/{dup.conversation_public_id}/{path}")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        assert customer.post(
            f"/api/v1/conversations/{dup.conversation_public_id}/{path}"
        ).status_code in (403, 404)
    # nothing moved
    assert all(e.data.get("merged_from") is None for e in _events(client, t["number"]))
