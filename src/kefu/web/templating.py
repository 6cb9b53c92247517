"""Jinja2 templates shared by the server-rendered pages (console, help center).

Every code shown to people goes through the vocabulary's labels: ``{{ label_of("status",
conv.status) }}`` in a template, ``labels_json("zh")`` embedded for the scripts."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from kefu.domain.event_text import event_line
from kefu.domain.vocabulary.labels import label, label_catalogue, labels_zh
from kefu.domain.vocabulary.phone import mask_phone
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
templates.env.filters["num"] = lambda v: "" if v is None else f"{float(v):g}"
templates.env.filters["clock_zh"] = lambda kind: CLOCK_ZH.get(str(kind), "服务时限")


def labels_json(lang: str = "zh") -> Markup:
    """The label catalogue as JSON safe to embed in ``<script type="application/json">``."""
    text = json.dumps(label_catalogue(lang), ensure_ascii=False, sort_keys=True)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


templates.env.globals.update(
    label_of=label,
    labels_zh=labels_zh,
    labels_json=labels_json,
    event_line=event_line,
    mask_phone=mask_phone,
)
