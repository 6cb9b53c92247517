"""The account owner hears about wrong passwords (docs/security.md).

When the failures on an account reach the sign-in limit, an e-mail goes to the owner
through the outbox (job ``staff.mail``), at most one per ``ALERT_INTERVAL`` per account
however long the guessing goes on. And at the next successful sign-in the session
carries a notice: how many wrong passwords since the previous sign-in, from which
addresses, when (shown in the tenant's zone by the console and returned by the login
API). Nothing here blocks anybody: sign-in is delayed, never locked (actions/auth.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.actions.context import Kefu, Tx
from kefu.actions.outbox import enqueue
from kefu.clock import ensure_aware
from kefu.domain.sign_in_notice import FailedSignIns
from kefu.storage.models import Agent, Job, LoginAttempt

STAFF_MAIL = "staff.mail"
ALERT_INTERVAL = timedelta(hours=6)
NOTICE_LOOKBACK = timedelta(days=30)  # never report further back than this
MAX_CLIENTS = 5


def email_key(email: str) -> str:
    return f"email:{email}"


async def failures_since_last_sign_in(
    session: AsyncSession, email: str, now: datetime
) -> FailedSignIns | None:
    """Wrong passwords on the account since its previous successful sign-in (the
    current one not yet written), at most NOTICE_LOOKBACK back."""
    key = email_key(email)
    last_ok = (
        await session.execute(
            select(func.max(LoginAttempt.attempted_at)).where(
                LoginAttempt.key == key, LoginAttempt.succeeded.is_(True)
            )
        )
    ).scalar_one_or_none()
    since = max(ensure_aware(last_ok), now - NOTICE_LOOKBACK) if last_ok else now - NOTICE_LOOKBACK
    rows = (
        await session.execute(
            select(LoginAttempt.client, LoginAttempt.attempted_at)
            .where(
                LoginAttempt.key == key,
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.attempted_at > since,
            )
            .order_by(LoginAttempt.attempted_at)
        )
    ).all()
    if not rows:
        return None
    clients: list[str] = []
    for client, _ in rows:
        if client and client not in clients and len(clients) < MAX_CLIENTS:
            clients.append(client)
    return FailedSignIns(
        count=len(rows),
        clients=clients,
        first_at=ensure_aware(rows[0][1]),
        last_at=ensure_aware(rows[-1][1]),
    )


async def maybe_alert_owner(kefu: Kefu, tx: Tx, agent: Agent) -> bool:
    """In the sign-in's transaction: enqueue the owner's e-mail unless one was enqueued
    within ALERT_INTERVAL (a flood of guesses sends one mail, not a flood)."""
    prefix = f"sign-in-alert:{agent.id}:"
    recent = (
        await tx.session.execute(
            select(Job.id)
            .where(
                Job.kind == STAFF_MAIL,
                Job.key.like(prefix + "%"),
                Job.created_at > tx.now - ALERT_INTERVAL,
            )
            .limit(1)
        )
    ).first()
    if recent is not None:
        return False
    job = await enqueue(
        tx,
        STAFF_MAIL,
        prefix + str(int(tx.now.timestamp())),
        {"mail": "sign_in_alert", "agent_id": agent.id, "at": tx.now.isoformat()},
        tenant_id=agent.tenant_id,
        fast_path=bool(kefu.settings.smtp_host),
    )
    return job is not None
