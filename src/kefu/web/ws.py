"""GET /ws: the live chat socket (docs/protocol.md)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from kefu.actions.context import Kefu
from kefu.errors import KefuError, Unauthorized
from kefu.web.live import frames
from kefu.web.live.config import RealtimeSettings
from kefu.web.live.connection import LiveConnection
from kefu.web.live.handshake import Identity, as_unauthorized, describe, identify

router = APIRouter()

CLOSE_UNAUTHORIZED = 4401


def realtime_settings(ws: WebSocket) -> RealtimeSettings:
    config = getattr(ws.app.state, "realtime", None)
    if not isinstance(config, RealtimeSettings):
        config = RealtimeSettings()
        ws.app.state.realtime = config
    return config


async def _hello(kefu: Kefu, config: RealtimeSettings, ws: WebSocket) -> Identity:
    try:
        async with asyncio.timeout(config.hello_timeout_seconds):
            text = await ws.receive_text()
    except TimeoutError:
        raise Unauthorized("未在规定时间内完成认证", "no hello in time") from None
    try:
        frame = frames.parse_client_frame(text)
    except KefuError:
        raise Unauthorized("第一条消息必须是 hello", "the first frame must be hello") from None
    if not isinstance(frame, frames.Hello):
        raise Unauthorized("第一条消息必须是 hello", "the first frame must be hello")
    try:
        return await identify(kefu, frame.token, ws.cookies, ws.headers)
    except KefuError as exc:
        raise as_unauthorized(exc) from None


@router.websocket("/ws")
async def live_socket(ws: WebSocket) -> None:
    kefu: Kefu = ws.app.state.kefu
    config = realtime_settings(ws)
    await ws.accept()
    try:
        identity = await _hello(kefu, config, ws)
    except KefuError as err:
        with contextlib.suppress(Exception):
            await ws.send_text(frames.error_frame(err))
            await ws.close(CLOSE_UNAUTHORIZED)
        return
    except WebSocketDisconnect:
        return
    welcome = {
        "type": "welcome",
        "actor": describe(identity.actor),
        "name": identity.name,
        "heartbeat_seconds": config.heartbeat_seconds,
        "server_time": kefu.clock.now().astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }
    try:
        await ws.send_text(frames.dumps(welcome))
    except Exception:
        return
    await LiveConnection(kefu, config, ws, identity).run()
