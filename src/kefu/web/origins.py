"""Which sites may call kefu from a browser.

- Sign-in is same-site only: a form on another site posting to /console/login would
  sign the victim's browser into the attacker's account (login CSRF). Browsers send
  `Origin` (or at least `Referer`) with such a POST; one naming another site is refused.
- The widget API is called from shops on other domains: each tenant lists its shops'
  origins (`allowed_origins` in its settings); CORS answers only those, and only on the
  widget's public endpoints (never for staff cookies: no credentials are allowed)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import Request

from kefu.errors import Forbidden


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def own_origins(request: Request) -> set[str]:
    host = request.headers.get("host", "")
    own = {f"http://{host}".lower(), f"https://{host}".lower()}
    base = request.app.state.kefu.settings.base_url
    if base:
        own.add(origin_of(base))
    return own


def is_cross_site(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        if referer is None:
            return False  # not a browser form: API clients, curl
        origin = origin_of(referer)
    return origin.lower() not in own_origins(request)


def refuse_cross_site(request: Request) -> None:
    if is_cross_site(request):
        err = Forbidden("请在客服系统自己的登录页登录", "sign-in from another site refused")
        err.code = "cross_site_refused"
        raise err


def tenant_allowed_origins(settings: dict[str, Any] | None) -> frozenset[str]:
    """The one reader of a tenant's allowed widget origins (typed settings later)."""
    raw = (settings or {}).get("allowed_origins", [])
    if not isinstance(raw, list):
        return frozenset()
    return frozenset(o for item in raw if isinstance(item, str) and (o := origin_of(item)))
