"""Staff passwords: change your own, an admin's reset, "forgot password" by e-mail.

- **Change** needs the old password (argon2 off the event loop, like sign-in); wrong old
  passwords are budgeted per account, so a stolen session cannot guess the password.
- **Admin reset** (same tenant, audited) either mails the member a one-time reset link
  (their old password stops working at once) or hands the admin a one-time temporary
  password that must be changed at the next sign-in.
- **Forgot password**: the same answer whether or not the address has an account; the
  link is sent through the outbox (job ``staff.mail``) to the member's own address.

A reset link is a token signed with the server key carrying a fingerprint of the
current password hash, so it dies when the password changes, and its id is kept in
``used_nonces`` once redeemed, so it opens once. Nothing secret is stored: the job row
holds the claims, and only a holder of the server key can sign them.

Every change or reset revokes all the member's sessions (and takes them offline).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from kefu.actions import presence_leases, throttles
from kefu.actions.audit import record_change
from kefu.actions.auth import (
    SignedIn,
    hash_password_off_loop,
    issue_device_token,
    new_staff_session,
    verify_password,
)
from kefu.actions.context import Actor, ActorKind, Kefu, Role, Tx, transaction
from kefu.actions.outbox import enqueue
from kefu.domain import signed_tokens
from kefu.domain.vocabulary.labels import label
from kefu.errors import InvalidInput, KefuError, NotFound
from kefu.storage.models import Agent, StaffSession, UsedNonce

MIN_LENGTH = 8
MAX_LENGTH = 256
RESET_LIFETIME = timedelta(minutes=30)
STAFF_MAIL = "staff.mail"
OLD_PASSWORD = throttles.Budget(
    "password-change", 5, timedelta(minutes=15), message_zh="原密码错误次数过多，请稍后再试"
)
RESET_REQUESTS = throttles.Budget(
    "password-reset-mail", 3, timedelta(hours=1), failures_only=False,
    message_zh="重置邮件发送太频繁，请稍后再试",
)  # fmt: skip
RESET_CLIENT = throttles.Budget("password-reset-client", 20, timedelta(hours=1), False)
ResetMode = Literal["link", "temporary"]


def password_fingerprint(password_hash: str) -> str:
    """Changes whenever the password does: a reset link made before is then dead."""
    return hashlib.sha256(("pwfp:" + password_hash).encode()).hexdigest()[:16]


def check_new_password(agent: Agent, new_password: str) -> None:
    email = agent.email.lower()
    if not MIN_LENGTH <= len(new_password) <= MAX_LENGTH:
        raise InvalidInput(
            "password_too_short" if len(new_password) < MIN_LENGTH else "password_too_long",
            f"新密码长度需为 {MIN_LENGTH}–{MAX_LENGTH} 个字符",
            f"the new password needs {MIN_LENGTH}–{MAX_LENGTH} characters",
        )
    if new_password.lower() in (email, email.partition("@")[0]) or len(set(new_password)) < 3:
        raise InvalidInput(
            "password_too_weak",
            "新密码太容易被猜到（不能是邮箱或重复字符）",
            "the new password is too easy to guess (not the e-mail, not one repeated character)",
        )


async def revoke_sessions(tx: Tx, agent: Agent) -> None:
    """Every session of the member ends; their consoles go offline (docs/presence.md)."""
    await tx.session.execute(delete(StaffSession).where(StaffSession.agent_id == agent.id))
    await presence_leases.drop_leases(tx, agent.id)
    for row in await presence_leases.agents_by_id(tx, [agent.id]):
        await presence_leases.go_offline(tx, row, presence_leases.SIGNED_OUT)


AUDIT_SECTION = "staff_password"


async def audit(
    kefu: Kefu, tx: Tx, agent: Agent, action: str, by: Actor | None, client: str | None
) -> None:
    """One audit_log row (section ``staff_password``), in the change's transaction; the
    actor is the admin, or the member themselves (change, reset link)."""
    actor = by or Actor(
        kind=ActorKind.STAFF, tenant_id=agent.tenant_id, agent_id=agent.id, role=Role(agent.role)
    )
    await record_change(
        kefu,
        tx.session,
        actor,
        AUDIT_SECTION,
        {"password": "旧密码"},
        {"password": f"{label('password_action', action)}（来自 {(client or '未知')[:64]}）"},
        target=f"{agent.display_name}（工号 {agent.agent_no}）",
    )


def _set_password(agent: Agent, password_hash: str, now: datetime, *, must_change: bool) -> None:
    agent.password_hash = password_hash
    agent.must_change_password = must_change
    agent.password_changed_at = now


def _wrong_old_password() -> KefuError:
    return KefuError(
        "wrong_password", "原密码不正确", "the current password is wrong", status_code=403
    )


async def do_change_own_password(
    kefu: Kefu, actor: Actor, old_password: str, new_password: str, client: str
) -> SignedIn:
    """The signed-in member changes their password; every session ends and this browser
    gets a fresh one (returned)."""
    if actor.kind is not ActorKind.STAFF or actor.agent_id is None:
        raise NotFound("agent", "客服")
    key = throttles.budget_key(OLD_PASSWORD, actor.agent_id)
    await throttles.guard(kefu, [(OLD_PASSWORD, key)])
    async with kefu.db.read() as session:
        agent = await session.get(Agent, actor.agent_id)
    if agent is None or not agent.is_active:
        raise NotFound("agent", "客服")
    check_new_password(agent, new_password)
    ok = await verify_password(kefu, agent.password_hash, old_password)
    if not ok:
        await throttles.record(kefu, [key], False)
        raise _wrong_old_password()
    if await verify_password(kefu, agent.password_hash, new_password):
        raise InvalidInput(
            "password_unchanged", "新密码不能与原密码相同", "choose a password you do not use now"
        )
    new_hash = await hash_password_off_loop(kefu, new_password)
    async with transaction(kefu) as tx:
        row = await tx.session.get(Agent, agent.id, with_for_update=True)
        assert row is not None
        if row.password_hash != agent.password_hash:  # changed meanwhile elsewhere
            raise _wrong_old_password()
        _set_password(row, new_hash, tx.now, must_change=False)
        await revoke_sessions(tx, row)
        await audit(kefu, tx, row, "password_changed", None, client)
        cookie, csrf = new_staff_session(kefu, tx, row)
        signed = SignedIn(row, cookie, csrf, issue_device_token(kefu, row.email))
    return signed


@dataclass(frozen=True)
class ResetDone:
    mode: ResetMode
    sent_to: str | None = None  # masked address the link went to
    temporary_password: str | None = None  # shown once to the admin


def mask_address(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


async def do_admin_reset_password(
    kefu: Kefu, actor: Actor, agent_id: int, mode: ResetMode, client: str
) -> ResetDone:
    """An admin resets a member of their tenant (never across tenants: 404)."""
    if actor.kind is not ActorKind.STAFF or actor.role is not Role.ADMIN:
        raise NotFound("agent", "客服")
    if agent_id == actor.agent_id:
        raise InvalidInput(
            "reset_own_password",
            "请在“修改密码”中修改自己的密码",
            "change your own password with the password change form",
        )
    temporary = secrets.token_urlsafe(12) if mode == "temporary" else None
    new_hash = await hash_password_off_loop(kefu, temporary or secrets.token_urlsafe(32))
    async with transaction(kefu) as tx:
        agent = await tx.session.get(Agent, agent_id, with_for_update=True)
        if agent is None or agent.tenant_id != actor.tenant_id:
            raise NotFound("agent", "客服")
        # the old password stops working at once in both modes
        _set_password(agent, new_hash, tx.now, must_change=temporary is not None)
        await revoke_sessions(tx, agent)
        await audit(kefu, tx, agent, f"password_reset_{mode}", actor, client)
        if temporary is None:
            await enqueue_reset_mail(kefu, tx, agent)
            return ResetDone(mode, sent_to=mask_address(agent.email))
    return ResetDone(mode, temporary_password=temporary)


async def enqueue_reset_mail(kefu: Kefu, tx: Tx, agent: Agent) -> None:
    """The reset link goes out through the outbox to the member's own address."""
    jti = secrets.token_urlsafe(12)
    exp = int((tx.now + RESET_LIFETIME).timestamp())
    claims = {"a": agent.id, "j": jti, "f": password_fingerprint(agent.password_hash), "exp": exp}
    await enqueue(
        tx,
        STAFF_MAIL,
        f"password-reset:{agent.id}:{jti}",
        {"mail": "password_reset", "agent_id": agent.id, "claims": claims},
        tenant_id=agent.tenant_id,
        fast_path=bool(kefu.settings.smtp_host),
    )


def reset_token(kefu: Kefu, claims: dict[str, object]) -> str:
    return signed_tokens.sign({"k": "pwr", **claims}, kefu.settings.signing_keys)


def reset_url(kefu: Kefu, token: str) -> str:
    return f"{kefu.settings.public_base_url.rstrip('/')}/console/reset?token={token}"


async def do_request_password_reset(kefu: Kefu, email: str, client: str) -> None:
    """Forgot password: a link to the account's address, if there is one. The answer
    is the same either way (no account discovery); budgeted per address and client."""
    email = email.strip().lower()[:254]
    address_key = throttles.budget_key(RESET_REQUESTS, email)
    client_key = throttles.budget_key(RESET_CLIENT, client)
    await throttles.guard(kefu, [(RESET_REQUESTS, address_key), (RESET_CLIENT, client_key)])
    async with transaction(kefu) as tx:
        throttles.record_attempts(tx.session, [address_key, client_key], True, tx.now)
        agent = (
            await tx.session.execute(select(Agent).where(Agent.email == email))
        ).scalar_one_or_none()
        if agent is not None and agent.is_active:
            await enqueue_reset_mail(kefu, tx, agent)


def _link_dead() -> KefuError:
    return KefuError(
        "reset_link_invalid",
        "重置链接无效、已使用或已过期，请重新申请",
        "the reset link is invalid, used or expired; ask for a new one",
        status_code=400,
    )


async def do_reset_password_with_token(
    kefu: Kefu, token: str, new_password: str, client: str
) -> None:
    """Redeem a reset link once: new password, every session revoked, audited."""
    try:
        claims = signed_tokens.verify(token, kefu.settings.signing_keys, kefu.clock.now())
    except KefuError:
        raise _link_dead() from None
    agent_id, jti, fingerprint = claims.get("a"), claims.get("j"), claims.get("f")
    if claims.get("k") != "pwr" or not isinstance(agent_id, int) or not isinstance(jti, str):
        raise _link_dead()
    async with kefu.db.read() as session:
        agent = await session.get(Agent, agent_id)
    if agent is None or not agent.is_active:
        raise _link_dead()
    if not isinstance(fingerprint, str) or fingerprint != password_fingerprint(agent.password_hash):
        raise _link_dead()
    check_new_password(agent, new_password)
    new_hash = await hash_password_off_loop(kefu, new_password)
    expires = datetime.fromtimestamp(signed_tokens.expiry_of(claims), tz=UTC)
    try:
        async with transaction(kefu) as tx:
            row = await tx.session.get(Agent, agent_id, with_for_update=True)
            assert row is not None
            if password_fingerprint(row.password_hash) != fingerprint:
                raise _link_dead()
            tx.session.add(
                UsedNonce(tenant_id=row.tenant_id, nonce="pwr:" + jti, expires_at=expires)
            )
            await tx.session.flush()
            _set_password(row, new_hash, tx.now, must_change=False)
            await revoke_sessions(tx, row)
            await audit(kefu, tx, row, "password_reset_by_link", None, client)
    except IntegrityError:
        raise _link_dead() from None
