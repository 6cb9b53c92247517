"""Structured logs: one JSON object per line."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                out[key] = (
                    value if isinstance(value, str | int | float | bool | None) else str(value)
                )
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


class SecretMaskingFilter(logging.Filter):
    """Logs are stored text too: the message and string extras pass the same redaction
    as everything kefu stores, and tracking tokens in logged paths (uvicorn's access log)
    are cut. Exempt: `kefu.sms`, the development SMS adapter, whose job is to show the
    message it would have sent (docs/security.md)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "kefu.sms":
            return True
        from kefu.actions.stored_text import mask
        from kefu.web.access_log import scrub_tokens

        message = record.getMessage()
        clean = scrub_tokens(mask(message))
        if clean != message:
            record.msg, record.args = clean, None
        for key, value in list(record.__dict__.items()):
            if key not in _RESERVED and isinstance(value, str) and value:
                record.__dict__[key] = scrub_tokens(mask(value))
        return True


def configure_logging(level: str = "INFO", as_json: bool = True) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(SecretMaskingFilter())
    handler.setFormatter(
        JsonFormatter()
        if as_json
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
