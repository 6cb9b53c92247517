"""A conversation's public timeline as evidence: a canonical serialisation and its
SHA-256, rendered as a printable page. Internal notes are never part of it.

Canonical form (version 1): UTF-8 JSON, keys sorted, no whitespace, no ASCII escaping,
of ``{"v": 1, "conversation": {...}, "events": [...]}``; every time is UTC ISO-8601
with seconds. Anyone holding the page can recompute the hash from the JSON shown
at its end. PDF is not produced: no pure-Python PDF library is installed; the page's
print CSS is made for "Save as PDF".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.actions.access import access_conversation_by_public_id
from kefu.actions.context import Actor, Kefu
from kefu.clock import ensure_aware
from kefu.domain.conversation_state import STATUS_LABELS_ZH, Status, Visibility
from kefu.storage.models import Agent, Attachment, Conversation, Event

CANONICAL_VERSION = 1


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return ensure_aware(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class TranscriptEvent:
    seq: int
    type: str
    author_type: str
    author: str
    body: str
    created_at: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Transcript:
    number: str
    subject: str
    status: str
    status_label: str
    created_at: str
    events: list[TranscriptEvent]
    canonical: str
    sha256: str


def _author(event: Event, agents: dict[int, Agent]) -> str:
    if event.author_type == "agent":
        agent = agents.get(event.author_id or 0)
        return f"客服 {agent.display_name}（工号 {agent.agent_no}）" if agent else "客服"
    return {"customer": "客户", "bot": "智能助手", "system": "系统"}.get(event.author_type, "系统")


def _public_data(event: Event, files: dict[int, list[Attachment]]) -> dict[str, Any]:
    data = event.data or {}
    out: dict[str, Any] = {}
    keys: tuple[str, ...] = ("from", "to", "score", "tags", "name", "agent_no")
    keys += ("to_department_name", "kind")
    if event.type in ("order_update", "card_codes"):
        keys += ("order_no", "source", "action", "count", "sent_to")
    for key in keys:
        if key in data:
            out[key] = data[key]
    if event.id in files:
        out["attachments"] = [
            {"filename": a.filename, "sha256": a.sha256, "size": a.size}
            for a in sorted(files[event.id], key=lambda a: a.id)
        ]
    return out


async def public_timeline(
    session: AsyncSession, conv: Conversation
) -> tuple[list[Event], dict[int, Agent]]:
    """The customer-visible events in order, and the agents they name (authors and
    assignees): what the tracking page and the transcript both show."""
    events = list(
        (
            await session.execute(
                select(Event)
                .where(Event.conversation_id == conv.id, Event.visibility == Visibility.PUBLIC)
                .order_by(Event.seq)
            )
        ).scalars()
    )
    ids = {e.author_id for e in events if e.author_type == "agent" and e.author_id}
    ids |= {
        int(e.data["agent_id"]) for e in events if e.type == "assignment" and e.data.get("agent_id")
    }
    if not ids:
        return events, {}
    rows = await session.execute(select(Agent).where(Agent.id.in_(ids)))
    return events, {a.id: a for a in rows.scalars()}


async def build_transcript(session: AsyncSession, conv: Conversation) -> Transcript:
    events, agents = await public_timeline(session, conv)
    files: dict[int, list[Attachment]] = {}
    for att in (
        await session.execute(select(Attachment).where(Attachment.conversation_id == conv.id))
    ).scalars():
        if att.event_id is not None:
            files.setdefault(att.event_id, []).append(att)
    items = [
        TranscriptEvent(
            seq=e.seq,
            type=e.type,
            author_type=e.author_type,
            author=_author(e, agents),
            body=e.body or "",
            created_at=_iso(e.created_at) or "",
            data=_public_data(e, files),
        )
        for e in events
    ]
    return make_transcript(conv, items)


def make_transcript(conv: Conversation, items: list[TranscriptEvent]) -> Transcript:
    doc = {
        "v": CANONICAL_VERSION,
        "conversation": {
            "number": conv.number,
            "subject": conv.subject,
            "created_at": _iso(conv.created_at),
        },
        "events": [
            {
                "seq": i.seq,
                "type": i.type,
                "author_type": i.author_type,
                "author": i.author,
                "body": i.body,
                "created_at": i.created_at,
                "data": i.data,
            }
            for i in items
        ],
    }
    canonical = canonical_json(doc)
    status = Status(conv.status)
    return Transcript(
        number=conv.number,
        subject=conv.subject,
        status=status.value,
        status_label=STATUS_LABELS_ZH[status],
        created_at=_iso(conv.created_at) or "",
        events=items,
        canonical=canonical,
        sha256=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
    )


def canonical_json(doc: Any) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def verify_transcript(canonical: str, sha256: str) -> bool:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest() == sha256.lower()


async def transcript_for(kefu: Kefu, actor: Actor, public_id: str) -> Transcript:
    """Staff of the tenant, or the customer (tracking link), may export the transcript."""
    async with kefu.db.read() as session:
        conv = await access_conversation_by_public_id(session, actor, public_id)
        return await build_transcript(session, conv)
