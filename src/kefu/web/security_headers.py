"""Headers on every response, and CORS for the widget API.

Every HTML page gets a Content-Security-Policy without inline script (the console and
help center load their scripts from /static), `frame-ancestors 'none'` and
X-Frame-Options (no clickjacking of the console), `Referrer-Policy: same-origin` (a
tracking link's token never leaves in a Referer), and every response `nosniff`.
/docs is served from vendored files without inline script (web/api_docs.py), so it gets
the same CSP.

CORS: the widget runs on the shops' own domains and calls /api/v1 with a bearer token
(never cookies: no credentials are allowed). A tenant lists its shops' origins in its
settings (`allowed_origins`, web/origins.py). A preflight is answered for an origin any
tenant allows (the preflight carries no tenant); the real response carries
Access-Control-Allow-Origin only when the origin is allowed by the tenant the widget
names in `X-Kefu-Tenant`, so a shop of one tenant cannot read another tenant's API."""

from __future__ import annotations

import time

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kefu.queries.helpcenter import settings_by_tenant_slug
from kefu.web.origins import tenant_allowed_origins

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self' ws: wss:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)
NO_CSP_PATHS: tuple[str, ...] = ()
CORS_PREFIX = "/api/v1/"
CORS_HEADERS = "authorization, content-type, x-kefu-tenant"
CORS_METHODS = "GET, POST, PUT, DELETE, OPTIONS"
ORIGINS_TTL = 30.0


class OriginCache:
    """Tenants' allowed origins, re-read at most every ORIGINS_TTL seconds."""

    def __init__(self) -> None:
        self.loaded_at = -1e9
        self.by_tenant: dict[str, frozenset[str]] = {}

    async def get(self, scope: Scope) -> dict[str, frozenset[str]]:
        if time.monotonic() - self.loaded_at > ORIGINS_TTL:
            kefu = scope["app"].state.kefu
            rows = await settings_by_tenant_slug(kefu)
            self.by_tenant = {slug: tenant_allowed_origins(s) for slug, s in rows}
            self.loaded_at = time.monotonic()
        return self.by_tenant

    def forget(self) -> None:
        self.loaded_at = -1e9


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.origins = OriginCache()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        request_headers = Headers(scope=scope)
        origin = request_headers.get("origin")
        cors_origin: str | None = None
        if origin and path.startswith(CORS_PREFIX):
            by_tenant = await self.origins.get(scope)
            wanted = origin.lower()
            if scope["method"] == "OPTIONS" and request_headers.get(
                "access-control-request-method"
            ):
                if any(wanted in allowed for allowed in by_tenant.values()):
                    await _preflight(send, origin)
                    return
            else:
                tenant = request_headers.get("x-kefu-tenant", "")
                if wanted in by_tenant.get(tenant, frozenset()):
                    cors_origin = origin

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra: list[tuple[bytes, bytes]] = [(b"x-content-type-options", b"nosniff")]
                content_type = dict(headers).get(b"content-type", b"")
                if content_type.startswith(b"text/html"):
                    extra += [
                        (b"x-frame-options", b"DENY"),
                        (b"referrer-policy", b"same-origin"),
                    ]
                    if not path.startswith(NO_CSP_PATHS):
                        extra.append((b"content-security-policy", CSP.encode()))
                if cors_origin is not None:
                    extra += [
                        (b"access-control-allow-origin", cors_origin.encode()),
                        (b"vary", b"Origin"),
                    ]
                headers += [(k, v) for k, v in extra if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


async def _preflight(send: Send, origin: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 204,
            "headers": [
                (b"access-control-allow-origin", origin.encode()),
                (b"access-control-allow-methods", CORS_METHODS.encode()),
                (b"access-control-allow-headers", CORS_HEADERS.encode()),
                (b"access-control-max-age", b"600"),
                (b"vary", b"Origin"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})
