"""Readable conversation numbers (KF-20261122-000123) and opaque public ids."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

NUMBER_RE = re.compile(r"^KF-\d{8}-\d{6}$")


def number_day(now: datetime, timezone: str) -> str:
    return now.astimezone(ZoneInfo(timezone)).strftime("%Y%m%d")


def format_number(day: str, value: int) -> str:
    return f"KF-{day}-{value:06d}"


def new_public_id() -> str:
    """22 url-safe characters: not guessable, not sequential."""
    return secrets.token_urlsafe(16)
