"""Internal notes for mail that staff must check (docs/email.md): a mail that names a
ticket without proof (linked both ways), and a mail whose SPF / DKIM / DMARC failed."""

from __future__ import annotations

from kefu.actions.context import Tx
from kefu.actions.timeline import append_event
from kefu.domain.conversation_state import AuthorType, EventType, Visibility
from kefu.storage.models import Conversation, Event

AUTH_NAMES = {"spf": "SPF", "dkim": "DKIM", "dmarc": "DMARC"}


async def link_claimed_ticket(tx: Tx, new: Conversation, claimed_id: int, sender: str) -> None:
    """Notes on both conversations: the mail was kept apart from the ticket it named."""
    claimed = await tx.session.get(Conversation, claimed_id)
    if claimed is None or claimed.id == new.id:
        return
    await append_event(
        tx,
        new,
        EventType.NOTE,
        author_type=AuthorType.SYSTEM,
        body=(
            f"疑似冒用工单号：这封邮件提到了工单 {claimed.number}，但没有通过该工单的回复地址"
            "或 kefu 签名的邮件标识，或发件人不是该工单的联系邮箱，因此另建了本工单，"
            "请核实发件人身份后再处理。"
        ),
        visibility=Visibility.INTERNAL,
        data={"email_review": "claimed_ticket", "linked_number": claimed.number},
    )
    await append_event(
        tx,
        claimed,
        EventType.NOTE,
        author_type=AuthorType.SYSTEM,
        body=(
            f"疑似冒用工单号：收到一封提到本工单的邮件（发件人 {sender}），未能证明来自本工单"
            f"的联系人，已另建工单 {new.number}，请核实，切勿按其中的要求操作本工单。"
        ),
        visibility=Visibility.INTERNAL,
        data={"email_review": "claimed_ticket", "linked_number": new.number},
    )


async def flag_auth_failures(tx: Tx, conv: Conversation, event: Event, failures: list[str]) -> None:
    """The stored mail event carries the failures; staff see a note (the mail is kept)."""
    data = dict(event.data or {})
    data["email"] = {**dict(data.get("email") or {}), "auth_failures": list(failures)}
    event.data = data
    names = "、".join(AUTH_NAMES.get(f, f.upper()) for f in failures)
    await append_event(
        tx,
        conv,
        EventType.NOTE,
        author_type=AuthorType.SYSTEM,
        body=(
            f"发件验证未通过（{names}）：收件服务器记录这封邮件的发件域验证失败，"
            "发件人可能是伪造的，请核实后再处理。"
        ),
        visibility=Visibility.INTERNAL,
        data={"email_review": "auth_failure"},
    )
