"""/healthz and /metrics."""

from __future__ import annotations

import hmac
import time

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kefu.queries.health import database_error
from kefu.settings import is_loopback
from kefu.web.client_address import client_address
from kefu.web.deps import KefuDep

router = APIRouter(tags=["operations"])


class Metrics:
    """One registry per app, so several apps in one process (tests) don't collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "kefu_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "kefu_http_request_seconds", "HTTP request latency", ["route"], registry=self.registry
        )
        self.events = Counter(
            "kefu_timeline_events_total", "Timeline events published", registry=self.registry
        )


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            self.metrics.requests.labels(scope["method"], path, str(status)).inc()
            self.metrics.latency.labels(path).observe(time.perf_counter() - start)


@router.get("/healthz")
async def healthz(kefu: KefuDep) -> JSONResponse:
    error = await database_error(kefu.db)
    if error is not None:
        return JSONResponse(
            {"status": "error", "database": "unreachable", "detail": error}, status_code=503
        )
    return JSONResponse({"status": "ok", "database": "ok"})


def metrics_allowed(request: Request) -> bool:
    """/metrics answers a bearer KEFU_METRICS_TOKEN, or (without one) loopback clients."""
    token = request.app.state.kefu.settings.metrics_token
    if token:
        sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(sent.encode(), token.encode())
    return is_loopback(client_address(request))


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    if not metrics_allowed(request):
        return JSONResponse(
            {
                "error": {
                    "code": "metrics_forbidden",
                    "message": "指标只对本机或持有指标令牌的请求开放",
                    "message_en": "metrics need KEFU_METRICS_TOKEN or a loopback client",
                }
            },
            status_code=403,
        )
    m: Metrics = request.app.state.metrics
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
