"""Call-backs (回电): the customer leaves a phone number and a time window; agents see a
due list and record the outcome; an overdue call-back is a breached promise.

Timeline: the request is a public system message (the customer sees what was
promised, with the number masked), the outcome an internal note, an overdue call-back
an `sla_breach` event (kind `callback`) plus a supervisor notification.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from kefu.actions.access import access_conversation_by_public_id, require_staff
from kefu.actions.context import Actor, Kefu, transaction
from kefu.actions.escalation import supervisor_message
from kefu.actions.sla_tracking import load_tenant_sla
from kefu.actions.timeline import append_event
from kefu.clock import ensure_aware
from kefu.domain.conversation_state import AuthorType, EventType, Status, Visibility
from kefu.domain.vocabulary import PhoneNumber, mask_phone
from kefu.domain.vocabulary.labels import label
from kefu.errors import Conflict, InvalidInput, NotFound
from kefu.realtime.broker import tenant_channel
from kefu.storage.models import Callback, Conversation

OPEN = ("pending", "overdue")
OUTCOMES = {
    "reached": "done",
    "no_answer": "no_answer",
    "wrong_number": "failed",
    "cancelled": "cancelled",
}
MAX_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class CallbackRequest:
    phone: str
    window_start: datetime | None = None
    window_end: datetime | None = None
    note: str = ""


async def do_request_callback(
    kefu: Kefu, actor: Actor, public_id: str, req: CallbackRequest
) -> Callback:
    phone = PhoneNumber.parse(req.phone).value
    async with transaction(kefu) as tx:
        conv = await access_conversation_by_public_id(tx.session, actor, public_id, for_update=True)
        if conv.status == Status.CLOSED:
            raise Conflict("conversation_closed", "该会话已关闭", "this conversation is closed")
        existing = (
            await tx.session.execute(
                select(Callback.id).where(
                    Callback.conversation_id == conv.id, Callback.status.in_(OPEN)
                )
            )
        ).first()
        if existing is not None:
            raise Conflict(
                "callback_pending", "您已预约回电，请保持电话畅通", "a call-back is already pending"
            )
        conf = await load_tenant_sla(tx.session, conv.tenant_id)
        now = tx.now
        start = ensure_aware(req.window_start) if req.window_start else now
        start = max(start, now)
        promised = conf.calendar.add_business_time(start, conf.policy.callback_first_response)
        end = ensure_aware(req.window_end) if req.window_end else promised
        if end <= start or end - now > MAX_WINDOW:
            raise InvalidInput(
                "invalid_window",
                "回电时间段不正确（须在未来 7 天内，结束晚于开始）",
                "the window must end after it starts, within 7 days",
            )
        callback = Callback(
            tenant_id=conv.tenant_id,
            conversation_id=conv.id,
            phone=phone,
            window_start=start,
            window_end=end,
            due_at=min(end, promised),
            status="pending",
            created_at=now,
        )
        tx.session.add(callback)
        await tx.session.flush()
        tz = ZoneInfo(kefu.settings.timezone)
        window = f"{start.astimezone(tz):%m-%d %H:%M}–{end.astimezone(tz):%H:%M}"
        await append_event(
            tx,
            conv,
            EventType.MESSAGE,
            author_type=AuthorType.SYSTEM,
            body=f"已为您预约回电：{mask_phone(phone)}，{window}，客服将在此时间段内致电",
            data={
                "kind": "callback_request",
                "callback_id": callback.id,
                "phone_masked": mask_phone(phone),
                "window_start": start.isoformat(),
                "window_end": end.isoformat(),
                "due_at": ensure_aware(callback.due_at).isoformat(),
                "note": req.note.strip()[:200],
            },
        )
        return callback


@dataclass(frozen=True)
class DueCallback:
    callback: Callback
    conversation_public_id: str
    conversation_number: str


async def list_callbacks(
    kefu: Kefu, actor: Actor, *, due_only: bool, limit: int = 100
) -> list[DueCallback]:
    require_staff(actor)
    async with kefu.db.read() as session:
        stmt = (
            select(Callback, Conversation.public_id, Conversation.number)
            .join(Conversation, Conversation.id == Callback.conversation_id)
            .where(Callback.tenant_id == actor.tenant_id, Callback.status.in_(OPEN))
            .order_by(Callback.due_at, Callback.id)
            .limit(limit)
        )
        if due_only:
            stmt = stmt.where(Callback.window_start <= kefu.clock.now())
        rows = (await session.execute(stmt)).all()
    return [DueCallback(cb, pid, number) for cb, pid, number in rows]


async def do_record_outcome(
    kefu: Kefu, actor: Actor, callback_id: int, outcome: str, note: str = ""
) -> Callback:
    require_staff(actor)
    if outcome not in OUTCOMES:
        raise InvalidInput(
            "invalid_outcome",
            "回电结果须为 已接通/无人接听/号码错误/已取消",
            f"outcome must be one of {sorted(OUTCOMES)}",
        )
    async with transaction(kefu) as tx:
        callback = (
            await tx.session.execute(
                select(Callback)
                .where(Callback.id == callback_id, Callback.tenant_id == actor.tenant_id)
                .with_for_update()
            )
        ).scalar_one_or_none()
        if callback is None:
            raise NotFound("callback", "回电记录")
        if callback.status not in OPEN:
            raise Conflict(
                "callback_done", "该回电已记录结果", "this call-back already has an outcome"
            )
        callback.status = OUTCOMES[outcome]
        callback.outcome = f"{outcome}: {note.strip()}"[:500]
        callback.agent_id = actor.agent_id
        callback.completed_at = tx.now
        conv = await tx.session.get(Conversation, callback.conversation_id, with_for_update=True)
        assert conv is not None
        await append_event(
            tx,
            conv,
            EventType.NOTE,
            author_type=AuthorType.AGENT if actor.agent_id else AuthorType.SYSTEM,
            author_id=actor.agent_id,
            visibility=Visibility.INTERNAL,
            body=f"回电结果：{label('callback_outcome', outcome)}"
            + (f"。{note.strip()[:400]}" if note.strip() else ""),
            data={
                "kind": "callback_outcome",
                "callback_id": callback.id,
                "outcome": outcome,
                "on_time": ensure_aware(tx.now) <= ensure_aware(callback.due_at),
            },
        )
        return callback


async def sweep_callbacks(kefu: Kefu, *, limit: int = 200) -> int:
    """Pending call-backs past their due time: mark overdue, record the breach."""
    async with transaction(kefu) as tx:
        stmt = (
            select(Callback)
            .where(Callback.status == "pending", Callback.due_at <= tx.now)
            .order_by(Callback.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        overdue = list((await tx.session.execute(stmt)).scalars())
        for callback in overdue:
            callback.status = "overdue"
            conv = await tx.session.get(Conversation, callback.conversation_id)
            assert conv is not None
            await append_event(
                tx,
                conv,
                EventType.SLA_BREACH,
                author_type=AuthorType.SYSTEM,
                visibility=Visibility.INTERNAL,
                data={
                    "kind": "callback",
                    "callback_id": callback.id,
                    "due_at": ensure_aware(callback.due_at).isoformat(),
                },
            )
            tx.notify(
                tenant_channel(conv.tenant_id),
                supervisor_message(conv, "callback_overdue", callback_id=callback.id),
            )
        return len(overdue)
