"""Tracking: who may look, throttling, what the customer sees, escalation, rating, reopen."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from kefu.clock import FakeClock
from kefu.storage.models import Conversation
from tests.api.conftest import kefu_of
from tests.helpcenter.conftest import answer, file_ticket, resolve, track, tracking_code_in
from tests.world import As, World


def _lookup(client: TestClient, slug: str, number: str, secret: str) -> int:
    r = client.post(
        "/api/v1/tickets/lookup", json={"tenant": slug, "number": number, "secret": secret}
    )
    return r.status_code


def _redeem(client: TestClient, slug: str, challenge: str, code: str) -> Any:
    return client.post(
        "/api/v1/tickets/lookup/code", json={"tenant": slug, "challenge": challenge, "code": code}
    )


def test_lookup_by_last4_sends_a_code_and_the_code_opens_the_ticket(
    client: TestClient, world: World, smtp_server: Any
) -> None:
    t = file_ticket(client, world.slug)
    r = client.post(
        "/api/v1/tickets/lookup",
        json={"tenant": world.slug, "number": t["number"].lower(), "secret": "5678"},
    )
    assert r.status_code == 202, r.text
    assert r.json()["channel"] == "email" and r.json()["sent_to"] == "b***@example.com"
    assert "token" not in r.json()
    code = tracking_code_in(smtp_server)
    wrong = "000000" if code != "000000" else "111111"
    assert _redeem(client, world.slug, r.json()["challenge"], wrong).status_code == 404
    ok = _redeem(client, world.slug, r.json()["challenge"], code)
    assert ok.status_code == 200, ok.text
    assert track(client, ok.json()["token"])["number"] == t["number"]
    assert _redeem(client, world.slug, r.json()["challenge"], code).status_code == 404  # once
    # the e-mail address is never a secret; wrong digits and unknown numbers are refused
    assert _lookup(client, world.slug, t["number"], "BUYER@example.com") == 404
    assert _lookup(client, world.slug, t["number"], "1234") == 404
    assert _lookup(client, world.slug, "KF-20000101-000001", "5678") == 404


def test_lookup_is_throttled_per_number(client: TestClient, world: World, clock: FakeClock) -> None:
    t = file_ticket(client, world.slug)
    other = file_ticket(client, world.slug)
    for guess in ("0000", "1111", "2222", "3333", "4444"):
        assert _lookup(client, world.slug, t["number"], guess) == 404
    assert _lookup(client, world.slug, t["number"], "5678") == 429  # even the right one
    assert _lookup(client, world.slug, other["number"], "5678") == 202  # per number
    page = client.post(f"/help/{world.slug}/track", data={"number": t["number"], "secret": "5678"})
    assert page.status_code == 429 and "操作太频繁" in page.text
    assert t["number"] in page.text  # what was typed stays
    clock.advance(minutes=16)
    assert _lookup(client, world.slug, t["number"], "5678") == 202


def test_signed_link_and_tampering(
    client: TestClient, world: World, clock: FakeClock, smtp_server: Any
) -> None:
    t = file_ticket(client, world.slug)
    page = client.get(f"/help/{world.slug}/t/{t['token']}")
    assert page.status_code == 200 and t["number"] in page.text and "已受理" in page.text
    head, mac = t["token"].rsplit(".", 1)
    forged = head + "." + ("A" if mac[0] != "A" else "B") + mac[1:]
    assert client.get(f"/api/v1/tickets/track/{forged}").status_code == 401
    other = As(client, token=None)
    assert other.get(f"/help/other-tenant/t/{t['token']}").status_code == 404
    step1 = client.post(f"/help/{world.slug}/track", data={"number": t["number"], "secret": "5678"})
    assert step1.status_code == 200 and 'data-testid="code-form"' in step1.text
    challenge = step1.text.split('name="challenge" value="', 1)[1].split('"', 1)[0]
    r = client.post(
        f"/help/{world.slug}/track/code",
        data={"challenge": challenge, "code": tracking_code_in(smtp_server)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith(f"/help/{world.slug}/t/")
    clock.advance(days=31)
    assert client.get(f"/api/v1/tickets/track/{t['token']}").status_code == 401


def test_customer_sees_answer_steps_but_never_internal_notes(
    client: TestClient, world: World, alice: As
) -> None:
    t = file_ticket(client, world.slug)
    pid = _public_id(client, t["number"])
    r = alice.post(f"/api/v1/conversations/{pid}/notes", json={"body": "内部：疑似刷单，先别退"})
    assert r.status_code == 201
    answer(alice, pid, "您好，已经为您补发点券。")
    view = track(client, t["token"])
    bodies = [i["body"] for i in view["items"]]
    assert "您好，已经为您补发点券。" in bodies
    assert not any("疑似刷单" in b for b in bodies)
    steps = {s["label"]: s for s in view["steps"]}
    assert steps["已回复"]["done"] and "工号 KF80" in steps["已回复"]["who"]
    assert not steps["已解决"]["done"]
    page = client.get(f"/help/{world.slug}/t/{t['token']}").text
    assert "疑似刷单" not in page and "已经为您补发点券" in page
    transcript = client.get(f"/help/{world.slug}/t/{t['token']}/transcript").text
    assert "疑似刷单" not in transcript and "已经为您补发点券" in transcript


def test_customer_adds_information(client: TestClient, world: World) -> None:
    t = file_ticket(client, world.slug)
    r = client.post(
        f"/help/{world.slug}/t/{t['token']}/reply",
        data={"body": "补充：角色名 小明"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert any(i["body"] == "补充：角色名 小明" for i in track(client, t["token"])["items"])
    empty = client.post(f"/help/{world.slug}/t/{t['token']}/reply", data={"body": " "})
    assert empty.status_code == 422 and "消息不能为空" in empty.text


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


def _set_due(client: TestClient, number: str, due: object) -> None:
    async def go() -> None:
        async with kefu_of(client).db.write() as s:
            conv = (
                await s.execute(
                    select(Conversation)
                    .where(Conversation.number == number)
                    .order_by(Conversation.id.desc())
                    .limit(1)
                )
            ).scalar_one()
            conv.first_response_due_at = due  # type: ignore[assignment]
            conv.first_responded_at = None

    assert client.portal is not None
    client.portal.call(go)


def test_escalation_only_after_a_missed_promise_and_once(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    t = file_ticket(client, world.slug)
    _set_due(client, t["number"], clock.now() + timedelta(hours=1))
    early = client.post(f"/api/v1/tickets/track/{t['token']}/escalate", json={})
    assert early.status_code == 409 and early.json()["error"]["code"] == "promise_not_due"
    assert track(client, t["token"])["can_escalate"] is False
    clock.advance(hours=2)
    view = track(client, t["token"])
    assert view["can_escalate"] is True
    page = client.post(f"/help/{world.slug}/t/{t['token']}/escalate", follow_redirects=False)
    assert page.status_code == 303
    again = client.post(f"/api/v1/tickets/track/{t['token']}/escalate", json={})
    assert (
        again.status_code == 409 and again.json()["error"]["code"] == "escalation_already_requested"
    )
    after = track(client, t["token"])
    assert after["can_escalate"] is False and after["escalation_requested_at"]


def test_rating_after_resolution_only(client: TestClient, world: World, alice: As) -> None:
    t = file_ticket(client, world.slug)
    pid = _public_id(client, t["number"])
    answer(alice, pid)
    early = client.post(f"/api/v1/tickets/track/{t['token']}/rating", json={"score": 5})
    assert early.status_code == 409
    resolve(alice, pid)
    view = track(client, t["token"])
    assert view["can_rate"] and view["steps"][3]["done"]
    r = client.post(
        f"/help/{world.slug}/t/{t['token']}/rate",
        data={"score": "4", "tags": ["回复及时", "态度好"], "comment": "谢谢"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    view = track(client, t["token"])
    assert view["rating"] == 4 and not view["can_rate"]
    rating = next(i for i in view["items"] if i["type"] == "rating")
    assert rating["data"]["tags"] == ["回复及时", "态度好"] and rating["body"] == "谢谢"
    bad = client.post(f"/help/{world.slug}/t/{t['token']}/rate", data={"score": "9"})
    assert bad.status_code == 422


def test_reply_within_n_days_reopens_later_starts_a_new_ticket(
    client: TestClient, world: World, alice: As, clock: FakeClock
) -> None:
    t = file_ticket(client, world.slug)
    pid = _public_id(client, t["number"])
    answer(alice, pid)
    resolve(alice, pid)
    clock.advance(days=6)
    r = client.post(f"/api/v1/tickets/track/{t['token']}/messages", json={"body": "还是没到账"})
    assert r.status_code == 201 and r.json()["follow_up"] is False
    assert track(client, t["token"])["status"] == "assigned"
    alice = As.staff(client, world.emails["alice"])  # the old session expired meanwhile
    resolve(alice, pid)
    clock.advance(days=8)
    r = client.post(f"/api/v1/tickets/track/{t['token']}/messages", json={"body": "又出问题了"})
    assert r.status_code == 201
    out = r.json()
    assert out["follow_up"] is True and out["number"] != t["number"]
    assert track(client, t["token"])["status"] == "resolved"
    new_view = track(client, out["token"])
    assert new_view["status"] == "queued"
    assert new_view["items"][0]["data"]["previous_number"] == t["number"]
