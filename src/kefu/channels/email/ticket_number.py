"""Ticket numbers (KF-20261122-000123) as they appear in mail subjects and bodies."""

from __future__ import annotations

import re

TICKET_NUMBER_RE = re.compile(r"(?<![A-Za-z0-9])KF-(\d{8})-(\d{6})(?!\d)", re.IGNORECASE)
_EXACT_RE = re.compile(r"^KF-\d{8}-\d{6}$")


def find_ticket_number(*texts: str | None) -> str | None:
    """The first ticket number in the given texts, searched in order, upper-cased."""
    for text in texts:
        if not text:
            continue
        match = TICKET_NUMBER_RE.search(text.replace("－", "-").replace("—", "-"))
        if match:
            return f"KF-{match.group(1)}-{match.group(2)}"
    return None


def is_ticket_number(value: str) -> bool:
    return bool(_EXACT_RE.match(value))
