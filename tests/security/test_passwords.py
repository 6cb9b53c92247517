"""Finding (Low): no password change or reset. Change needs the old password and ends
every session; an admin's reset is audited and either mails a one-time link or forces
a change at the next sign-in; "forgot password" mails a signed, expiring, single-use
link through the outbox to the member's own address (real aiosmtpd server)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kefu.clock import FakeClock
from kefu.storage.models import AuditEntry
from tests.security.conftest import AppFactory, kefu_of, world_in
from tests.security.mailbox import mails_to, reset_token_in, running_smtp, smtp_overrides
from tests.world import PASSWORD, As, World

NEW = "a-new-long-passphrase"


@pytest.fixture
def mailbox() -> Iterator[Any]:
    with running_smtp() as server:
        yield server


def _login(client: TestClient, email: str, password: str) -> Any:
    client.cookies.clear()
    r = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    client.cookies.clear()
    return r


def _audit(client: TestClient, world: World) -> list[tuple[str, int | None, str]]:
    """(target, actor agent id, what) of the staff_password rows of the audit log."""

    async def read() -> list[tuple[str, int | None, str]]:
        async with kefu_of(client).db.read() as session:
            rows = (
                await session.execute(AuditEntry.__table__.select().order_by(AuditEntry.id))
            ).all()
        return [
            (r.target, r.actor_agent_id, r.after["password"])
            for r in rows
            if r.section == "staff_password" and r.tenant_id == world.tenant_id
        ]

    assert client.portal is not None
    return client.portal.call(read)


def test_change_needs_the_old_password_and_ends_every_session(make_client: AppFactory) -> None:
    client = make_client()
    world = world_in(client)
    email = world.emails["alice"]
    laptop, phone = As.staff(client, email), As.staff(client, email)
    wrong = laptop.post(
        "/api/v1/auth/password", json={"old_password": "not-it", "new_password": NEW}
    )
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_password"
    assert wrong.json()["error"]["message"] and wrong.json()["error"]["message_en"]
    weak = laptop.post(
        "/api/v1/auth/password", json={"old_password": PASSWORD, "new_password": "short"}
    )
    assert weak.status_code == 422 and weak.json()["error"]["code"] == "password_too_short"
    assert _login(client, email, PASSWORD).status_code == 200  # nothing changed yet

    r = laptop.post("/api/v1/auth/password", json={"old_password": PASSWORD, "new_password": NEW})
    assert r.status_code == 200, r.text
    assert laptop.get("/api/v1/agents/me").status_code == 401  # old cookie revoked
    assert phone.get("/api/v1/agents/me").status_code == 401  # every other session too
    fresh = As(client)
    fresh.cookie = r.cookies.get("kefu_session")
    fresh.csrf = r.json()["csrf_token"]
    assert fresh.get("/api/v1/agents/me").status_code == 200  # this browser: a new session
    assert _login(client, email, PASSWORD).status_code == 401
    assert _login(client, email, NEW).status_code == 200
    [(target, by, what)] = _audit(client, world)
    assert target.startswith("alice（工号") and by == world.agents["alice"]
    assert what.startswith("本人修改（来自 ")


def test_guessing_the_old_password_from_a_stolen_session_is_budgeted(
    make_client: AppFactory,
) -> None:
    client = make_client()
    world = world_in(client)
    thief = As.staff(client, world.emails["bob"])
    codes = [
        thief.post(
            "/api/v1/auth/password", json={"old_password": f"guess-{n}", "new_password": NEW}
        ).status_code
        for n in range(6)
    ]
    assert codes == [403] * 5 + [429]
    right = thief.post(
        "/api/v1/auth/password", json={"old_password": PASSWORD, "new_password": NEW}
    )
    assert right.status_code == 429  # even the right one, until the window passes


def test_forgot_password_mails_a_single_use_link_through_the_outbox(
    make_client: AppFactory, mailbox: Any
) -> None:
    client = make_client(**smtp_overrides(mailbox))
    world = world_in(client)
    email = world.emails["alice"]
    session = As.staff(client, email)
    unknown = client.post("/api/v1/auth/password/forgot", json={"email": "nobody@x.test"})
    known = client.post("/api/v1/auth/password/forgot", json={"email": email.upper()})
    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json()  # the answer does not tell who has an account
    assert mails_to(mailbox, "nobody@x.test") == []
    [mail] = mails_to(mailbox, email)
    assert mail["Auto-Submitted"] == "auto-generated"
    token = reset_token_in(mailbox, email)
    assert _login(client, email, PASSWORD).status_code == 200  # asking changes nothing

    done = client.post("/api/v1/auth/password/reset", json={"token": token, "new_password": NEW})
    assert done.status_code == 204, done.text
    assert session.get("/api/v1/agents/me").status_code == 401  # sessions revoked
    assert _login(client, email, NEW).status_code == 200
    again = client.post(
        "/api/v1/auth/password/reset", json={"token": token, "new_password": "another-passphrase"}
    )
    assert again.status_code == 400 and again.json()["error"]["code"] == "reset_link_invalid"
    assert _login(client, email, NEW).status_code == 200  # the second use changed nothing
    [(target, by, what)] = _audit(client, world)
    assert target.startswith("alice") and by == world.agents["alice"]
    assert what.startswith("通过邮件链接重置")


def test_reset_links_expire_and_die_when_the_password_changes(
    make_client: AppFactory, mailbox: Any, clock: FakeClock
) -> None:
    client = make_client(**smtp_overrides(mailbox))
    world = world_in(client)
    email = world.emails["bob"]
    client.post("/api/v1/auth/password/forgot", json={"email": email})
    first = reset_token_in(mailbox, email)
    clock.advance(minutes=31)
    late = client.post("/api/v1/auth/password/reset", json={"token": first, "new_password": NEW})
    assert late.status_code == 400 and late.json()["error"]["code"] == "reset_link_invalid"

    client.post("/api/v1/auth/password/forgot", json={"email": email})
    second = reset_token_in(mailbox, email)
    assert second != first
    me = As.staff(client, email)
    changed = me.post("/api/v1/auth/password", json={"old_password": PASSWORD, "new_password": NEW})
    assert changed.status_code == 200
    dead = client.post(
        "/api/v1/auth/password/reset", json={"token": second, "new_password": "third-passphrase"}
    )
    assert dead.status_code == 400  # made for the old password: dead with it
    tampered = second[:-2] + ("A" if second[-2] != "A" else "B") + second[-1]
    assert (
        client.post(
            "/api/v1/auth/password/reset", json={"token": tampered, "new_password": NEW}
        ).status_code
        == 400
    )


def test_forgot_password_mails_are_budgeted_per_address(
    make_client: AppFactory, mailbox: Any
) -> None:
    client = make_client(**smtp_overrides(mailbox))
    world = world_in(client)
    email = world.emails["alice"]
    codes = [
        client.post("/api/v1/auth/password/forgot", json={"email": email}).status_code
        for _ in range(5)
    ]
    assert codes == [202, 202, 202, 429, 429]
    assert len(mails_to(mailbox, email)) == 3


def test_admin_reset_by_link_is_audited_and_tenant_checked(
    make_client: AppFactory, mailbox: Any
) -> None:
    client = make_client(**smtp_overrides(mailbox))
    world, other = world_in(client), world_in(client)
    admin = As.staff(client, world.emails["admin"])
    alice_session = As.staff(client, world.emails["alice"])
    agent = As.staff(client, world.emails["bob"])
    url = f"/api/v1/agents/{world.agents['alice']}/password-reset"
    assert agent.post(url, json={"mode": "link"}).status_code == 404  # not an admin
    foreign = As.staff(client, other.emails["admin"])
    assert foreign.post(url, json={"mode": "link"}).status_code == 404  # another tenant
    assert _login(client, world.emails["alice"], PASSWORD).status_code == 200

    r = admin.post(url, json={"mode": "link"})
    assert r.status_code == 200, r.text
    assert r.json()["sent_to"].startswith("a***@") and r.json()["temporary_password"] is None
    assert alice_session.get("/api/v1/agents/me").status_code == 401
    assert _login(client, world.emails["alice"], PASSWORD).status_code == 401  # old one dead
    token = reset_token_in(mailbox, world.emails["alice"])
    assert (
        client.post(
            "/api/v1/auth/password/reset", json={"token": token, "new_password": NEW}
        ).status_code
        == 204
    )
    assert _login(client, world.emails["alice"], NEW).status_code == 200
    rows = _audit(client, world)
    assert (rows[0][1], rows[0][2][:6]) == (world.agents["admin"], "管理员重置（")
    assert rows[0][0].startswith("alice") and rows[1][2].startswith("通过邮件链接重置")


def test_admin_reset_with_a_temporary_password_forces_a_change(make_client: AppFactory) -> None:
    client = make_client()
    world = world_in(client)
    admin = As.staff(client, world.emails["admin"])
    url = f"/api/v1/agents/{world.agents['bob']}/password-reset"
    r = admin.post(url, json={"mode": "temporary"})
    assert r.status_code == 200, r.text
    temporary = r.json()["temporary_password"]
    assert _login(client, world.emails["bob"], PASSWORD).status_code == 401
    bob = As.staff(client, world.emails["bob"], temporary)
    assert bob.get("/api/v1/agents/me").json()["must_change_password"] is True
    refused = bob.get("/api/v1/conversations")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "password_change_required"
    changed = bob.post(
        "/api/v1/auth/password", json={"old_password": temporary, "new_password": NEW}
    )
    assert changed.status_code == 200
    assert changed.json()["must_change_password"] is False
    again = As.staff(client, world.emails["bob"], NEW)
    assert again.get("/api/v1/conversations").status_code == 200
    assert admin.post(url, json={"mode": "nonsense"}).status_code == 422


def test_console_pages_change_and_reset_in_chinese(make_client: AppFactory, mailbox: Any) -> None:
    client = make_client(**smtp_overrides(mailbox))
    world = world_in(client)
    email = world.emails["alice"]
    client.cookies.clear()
    login = client.get("/console/login")
    assert "忘记密码" in login.text
    forgot = client.post("/console/forgot", data={"email": email})
    assert forgot.status_code == 202 and "重置链接已发送" in forgot.text
    token = reset_token_in(mailbox, email)
    page = client.get(f"/console/reset?token={token}")
    assert page.status_code == 200 and "设置新密码" in page.text and "<script" not in page.text
    mismatch = client.post(
        "/console/reset", data={"token": token, "new_password": NEW, "new_password_again": "x"}
    )
    assert mismatch.status_code == 422 and "不一致" in mismatch.text
    done = client.post(
        "/console/reset", data={"token": token, "new_password": NEW, "new_password_again": NEW}
    )
    assert done.status_code == 200 and "密码已重置" in done.text
    cross = client.post(
        "/console/forgot", data={"email": email}, headers={"Origin": "https://evil.example"}
    )
    assert cross.status_code == 403

    signed = client.post(
        "/console/login", data={"email": email, "password": NEW}, follow_redirects=False
    )
    assert signed.status_code == 303
    form = client.get("/console/password")
    assert form.status_code == 200 and "修改密码" in form.text and "<script" not in form.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    fields = {"old_password": NEW, "new_password": PASSWORD, "new_password_again": PASSWORD}
    forged = client.post("/console/password", data={**fields, "csrf": "forged"})
    assert forged.status_code == 403  # a cross-site form cannot change the password
    ok = client.post(
        "/console/password", data={**fields, "csrf": csrf.group(1)}, follow_redirects=False
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/console"
    assert client.get("/console").status_code == 200  # the new session cookie works
    assert _login(client, email, PASSWORD).status_code == 200


def test_a_forced_change_sends_the_console_to_the_password_page(make_client: AppFactory) -> None:
    client = make_client()
    world: World = world_in(client)
    admin = As.staff(client, world.emails["admin"])
    r = admin.post(
        f"/api/v1/agents/{world.agents['alice']}/password-reset", json={"mode": "temporary"}
    )
    temporary = r.json()["temporary_password"]
    client.cookies.clear()
    client.post(
        "/console/login",
        data={"email": world.emails["alice"], "password": temporary},
        follow_redirects=False,
    )
    shell = client.get("/console", follow_redirects=False)
    assert shell.status_code == 303 and shell.headers["location"] == "/console/password"
    page = client.get("/console/password")
    assert "管理员已重置您的密码" in page.text
