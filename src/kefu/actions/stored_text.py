"""Secrets never rest: one redaction step at the boundary for every stored text.

Rather than trusting each write path to remember `redact()`, the session masks secrets
in the text columns of every new or changed row just before it is flushed: timeline
event bodies and their free-text data (e-mail subjects, comments, reasons), conversation
subjects and ticket-form details (when it happened, the error shown, what was tried),
attachment names, call-back outcomes. Ids, numbers and contact fields are left alone,
and the rules are the domain's (`kefu.domain.redaction.redact`, applied as it is).
Masking is idempotent, so a row flushed twice is masked once.

Listed here, so a new text column is one line: tests/security/test_redaction_boundary.py
drives every write path with generated secrets and reads the database back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from kefu.domain.redaction import redact
from kefu.storage.models import Attachment, Callback, Conversation, Event

# free-text keys inside JSON columns (event data, ticket details)
TEXT_KEYS = frozenset(
    {
        "subject",
        "comment",
        "reason",
        "note",
        "outcome",
        "filename",
        "text",
        "occurred_at",
        "error_message",
        "tried",
        "description",
        "email_from_name",
    }
)


def mask(text: str) -> str:
    return redact(text).text if text else text


def mask_filename(name: str) -> str:
    """A file's name: the part before the extension is masked as text (a secret
    followed by ".png" is still a secret)."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > 8:
        return mask(name)
    return mask(stem) + dot + ext


def mask_json(value: Any, key: str | None = None) -> Any:
    """Mask the string values of TEXT_KEYS, at any depth; everything else as it is."""
    if isinstance(value, dict):
        return {k: mask_json(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_json(v, key) for v in value]
    if isinstance(value, str) and key == "filename":
        return mask_filename(value)
    if isinstance(value, str) and key in TEXT_KEYS:
        return mask(value)
    return value


def _mask_row(row: object) -> None:
    if isinstance(row, Event):
        row.body = mask(row.body or "")
        if row.data:
            masked = mask_json(row.data)
            if masked != row.data:
                row.data = masked
    elif isinstance(row, Conversation):
        if row.subject:
            row.subject = mask(row.subject)
        if row.details:
            masked = mask_json(row.details)
            if masked != row.details:
                row.details = masked
    elif isinstance(row, Attachment):
        row.filename = mask_filename(row.filename)
    elif isinstance(row, Callback) and row.outcome:
        row.outcome = mask(row.outcome)


def mask_before_flush(session: Session, _context: object, _instances: object) -> None:
    for row in list(session.new) + list(session.dirty):
        _mask_row(row)


def install() -> None:
    if not event.contains(Session, "before_flush", mask_before_flush):
        event.listen(Session, "before_flush", mask_before_flush)


install()
