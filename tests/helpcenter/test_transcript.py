"""Transcripts: the hash is stable, changes with the public timeline, ignores notes."""

from __future__ import annotations

import hashlib
import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from kefu.actions.transcripts import verify_transcript
from kefu.storage.models import Conversation
from tests.api.conftest import kefu_of
from tests.helpcenter.conftest import answer, file_ticket
from tests.world import As, World


def _public_id(client: TestClient, number: str) -> str:
    async def go() -> str:
        async with kefu_of(client).db.read() as s:
            return (
                await s.execute(
                    # numbers are per tenant: the newest conversation with it is this test's
                    select(Conversation.public_id)
                    .where(Conversation.number == number)
                    .order_by(Conversation.id.desc())
                    .limit(1)
                )
            ).scalar_one()

    assert client.portal is not None
    return client.portal.call(go)


def _hash(agent: As, pid: str) -> dict[str, str]:
    r = agent.get(f"/api/v1/tickets/{pid}/transcript", params={"format": "json"})
    assert r.status_code == 200, r.text
    out: dict[str, str] = r.json()
    return out


def test_hash_is_stable_and_follows_the_public_timeline(
    client: TestClient, world: World, alice: As
) -> None:
    t = file_ticket(client, world.slug)
    pid = _public_id(client, t["number"])
    first, again = _hash(alice, pid), _hash(alice, pid)
    assert first == again
    assert first["sha256"] == hashlib.sha256(first["canonical"].encode()).hexdigest()
    assert verify_transcript(first["canonical"], first["sha256"])
    doc = json.loads(first["canonical"])
    assert doc["v"] == 1 and doc["conversation"]["number"] == t["number"]
    alice.post(f"/api/v1/conversations/{pid}/notes", json={"body": "内部备注"})
    assert _hash(alice, pid)["sha256"] == first["sha256"]  # notes are not part of it
    answer(alice, pid, "已处理")
    changed = _hash(alice, pid)
    assert changed["sha256"] != first["sha256"]
    assert "已处理" in changed["canonical"] and "内部备注" not in changed["canonical"]


def test_printable_page_for_staff_and_customer(
    client: TestClient, world: World, alice: As, other_world: World
) -> None:
    t = file_ticket(client, world.slug)
    pid = _public_id(client, t["number"])
    staff = alice.get(f"/api/v1/tickets/{pid}/transcript")
    assert staff.status_code == 200 and "text/html" in staff.headers["content-type"]
    digest = _hash(alice, pid)["sha256"]
    assert digest in staff.text and "@media print" not in staff.text  # print CSS is in help.css
    customer = client.get(f"/help/{world.slug}/t/{t['token']}/transcript")
    assert customer.status_code == 200 and digest in customer.text
    stranger = As.staff(client, other_world.emails["alice"])
    assert stranger.get(f"/api/v1/tickets/{pid}/transcript").status_code == 404
    assert client.get(f"/api/v1/tickets/{pid}/transcript").status_code == 401
