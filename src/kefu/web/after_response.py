"""ASGI middleware: follow-ups that talk to a slow third party (SMTP) run after the HTTP
response has been sent, so an agent's reply on an e-mail ticket returns at commit.

The job row was written in the request's transaction (actions/outbox.py); this only
moves *when* the fast path runs it: once the inner app has sent the whole response,
still in this process. A crash in between leaves the row pending for the job runner.
WebSockets and background work are untouched (they run the fast path after commit)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from kefu.actions.outbox import jobs_after_response


class AfterResponse:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kefu = getattr(scope["app"].state, "kefu", None) if "app" in scope else None
        if scope["type"] != "http" or kefu is None:
            await self.app(scope, receive, send)
            return
        async with jobs_after_response(kefu):
            await self.app(scope, receive, send)
