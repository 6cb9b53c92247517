"""Jinja2 templates shared by the server-rendered pages (console, help center)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates

from kefu.queries.sla_view import CLOCK_ZH, DEFAULT_ZONE, PRIORITY_ZH, local_text

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))


def _local_text(value: datetime | str | None, zone: ZoneInfo | None = None) -> str:
    """A stored time (datetime or ISO text) in the tenant's zone, with the date."""
    if value is None or value == "":
        return ""
    when = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    return local_text(when, zone or ZoneInfo(DEFAULT_ZONE))


templates.env.globals["local_text"] = _local_text
templates.env.globals["priority_zh"] = PRIORITY_ZH
templates.env.filters["clock_zh"] = lambda kind: CLOCK_ZH.get(str(kind), "服务时限")
