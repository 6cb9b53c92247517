"""Tokens never reach the logs: tracking links carry a signed token in the path
(`/help/<slug>/t/<token>`, `/api/v1/tickets/track/<token>`), which uvicorn's access
log would write down. The log filter (logging_setup.SecretMaskingFilter) cuts them;
`?token=` style query parameters are cut the same way."""

from __future__ import annotations

import re

_PATH_TOKEN = re.compile(r"(/t/|/tickets/track/)[A-Za-z0-9_\-]+\.[A-Za-z0-9_.\-]+")
_QUERY_TOKEN = re.compile(r"([?&](?:token|identity_token|challenge)=)[^&\s\"]+", re.I)
_BEARER = re.compile(r"\b(kf[mc]_)[A-Za-z0-9_.\-]{8,}")


def scrub_tokens(text: str) -> str:
    if "/" not in text and "=" not in text and "kf" not in text:
        return text
    text = _PATH_TOKEN.sub(r"\1[token]", text)
    text = _QUERY_TOKEN.sub(r"\1[token]", text)
    return _BEARER.sub(r"\1[token]", text)
