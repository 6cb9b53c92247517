"""Merging a linked "claims to be ticket X" conversation into X, or dismissing the link.

A mail that names a ticket without proof opens a new conversation, linked both ways by
review notes (actions/email_review.py). The agent who checks the sender then either

- **merges** it into X: its public messages are copied onto X's timeline (marked
  ``merged_from`` / ``merged_seq``; attachments move with them), an internal audit note
  naming the agent goes on both timelines, and the duplicate is closed with
  ``merged_into_id`` pointing at X; or
- **dismisses** the link: a note on both says the claim was checked and rejected; both
  stay as they are.

Both are staff-only and tenancy-checked (another tenant's conversation is not found).
Only a pending link can be acted on: a merged or dismissed duplicate answers 409.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.actions.access import access_conversation_by_public_id, require_staff
from kefu.actions.context import Actor, Kefu, Tx, transaction
from kefu.actions.conversation_status import agent_snapshot, set_status
from kefu.actions.timeline import append_event
from kefu.domain.conversation_state import AuthorType, EventType, Status, Visibility
from kefu.errors import Conflict
from kefu.storage.models import Attachment, Conversation, Event

RESOLVED_LINK = ("merged", "link_dismissed")


@dataclass(frozen=True)
class LinkState:
    """A conversation's claim: the ticket it named, and whether that is still undecided."""

    claimed_number: str | None
    merged_into_number: str | None = None
    dismissed: bool = False

    @property
    def pending(self) -> bool:
        return self.claimed_number is not None and not (self.merged_into_number or self.dismissed)


async def link_state(session: AsyncSession, conv: Conversation) -> LinkState:
    """Both sides of a claim carry a ``claimed_ticket`` note; the duplicate is the newer
    one (the claiming mail created it), so only it can be merged or dismissed."""
    if conv.merged_into_id is not None:
        target = await session.get(Conversation, conv.merged_into_id)
        return LinkState(target.number if target else None, target.number if target else None)
    rows = await session.execute(
        select(Event.data)
        .where(Event.conversation_id == conv.id, Event.type == EventType.NOTE.value)
        .order_by(Event.seq)
    )
    claimed: str | None = None
    dismissed = False
    for (data,) in rows:
        review = (data or {}).get("email_review")
        if review == "claimed_ticket" and claimed is None:
            claimed = (data or {}).get("linked_number")
        dismissed = dismissed or review == "link_dismissed"
    if claimed is None:
        return LinkState(None)
    other = await _by_number(session, conv.tenant_id, claimed, lock=False)
    if other is None or other.id >= conv.id:
        return LinkState(None)  # the older ticket of the pair is not the duplicate
    return LinkState(claimed, None, dismissed)


async def _by_number(
    session: AsyncSession, tenant_id: int, number: str, *, lock: bool
) -> Conversation | None:
    stmt = select(Conversation).where(
        Conversation.tenant_id == tenant_id, Conversation.number == number
    )
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


def _not_pending() -> Conflict:
    return Conflict(
        "no_pending_link",
        "这个工单没有待核实的关联，或已合并 / 已驳回",
        "this conversation has no pending link (already merged or dismissed)",
    )


async def _pending_pair(tx: Tx, actor: Actor, public_id: str) -> tuple[Conversation, Conversation]:
    require_staff(actor)
    dup = await access_conversation_by_public_id(tx.session, actor, public_id, for_update=True)
    state = await link_state(tx.session, dup)
    if not state.pending or state.claimed_number is None:
        raise _not_pending()
    target = await _by_number(tx.session, actor.tenant_id, state.claimed_number, lock=True)
    if target is None or target.id == dup.id:
        raise _not_pending()
    return dup, target


async def _note(
    tx: Tx, conv: Conversation, actor: Actor, body: str, review: str, other: str
) -> None:
    await append_event(
        tx,
        conv,
        EventType.NOTE,
        author_type=AuthorType.AGENT,
        author_id=actor.agent_id,
        body=body,
        visibility=Visibility.INTERNAL,
        data={**await agent_snapshot(tx, actor), "email_review": review, "linked_number": other},
    )


async def do_merge_linked(kefu: Kefu, actor: Actor, public_id: str) -> Conversation:
    """Merge the duplicate `public_id` into the ticket it claimed to be; returns X."""
    async with transaction(kefu) as tx:
        dup, target = await _pending_pair(tx, actor, public_id)
        events = (
            await tx.session.execute(
                select(Event)
                .where(
                    Event.conversation_id == dup.id,
                    Event.type == EventType.MESSAGE.value,
                    Event.visibility == Visibility.PUBLIC.value,
                )
                .order_by(Event.seq)
            )
        ).scalars()
        copied = 0
        for event in list(events):
            data = {**dict(event.data or {}), "merged_from": dup.number, "merged_seq": event.seq}
            new = await append_event(
                tx,
                target,
                EventType.MESSAGE,
                author_type=AuthorType(event.author_type),
                author_id=event.author_id,
                body=event.body,
                data=data,
            )
            files = await tx.session.execute(
                select(Attachment).where(Attachment.event_id == event.id)
            )
            for attachment in files.scalars():
                attachment.conversation_id, attachment.event_id = target.id, new.id
            copied += 1
        who = await agent_snapshot(tx, actor)
        name = who.get("author", {}).get("name", "客服")
        await _note(
            tx,
            target,
            actor,
            f"{name} 核实后将工单 {dup.number} 合并到本工单（复制了 {copied} 条消息）。",
            "merged",
            dup.number,
        )
        await _note(
            tx,
            dup,
            actor,
            f"{name} 核实后已将本工单合并到工单 {target.number}，请在该工单继续处理。",
            "merged",
            target.number,
        )
        dup.merged_into_id = target.id
        if dup.status != Status.CLOSED.value:
            await set_status(
                tx, dup, Status.CLOSED, AuthorType.AGENT, actor.agent_id, reason="merged"
            )
        return target


async def do_dismiss_link(kefu: Kefu, actor: Actor, public_id: str) -> Conversation:
    """The claim was checked and is false: notes on both, nothing moves."""
    async with transaction(kefu) as tx:
        dup, target = await _pending_pair(tx, actor, public_id)
        who = await agent_snapshot(tx, actor)
        name = who.get("author", {}).get("name", "客服")
        await _note(
            tx,
            dup,
            actor,
            f"{name} 已核实：本工单与工单 {target.number} 无关，关联已驳回，两单分别处理。",
            "link_dismissed",
            target.number,
        )
        await _note(
            tx,
            target,
            actor,
            f"{name} 已核实：工单 {dup.number} 并非本工单的联系人所发，关联已驳回。",
            "link_dismissed",
            dup.number,
        )
        return dup
