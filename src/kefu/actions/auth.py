"""Sign-in, sessions with CSRF, throttling, API tokens, widget identities."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.actions import presence_leases, sign_in_alerts
from kefu.actions.access import tenant_by_slug as access_tenant_by_slug
from kefu.actions.audit import record_change
from kefu.actions.context import Actor, ActorKind, Kefu, Role, Tx, transaction
from kefu.clock import ensure_aware
from kefu.domain import signed_tokens
from kefu.domain.sign_in_notice import FailedSignIns
from kefu.errors import InvalidInput, KefuError, NotFound, RateLimited, Unauthorized
from kefu.storage.models import (
    Agent,
    ApiToken,
    Customer,
    LoginAttempt,
    StaffSession,
    Tenant,
    UsedNonce,
)

security_log = logging.getLogger("kefu.security")

SESSION_COOKIE = "kefu_session"
MACHINE_PREFIX = "kfm_"
CUSTOMER_PREFIX = "kfc_"


def password_hasher(kefu: Kefu) -> PasswordHasher:
    s = kefu.settings
    return PasswordHasher(time_cost=s.argon2_time_cost, memory_cost=s.argon2_memory_kib)


def hash_password(kefu: Kefu, password: str) -> str:
    return password_hasher(kefu).hash(password)


async def verify_password(kefu: Kefu, password_hash: str, password: str) -> bool:
    """argon2 costs ~0.2 s of CPU by design: it runs in a worker thread (argon2-cffi
    releases the GIL), never on the event loop that serves every socket."""

    def verify() -> bool:
        try:
            return password_hasher(kefu).verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


async def hash_password_off_loop(kefu: Kefu, password: str) -> str:
    return await asyncio.to_thread(hash_password, kefu, password)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class SignedIn:
    agent: Agent
    cookie_value: str
    csrf_token: str
    device_token: str = ""
    notice: FailedSignIns | None = None


def _bad_credentials() -> Unauthorized:
    err = Unauthorized("邮箱或密码错误", "wrong email or password")
    err.code = "invalid_credentials"
    return err


DEVICE_COOKIE = "kefu_device"
DEVICE_DAYS = 180
MAX_SIGN_IN_DELAY = timedelta(minutes=5)


def _device_subject(email: str) -> str:
    return sha256_hex("device:" + email)[:24]


def issue_device_token(kefu: Kefu, email: str) -> str:
    """A browser that signed in successfully is a known device for that account."""
    exp = int((kefu.clock.now() + timedelta(days=DEVICE_DAYS)).timestamp())
    payload = {"k": "dev", "d": _device_subject(email), "exp": exp}
    return signed_tokens.sign(payload, kefu.settings.signing_keys)


def is_known_device(kefu: Kefu, email: str, device_token: str | None) -> bool:
    if not device_token:
        return False
    try:
        payload = signed_tokens.verify(device_token, kefu.settings.signing_keys, kefu.clock.now())
    except KefuError:
        return False
    return payload.get("k") == "dev" and payload.get("d") == _device_subject(email)


def sign_in_delay(failures: int, limit: int) -> timedelta:
    """Past the limit each failure doubles the wait before the next try (1 s, 2 s, 4 s …
    at most 5 minutes): guessing slows to a crawl, the owner is only delayed."""
    if failures < limit:
        return timedelta(0)
    return min(MAX_SIGN_IN_DELAY, timedelta(seconds=2 ** min(failures - limit, 20)))


async def do_sign_in(
    kefu: Kefu, email: str, password: str, client_ip: str, device_token: str | None = None
) -> SignedIn:
    """Password sign-in. Failures are counted per account and per client address; past
    the limit the account is not locked but delayed (doubling waits), and a browser that
    signed in to this account before (a signed device cookie) is not delayed at all, so
    an attacker cannot lock the owner out. Crossing the limit is logged for the owner."""
    email = email.strip().lower()
    limits = {
        f"email:{email}": kefu.settings.login_max_failures,
        f"ip:{client_ip}": kefu.settings.login_max_failures_per_ip,
    }
    known_device = is_known_device(kefu, email, device_token)
    counts: dict[str, int] = {}
    now = kefu.clock.now()
    window_start = now - timedelta(minutes=kefu.settings.login_window_minutes)
    async with kefu.db.read() as session:
        for key, limit in limits.items():
            failures, last = (
                await session.execute(
                    select(func.count(LoginAttempt.id), func.max(LoginAttempt.attempted_at)).where(
                        LoginAttempt.key == key,
                        LoginAttempt.succeeded.is_(False),
                        LoginAttempt.attempted_at >= window_start,
                        # the window ends now: a clock set back (tests, a corrected
                        # system clock) must not count attempts "from the future"
                        LoginAttempt.attempted_at <= now,
                    )
                )
            ).one()
            counts[key] = int(failures)
            if known_device or last is None:
                continue
            wait_until = ensure_aware(last) + sign_in_delay(int(failures), limit)
            if wait_until > now:
                err = RateLimited(retry_after=max(1.0, (wait_until - now).total_seconds()))
                err.code = "login_throttled"
                err.message_zh = "登录失败次数过多，请稍等片刻再试"
                err.message_en = "too many failed sign-ins; wait a moment and try again"
                raise err
        agent = (
            await session.execute(select(Agent).where(Agent.email == email))
        ).scalar_one_or_none()
    if agent is not None and agent.is_active:
        ok = await verify_password(kefu, agent.password_hash, password)
    else:
        # same cost whether or not the account exists
        await verify_password(kefu, await asyncio.to_thread(DUMMY_HASH.get, kefu), password)
        ok = False
    async with kefu.db.read() as session:
        notice = (
            await sign_in_alerts.failures_since_last_sign_in(session, email, now)
            if ok and agent is not None
            else None
        )
    async with transaction(kefu) as tx:
        for key in limits:
            tx.session.add(
                LoginAttempt(key=key, succeeded=ok, attempted_at=tx.now, client=client_ip[:64])
            )
        if not ok or agent is None:
            signed_in = None
            email_failures = counts.get(f"email:{email}", 0) + 1
            if agent is not None and email_failures >= kefu.settings.login_max_failures:
                # the owner hears of it by mail (at most one per interval) and at sign-in
                await sign_in_alerts.maybe_alert_owner(kefu, tx, agent)
        else:
            cookie, csrf = new_staff_session(kefu, tx, agent, notice)
            signed_in = SignedIn(
                agent=agent,
                cookie_value=cookie,
                csrf_token=csrf,
                device_token=issue_device_token(kefu, email),
                notice=notice,
            )
    if signed_in is None:
        for key, limit in limits.items():
            if counts.get(key, 0) + 1 == limit:
                # ops alerting reads kefu.security too (docs/security.md)
                security_log.warning(
                    "sign-in failures reached the limit; further tries are delayed",
                    extra={"throttle_key": key, "agent_id": agent.id if agent else None},
                )
        raise _bad_credentials()
    return signed_in


def new_staff_session(
    kefu: Kefu, tx: Tx, agent: Agent, notice: FailedSignIns | None = None
) -> tuple[str, str]:
    """A new signed-in session for `agent` in the caller's transaction: (cookie, csrf)."""
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    tx.session.add(
        StaffSession(
            id=sha256_hex(cookie),
            agent_id=agent.id,
            csrf_token=csrf,
            created_at=tx.now,
            expires_at=tx.now + timedelta(hours=kefu.settings.session_hours),
            sign_in_notice=notice.to_json() if notice else None,
        )
    )
    return cookie, csrf


class _DummyHash:
    def __init__(self) -> None:
        self._value: str | None = None

    def get(self, kefu: Kefu) -> str:
        if self._value is None:
            self._value = hash_password(kefu, secrets.token_urlsafe(16))
        return self._value


DUMMY_HASH = _DummyHash()


@dataclass
class StaffAuth:
    actor: Actor
    csrf_token: str
    session_id: str
    must_change_password: bool = False
    sign_in_notice: dict[str, Any] | None = None


async def authenticate_session(kefu: Kefu, cookie_value: str) -> StaffAuth | None:
    async with kefu.db.read() as session:
        row = await session.get(StaffSession, sha256_hex(cookie_value))
        if row is None or row.expires_at <= kefu.clock.now():
            return None
        agent = await session.get(Agent, row.agent_id)
        if agent is None or not agent.is_active:
            return None
        actor = Actor(
            kind=ActorKind.STAFF,
            tenant_id=agent.tenant_id,
            agent_id=agent.id,
            role=Role(agent.role),
        )
        return StaffAuth(
            actor=actor,
            csrf_token=row.csrf_token,
            session_id=row.id,
            must_change_password=bool(agent.must_change_password),
            sign_in_notice=row.sign_in_notice,
        )


async def do_sign_out(kefu: Kefu, session_id: str) -> None:
    """退出: the session ends and the agent is offline at once on every console; their
    waiting assignments go back to the queue (docs/presence.md)."""
    async with transaction(kefu) as tx:
        row = await tx.session.get(StaffSession, session_id)
        await tx.session.execute(delete(StaffSession).where(StaffSession.id == session_id))
        if row is not None:
            await presence_leases.drop_leases(tx, row.agent_id)
            for agent in await presence_leases.agents_by_id(tx, [row.agent_id]):
                await presence_leases.go_offline(tx, agent, presence_leases.SIGNED_OUT)


@dataclass
class CreatedToken:
    token: ApiToken
    plaintext: str


# What a machine token may do (docs/security.md). Tokens made before scopes existed
# were given all of them by migration 0009; no scope lets a machine manage tokens.
TOKEN_SCOPES = ("commerce", "conversations", "knowledge")


def check_scopes(scopes: list[str] | None) -> list[str]:
    chosen = list(TOKEN_SCOPES) if scopes is None else sorted(set(scopes))
    unknown = [s for s in chosen if s not in TOKEN_SCOPES]
    if unknown or not chosen:
        raise InvalidInput(
            "invalid_scopes",
            "权限范围无效，可选：" + "、".join(TOKEN_SCOPES),
            "unknown or empty scopes; choose from " + ", ".join(TOKEN_SCOPES),
        )
    return chosen


async def create_api_token(
    kefu: Kefu, tenant_id: int, name: str, scopes: list[str] | None = None
) -> CreatedToken:
    chosen = check_scopes(scopes)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    plaintext = f"{MACHINE_PREFIX}{prefix}_{secret}"
    async with transaction(kefu) as tx:
        token = ApiToken(
            tenant_id=tenant_id,
            name=name[:100],
            prefix=prefix,
            token_hash=sha256_hex(plaintext),
            scopes=chosen,
            created_at=tx.now,
        )
        tx.session.add(token)
        await tx.session.flush()
    return CreatedToken(token=token, plaintext=plaintext)


def require_admin(actor: Actor) -> None:
    """Only a signed-in admin manages tokens: a machine token never mints, lists or
    revokes tokens (one that could would outlive its own revocation)."""
    if actor.kind is not ActorKind.STAFF or actor.role is not Role.ADMIN:
        raise NotFound("token", "令牌")


async def do_create_api_token(
    kefu: Kefu, actor: Actor, name: str, scopes: list[str] | None = None
) -> CreatedToken:
    require_admin(actor)
    async with transaction(kefu) as tx:  # the token and its audit row commit together
        created = await create_api_token(kefu, actor.tenant_id, name, scopes)
        after = {"name": created.token.name, "prefix": created.token.prefix,
                 "scopes": created.token.scopes}  # fmt: skip
        await record_change(
            kefu, tx.session, actor, "api_tokens", None, after, target=created.token.name
        )
    return created


async def list_api_tokens(kefu: Kefu, actor: Actor) -> list[ApiToken]:
    require_admin(actor)
    async with kefu.db.read() as session:
        rows = await session.execute(
            select(ApiToken).where(ApiToken.tenant_id == actor.tenant_id).order_by(ApiToken.id)
        )
        return list(rows.scalars())


async def do_revoke_api_token(kefu: Kefu, actor: Actor, token_id: int) -> None:
    require_admin(actor)
    async with transaction(kefu) as tx:
        token = await tx.session.get(ApiToken, token_id)
        if token is None or token.tenant_id != actor.tenant_id:
            raise NotFound("token", "令牌")
        if token.revoked_at is None:
            token.revoked_at = tx.now
            await record_change(kefu, tx.session, actor, "api_tokens",
                                {"name": token.name, "prefix": token.prefix, "revoked": False},
                                {"name": token.name, "prefix": token.prefix, "revoked": True},
                                target=token.name)  # fmt: skip


@dataclass(frozen=True)
class MachineAuth:
    actor: Actor
    scopes: frozenset[str]


async def authenticate_machine_token(kefu: Kefu, plaintext: str) -> MachineAuth | None:
    body = plaintext[len(MACHINE_PREFIX) :]
    prefix, _, _secret = body.partition("_")
    async with kefu.db.read() as session:
        token = (
            await session.execute(select(ApiToken).where(ApiToken.prefix == prefix))
        ).scalar_one_or_none()
    if token is None or token.revoked_at is not None:
        return None
    if not hmac.compare_digest(token.token_hash, sha256_hex(plaintext)):
        return None
    actor = Actor(kind=ActorKind.MACHINE, tenant_id=token.tenant_id, token_id=token.id)
    return MachineAuth(actor=actor, scopes=frozenset(token.scopes or ()))


def issue_customer_token(kefu: Kefu, tenant_id: int, customer_id: int, hours: int = 24) -> str:
    exp = int((kefu.clock.now() + timedelta(hours=hours)).timestamp())
    payload = {"t": tenant_id, "c": customer_id, "exp": exp}
    return CUSTOMER_PREFIX + signed_tokens.sign(payload, kefu.settings.signing_keys)


def authenticate_customer_token(kefu: Kefu, token: str) -> Actor:
    payload = signed_tokens.verify(
        token[len(CUSTOMER_PREFIX) :], kefu.settings.signing_keys, kefu.clock.now()
    )
    tenant_id, customer_id = payload.get("t"), payload.get("c")
    if not isinstance(tenant_id, int) or not isinstance(customer_id, int):
        raise Unauthorized()
    return Actor(kind=ActorKind.CUSTOMER, tenant_id=tenant_id, customer_id=customer_id)


async def tenant_by_slug(kefu: Kefu, slug: str) -> Tenant:
    """access.tenant_by_slug in a read session of its own."""
    async with kefu.db.read() as session:
        return await access_tenant_by_slug(session, slug)


MAX_IDENTITY_LIFETIME = timedelta(hours=24)


def tenant_widget_keys(tenant: Tenant) -> signed_tokens.KeyRing:
    """The keys a marketplace may sign identities with: the tenant's widget secret and,
    during a rotation, the previous ones listed in its settings."""
    previous = (tenant.settings or {}).get("previous_widget_secrets", [])
    if not isinstance(previous, list):
        previous = []
    return signed_tokens.KeyRing.of(
        tenant.widget_secret, [p for p in previous if isinstance(p, str)]
    )


async def do_widget_identity(kefu: Kefu, tenant_slug: str, identity_token: str) -> tuple[int, str]:
    """Exchange the marketplace's signed identity for a kefu customer token.
    Expired tokens, bad signatures, `exp` more than 24 h ahead or not a finite number,
    and replayed nonces are refused; a nonce is remembered until its token's `exp`."""
    tenant = await tenant_by_slug(kefu, tenant_slug)
    now = kefu.clock.now()
    payload = signed_tokens.verify(
        identity_token, tenant_widget_keys(tenant), now, max_ahead=MAX_IDENTITY_LIFETIME
    )
    external_id, nonce = payload.get("customer_id"), payload.get("nonce")
    if not isinstance(external_id, str) or not 0 < len(external_id) <= 128:
        raise Unauthorized("身份令牌缺少客户编号", "identity token lacks customer_id")
    if not isinstance(nonce, str) or not 8 <= len(nonce) <= 128:
        raise Unauthorized("身份令牌缺少随机数", "identity token lacks a nonce")
    expires_at = datetime.fromtimestamp(signed_tokens.expiry_of(payload), tz=UTC)
    try:
        async with transaction(kefu) as tx:
            await tx.session.execute(delete(UsedNonce).where(UsedNonce.expires_at < tx.now))
            tx.session.add(UsedNonce(tenant_id=tenant.id, nonce=nonce, expires_at=expires_at))
            await tx.session.flush()
            customer = await _upsert_member(tx.session, tenant.id, external_id, payload, tx.now)
            customer_id = customer.id
    except IntegrityError:
        err = Unauthorized("身份令牌已被使用，请刷新页面", "identity token already used")
        err.code = "token_replayed"
        raise err from None
    return customer_id, issue_customer_token(kefu, tenant.id, customer_id)


async def _upsert_member(
    session: AsyncSession, tenant_id: int, external_id: str, payload: dict[str, Any], now: datetime
) -> Customer:
    customer = (
        await session.execute(
            select(Customer).where(
                Customer.tenant_id == tenant_id, Customer.external_id == external_id
            )
        )
    ).scalar_one_or_none()
    if customer is None:
        customer = Customer(tenant_id=tenant_id, external_id=external_id, created_at=now)
        session.add(customer)
    name = payload.get("name")
    if isinstance(name, str):
        customer.display_name = name[:100]
    tier = payload.get("tier")
    if isinstance(tier, str) and tier in ("normal", "silver", "gold", "diamond"):
        customer.tier = tier
    await session.flush()
    return customer


async def do_create_visitor(kefu: Kefu, tenant_slug: str) -> tuple[int, str]:
    tenant = await tenant_by_slug(kefu, tenant_slug)
    async with transaction(kefu) as tx:
        customer = Customer(
            tenant_id=tenant.id,
            visitor_id=secrets.token_urlsafe(16),
            display_name="访客",
            created_at=tx.now,
        )
        tx.session.add(customer)
        await tx.session.flush()
        customer_id = customer.id
    return customer_id, issue_customer_token(kefu, tenant.id, customer_id)


def invalid_token_error() -> KefuError:
    err = Unauthorized("登录状态无效，请重新登录", "invalid credentials")
    err.code = "invalid_token"
    return err
