"""A small, explicit week of conversations for the report tests. Every expected figure
in the tests is worked out by hand from the timeline written here (Shanghai time, the
tenant's zone; business hours Mon–Fri 09:00–18:00), not with the code under test."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update

from kefu.actions.context import Kefu, transaction
from kefu.storage.models import Conversation, Event, Tenant
from tests.world import World

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
FIRST_DAY, LAST_DAY = "2026-11-23", "2026-11-29"  # Monday .. Sunday
HOURS = {"always_open": False, "weekdays": ["09:00-18:00"], "china_holidays": False}


def sh(day: int, hh: int, mm: int, ss: int = 0) -> datetime:
    """A November 2026 time in Shanghai, as UTC."""
    return datetime(2026, 11, day, hh, mm, ss, tzinfo=SH).astimezone(UTC)


Ev = tuple[datetime, str, str, str, dict[str, Any], str]  # at, type, author, visibility, data, body


def cust(at: datetime, body: str = "你好") -> Ev:
    return (at, "message", "customer", "public", {}, body)


def agent(at: datetime, body: str = "您好，马上为您处理") -> Ev:
    return (at, "message", "agent", "public", {}, body)


def bot(at: datetime, reason: str, confidence: float, intent: str = "recharge_not_received") -> Ev:
    data = {"intent": intent, "confidence": confidence, "reason": reason}
    return (at, "bot_turn", "bot", "public", data, "机器人回复")


def handoff(at: datetime, reason: str) -> Ev:
    return (at, "handoff", "system", "public", {"reason": reason}, "")


def status(at: datetime, frm: str, to: str, reason: str | None = None) -> Ev:
    data: dict[str, Any] = {"from": frm, "to": to}
    if reason:
        data["reason"] = reason
    return (at, "status_change", "system", "public", data, "")


@dataclass
class Seeded:
    numbers: dict[str, str]
    public_ids: dict[str, str]


async def seed_week(kefu: Kefu, world: World) -> Seeded:
    alice, bob = world.agents["alice"], world.agents["bob"]
    specs: list[dict[str, Any]] = [
        {  # C1 Monday 10:00, web: bot answers confidently, "没用", 转人工, alice, 5 stars
            "key": "C1", "channel": "web", "created": sh(23, 10, 0), "status": "resolved",
            "assignee": alice, "rating": 5,
            "first_responded": sh(23, 10, 1, 42), "fr_due": sh(23, 10, 11, 2),
            "res_due": sh(23, 12, 1, 2), "resolved": sh(23, 10, 10, 2),
            "events": [
                cust(sh(23, 10, 0)), bot(sh(23, 10, 0, 2), "answer", 0.9),
                cust(sh(23, 10, 0, 30), "没用"), bot(sh(23, 10, 0, 32), "unhelpful_once", 0.4),
                cust(sh(23, 10, 1), "转人工"), handoff(sh(23, 10, 1, 2), "human_agent"),
                status(sh(23, 10, 1, 2), "bot", "queued"), agent(sh(23, 10, 1, 42)),
                cust(sh(23, 10, 3)), agent(sh(23, 10, 4)),
                status(sh(23, 10, 10, 2), "assigned", "resolved"),
                (sh(23, 10, 20), "rating", "customer", "public", {"score": 5}, "很快，谢谢"),
            ],
        },
        {  # C2 Tuesday 20:00 (after hours), web: account security, bob, reopened, 3 stars
            "key": "C2", "channel": "web", "created": sh(24, 20, 0), "status": "resolved",
            "assignee": bob, "rating": 3,
            "first_responded": sh(24, 20, 0, 21), "fr_due": sh(24, 20, 10, 1),
            "res_due": sh(24, 22, 0, 1), "resolved": sh(24, 21, 0),
            "events": [
                cust(sh(24, 20, 0), "账号被盗了"), bot(sh(24, 20, 0, 1), "handoff", 0.8),
                handoff(sh(24, 20, 0, 1), "account_security"), agent(sh(24, 20, 0, 21)),
                status(sh(24, 20, 30, 1), "assigned", "resolved"),
                status(sh(24, 20, 40), "resolved", "queued", "customer_reopened"),
                cust(sh(24, 20, 40), "还是登不上"), agent(sh(24, 20, 45)),
                status(sh(24, 21, 0), "assigned", "resolved"),
                (sh(24, 21, 5), "rating", "customer", "public", {"score": 3}, ""),
            ],
        },
        {  # C3 Wednesday 23:30 (night), web: handed over, nobody came, left after 15 min
            "key": "C3", "channel": "web", "created": sh(25, 23, 30), "status": "closed",
            "assignee": None, "rating": None, "fr_due": sh(25, 23, 40, 5),
            "events": [
                cust(sh(25, 23, 30)), bot(sh(25, 23, 30, 1), "unsure", 0.3),
                handoff(sh(25, 23, 30, 5), "human_agent"),
                status(sh(25, 23, 30, 5), "bot", "queued"),
                (sh(25, 23, 40, 5), "sla_breach", "system", "internal",
                 {"kind": "breach", "clocks": ["first_response"]}, ""),
                (sh(25, 23, 42), "sla_breach", "system", "internal",
                 {"kind": "escalation", "step": 1}, ""),
                status(sh(25, 23, 45, 5), "queued", "closed", "abandoned"),
            ],
        },
        {  # C4 Thursday 14:00, web: the bot answers and the customer is done, 4 stars
            "key": "C4", "channel": "web", "created": sh(26, 14, 0), "status": "resolved",
            "assignee": None, "rating": 4, "resolved": sh(26, 14, 2),
            "events": [
                cust(sh(26, 14, 0)), bot(sh(26, 14, 0, 1), "answer", 0.95),
                status(sh(26, 14, 2), "bot", "resolved", "resolved"),
                (sh(26, 14, 3), "rating", "customer", "public", {"score": 4}, "机器人就解决了"),
            ],
        },
        {  # C5 Friday 09:30, ticket form: alice answers after an hour, still open
            "key": "C5", "channel": "ticket", "created": sh(27, 9, 30), "status": "assigned",
            "assignee": alice, "rating": None,
            "first_responded": sh(27, 10, 30), "fr_due": sh(27, 11, 30),
            "res_due": sh(28, 9, 30),
            "events": [cust(sh(27, 9, 30), "工单：充值未到账"), agent(sh(27, 10, 30))],
        },
        {  # C6 Monday 30 November: outside the range
            "key": "C6", "channel": "web", "created": sh(30, 10, 0), "status": "queued",
            "assignee": None, "rating": None,
            "events": [cust(sh(30, 10, 0)), handoff(sh(30, 10, 0, 5), "button")],
        },
    ]  # fmt: skip
    numbers: dict[str, str] = {}
    public_ids: dict[str, str] = {}
    async with transaction(kefu) as tx:
        await tx.session.execute(
            update(Tenant)
            .where(Tenant.id == world.tenant_id)
            .values(settings={"business_calendar": HOURS})
        )
        for i, spec in enumerate(specs):
            created: datetime = spec["created"]
            number = f"KF-{created:%Y%m%d}-{900 + i:06d}"
            conv = Conversation(
                tenant_id=world.tenant_id,
                number=number,
                public_id=secrets.token_hex(8),
                channel=spec["channel"],
                status=spec["status"],
                priority=1,
                assignee_id=spec["assignee"],
                customer_id=world.customers["m1"],
                rating=spec["rating"],
                first_responded_at=spec.get("first_responded"),
                first_response_due_at=spec.get("fr_due"),
                resolution_due_at=spec.get("res_due"),
                resolved_at=spec.get("resolved"),
                closed_at=spec["events"][-1][0] if spec["status"] == "closed" else None,
                last_seq=len(spec["events"]),
                created_at=created,
                updated_at=created + timedelta(hours=1),
            )
            tx.session.add(conv)
            await tx.session.flush()
            for seq, (at, type_, author, vis, data, body) in enumerate(spec["events"], 1):
                tx.session.add(
                    Event(
                        tenant_id=world.tenant_id,
                        conversation_id=conv.id,
                        seq=seq,
                        type=type_,
                        visibility=vis,
                        author_type=author,
                        author_id=spec["assignee"] if author == "agent" else None,
                        body=body,
                        data=data,
                        created_at=at,
                    )
                )
            numbers[spec["key"]] = number
            public_ids[spec["key"]] = conv.public_id
    return Seeded(numbers, public_ids)
