"""The ASGI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from kefu import __version__
from kefu.actions.bot_turns import warm_bot
from kefu.actions.context import Kefu
from kefu.clock import Clock, SystemClock
from kefu.jobs.runner import start_background
from kefu.realtime import make_broker
from kefu.realtime.broker import Broker
from kefu.settings import Settings, get_settings
from kefu.storage.database import Database
from kefu.subscribers import default_subscribers
from kefu.web import (
    admin,
    admin_staff,
    admin_tokens,
    admin_webhooks,
    api_docs,
    console,
    console_callbacks,
    console_password,
    help_verify,
    helpcenter,
    ops,
    status_page,
    supervisor,
    widget,
    ws,
)
from kefu.web import reports as reports_page
from kefu.web.after_response import AfterResponse
from kefu.web.api import (
    conversations,
    knowledge,
    order_hooks,
    passwords,
    people,
    queue,
    reports,
    sessions,
    tenant_settings,
    tickets,
    vocabulary,
    webhooks,
    wechat,
)
from kefu.web.api import widget as widget_api
from kefu.web.errors import install_error_handlers
from kefu.web.limits import BodySizeLimit
from kefu.web.security_headers import SecurityHeaders
from kefu.web.templating import STATIC_DIR

log = logging.getLogger("kefu")


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    broker: Broker | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(
            settings.database_url,
            sqlite_synchronous=settings.sqlite_synchronous,
            sqlite_writer=settings.sqlite_writer,
        )
        used_broker = broker or make_broker(settings)
        kefu = Kefu(
            settings=settings,
            db=db,
            broker=used_broker,
            clock=clock,
            subscribers=default_subscribers(),
        )
        app.state.kefu = kefu
        if settings.gc_thresholds is not None:
            gc.set_threshold(*settings.gc_thresholds)
        # the bot's model is loaded (trained on a fresh install) and warmed before the
        # server takes requests, not on the first customer's message
        await warm_bot()
        tasks = start_background(kefu) if settings.run_scheduler else []
        log.info("kefu started", extra={"database": db.engine.url.get_backend_name()})
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await used_broker.close()
            await db.dispose()

    app = FastAPI(
        title="kefu 客服 API",
        version=__version__,
        description="客服平台接口 / customer-service platform API. "
        'Errors: `{"error": {"code", "message" (zh-CN), "message_en"}}`.',
        lifespan=lifespan,
        docs_url=None,  # web/api_docs.py serves /docs offline
        redoc_url=None,
    )
    metrics = ops.Metrics()
    app.state.metrics = metrics
    install_error_handlers(app)
    app.include_router(ops.router)
    app.include_router(sessions.router)
    app.include_router(passwords.router)
    app.include_router(conversations.router)
    app.include_router(people.router)
    app.include_router(order_hooks.router)
    app.include_router(widget_api.router)
    app.include_router(knowledge.router)
    app.include_router(queue.router)
    app.include_router(reports.router)
    app.include_router(reports_page.router)
    app.include_router(status_page.api_router)
    app.include_router(status_page.page_router)
    app.include_router(supervisor.router)
    app.include_router(tickets.router)
    app.include_router(vocabulary.router)
    app.include_router(tenant_settings.router)
    app.include_router(wechat.router)
    app.include_router(webhooks.router)
    app.include_router(ws.router)
    app.include_router(widget.router)
    app.include_router(console.router)
    app.include_router(admin.router)
    app.include_router(admin_staff.router)
    app.include_router(admin_tokens.router)
    app.include_router(admin_webhooks.router)
    app.include_router(api_docs.router)
    app.include_router(console_password.router)
    app.include_router(console_callbacks.router)
    app.include_router(help_verify.router)
    app.include_router(helpcenter.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.add_middleware(SecurityHeaders)
    app.add_middleware(ops.MetricsMiddleware, metrics=metrics)
    app.add_middleware(BodySizeLimit, max_bytes=settings.request_max_bytes)
    app.add_middleware(AfterResponse)  # outermost: runs once the response is out
    return app
