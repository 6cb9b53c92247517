"""Who is on the other end of a socket: the hello frame (customer or machine token) or
the staff session cookie of the upgrade request, which must come from our own origin
(otherwise any site could open a socket with the agent's cookie: cross-site WebSocket
hijacking)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from kefu.actions import auth
from kefu.actions.context import Actor, ActorKind, Kefu
from kefu.errors import KefuError, Unauthorized
from kefu.storage.models import Agent, Customer
from kefu.web.deps import actor_from_bearer


@dataclass(frozen=True)
class Identity:
    actor: Actor
    name: str


def same_origin(kefu: Kefu, headers: Mapping[str, str]) -> bool:
    origin = headers.get("origin")
    if not origin:
        return False
    netloc = urlsplit(origin).netloc.lower()
    allowed = {headers.get("host", "").lower(), urlsplit(kefu.settings.public_base_url).netloc}
    return bool(netloc) and netloc in allowed


async def identify(
    kefu: Kefu, token: str | None, cookies: Mapping[str, str], headers: Mapping[str, str]
) -> Identity:
    """The actor of a new connection, or Unauthorized."""
    if token:
        actor = await actor_from_bearer(kefu, token, "/ws")
    else:
        cookie = cookies.get(auth.SESSION_COOKIE)
        if not cookie:
            raise Unauthorized()
        if not same_origin(kefu, headers):
            err = Unauthorized("请求来源不被允许", "cross-origin socket refused")
            err.code = "bad_origin"
            raise err
        staff = await auth.authenticate_session(kefu, cookie)
        if staff is None:
            raise auth.invalid_token_error()
        if staff.must_change_password:
            err = Unauthorized("请先修改密码", "change your password first")
            err.code = "password_change_required"
            raise err
        actor = staff.actor
    return Identity(actor=actor, name=await _display_name(kefu, actor))


async def _display_name(kefu: Kefu, actor: Actor) -> str:
    async with kefu.db.read() as session:
        if actor.kind is ActorKind.STAFF and actor.agent_id is not None:
            agent = await session.get(Agent, actor.agent_id)
            return agent.display_name if agent else ""
        if actor.kind is ActorKind.CUSTOMER and actor.customer_id is not None:
            customer = await session.get(Customer, actor.customer_id)
            if customer is None or customer.tenant_id != actor.tenant_id:
                raise Unauthorized()
            return customer.display_name or ""
    return ""


def describe(actor: Actor) -> dict[str, object]:
    described: dict[str, object] = {"kind": actor.kind.value, "tenant_id": actor.tenant_id}
    if actor.customer_id is not None:
        described["customer_id"] = actor.customer_id
    if actor.agent_id is not None:
        described["agent_id"] = actor.agent_id
        described["role"] = actor.role.value if actor.role else None
    return described


def as_unauthorized(exc: KefuError) -> KefuError:
    if exc.code in ("unauthorized", "invalid_token", "bad_origin"):
        return exc
    err = Unauthorized()
    err.code = "unauthorized"
    return err
