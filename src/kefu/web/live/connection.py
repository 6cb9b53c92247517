"""One live connection: a reader, a writer behind a bounded queue, a heartbeat, and one
pump per subscription. Wake-ups carry the committed event and are sent while their seqs
are contiguous; on a gap the pump reads the database from the last seq sent, so nothing
is lost, reordered or sent twice.

Memory per connection is bounded: `send_queue_size` frames in `out`, plus the server's
transport buffer, which uvicorn keeps near its high-water mark (64 KiB) because a send
waits while the transport is paused. A client that does not read fills both; the pumps
then wait in `enqueue` and, after `slow_consumer_seconds`, the connection is closed
(4413) and everything not yet written is dropped: the client resumes from its seq."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import Any

from starlette.websockets import WebSocket

from kefu.actions import console_presence
from kefu.actions import conversations as conv_actions
from kefu.actions.access import access_conversation_by_public_id
from kefu.actions.context import ActorKind, Kefu
from kefu.actions.read_marks import do_mark_read, reader_side
from kefu.errors import Forbidden, KefuError, RateLimited
from kefu.queries.live_timeline import events_after
from kefu.realtime.broker import conversation_channel, tenant_channel
from kefu.web.live import frames
from kefu.web.live.config import RealtimeSettings
from kefu.web.live.handshake import Identity
from kefu.web.live.rate_limit import TokenBucket

log = logging.getLogger("kefu.web.live")

CLOSE_HEARTBEAT = 4408
CLOSE_RATE_LIMIT = 4429
CLOSE_SLOW_CONSUMER = 4413
TENANT_KEY = "__tenant__"
_PRIVATE_KEYS = frozenset({"channel", "origin", "internal"})


class ConnectionGone(Exception):
    """Raised inside a task once the connection is being closed."""


class LiveConnection:
    def __init__(
        self, kefu: Kefu, config: RealtimeSettings, ws: WebSocket, identity: Identity
    ) -> None:
        self.kefu = kefu
        self.config = config
        self.ws = ws
        self.actor = identity.actor
        self.name = identity.name
        self.id = secrets.token_hex(8)
        self.out: asyncio.Queue[str] = asyncio.Queue(config.send_queue_size)
        self.pumps: dict[str, asyncio.Task[None]] = {}
        self.close_code: int | None = None
        self.close_frame: str | None = None
        self.closing = asyncio.Event()
        loop = asyncio.get_running_loop()
        self._now = loop.time
        self.last_seen = self._now()
        self.last_ping = self.last_seen
        self.bucket = TokenBucket(config.rate_per_second, config.rate_burst)

    # -- life cycle -------------------------------------------------------------------

    async def run(self) -> None:
        await self._presence(console_presence.do_open_console)
        try:
            await self._run()
        finally:
            await self._presence_closed()

    async def _presence(self, step: Any) -> None:
        """The console lease of a staff connection (docs/presence.md); a failure is
        logged, never fatal for the socket (the lease then runs out on its own)."""
        try:
            await step(self.kefu, self.actor, self.id, self.config.heartbeat_seconds)
        except Exception:
            log.exception("console lease failed", extra={"connection": self.id})

    async def _presence_closed(self) -> None:
        try:
            # shielded: a server shutting down cancels us, the lease must still go
            await asyncio.shield(console_presence.do_close_console(self.kefu, self.actor, self.id))
        except Exception:
            log.exception("console lease close failed", extra={"connection": self.id})

    async def _run(self) -> None:
        tasks = [
            asyncio.create_task(self._read_loop()),
            asyncio.create_task(self._write_loop()),
            asyncio.create_task(self._heartbeat()),
            asyncio.create_task(self.closing.wait()),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            # cancelling the writer cannot cut a frame: uvicorn's send waits for the
            # transport to be writable and then writes the whole frame without awaiting
            everything = tasks + list(self.pumps.values())
            for task in everything:
                task.cancel()
            await asyncio.gather(*everything, return_exceptions=True)
        if self.close_code is not None:
            await self._close()

    async def _close(self) -> None:
        """The close frame waits behind what the client has not read yet; a client that
        stays stalled for `close_timeout_seconds` is not waited for: the ASGI app ends and
        the socket is closed without a close frame (the client sees 1006)."""
        assert self.close_code is not None
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self.config.close_timeout_seconds):
                if self.close_frame is not None:
                    await self.ws.send_text(self.close_frame)
                await self.ws.close(self.close_code)

    def fail(self, code: int, error: KefuError | None = None, ref: str | None = None) -> None:
        if self.close_code is None:
            self.close_code = code
            self.close_frame = frames.error_frame(error, ref) if error else None
        self.closing.set()

    async def enqueue(self, frame: str) -> None:
        """Bounded: a client that leaves its queue full too long is closed (4413) and
        resumes from its last seq; the server never buffers without limit."""
        if self.closing.is_set():
            raise ConnectionGone
        try:
            self.out.put_nowait(frame)
            return
        except asyncio.QueueFull:
            pass
        try:
            async with asyncio.timeout(self.config.slow_consumer_seconds):
                await self.out.put(frame)
        except TimeoutError:
            log.info("slow consumer closed", extra={"connection": self.id})
            self.fail(CLOSE_SLOW_CONSUMER)
            raise ConnectionGone from None

    async def _write_loop(self) -> None:
        while True:
            frame = await self.out.get()
            await self.ws.send_text(frame)

    async def _heartbeat(self) -> None:
        interval = self.config.heartbeat_seconds
        while True:
            await asyncio.sleep(interval)
            if self.last_seen < self.last_ping:
                self.fail(CLOSE_HEARTBEAT)
                return
            self.last_ping = self._now()
            await self._presence(console_presence.do_renew_console)
            with contextlib.suppress(ConnectionGone):
                await self.enqueue(frames.PING)

    # -- client frames ----------------------------------------------------------------

    async def _read_loop(self) -> None:
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            self.last_seen = self._now()
            text = message.get("text")
            if text is None:
                raw = message.get("bytes") or b""
                text = raw.decode("utf-8", errors="replace")
            if not self.bucket.take():
                err = RateLimited(retry_after=1)
                err.code = "rate_limited"
                err.message_zh = "发送太频繁，连接已断开，请稍后重连"
                err.message_en = "too many frames; reconnect later"
                self.fail(CLOSE_RATE_LIMIT, err, ref=frames.client_msg_id_of(text))
                return
            try:
                await self._handle_text(text)
            except ConnectionGone:
                return

    async def _handle_text(self, text: str) -> None:
        # a refused send names the message it refuses, even when the frame itself is
        # malformed (too long a body, ...): the client stops resending it (read from
        # the text only when there is an error to send)
        try:
            frame = frames.parse_client_frame(text)
            await self._handle(frame)
        except KefuError as err:
            await self.enqueue(frames.error_frame(err, frames.client_msg_id_of(text)))
        except ConnectionGone:
            raise
        except Exception:
            log.exception("live frame failed", extra={"connection": self.id})
            internal = KefuError("internal_error", "服务器内部错误，请稍后重试", "internal error")
            await self.enqueue(frames.error_frame(internal, frames.client_msg_id_of(text)))

    async def _handle(self, frame: frames.ClientFrame) -> None:
        if isinstance(frame, frames.Ping):
            await self.enqueue(frames.PONG)
        elif isinstance(frame, frames.Pong | frames.Hello):
            return
        elif isinstance(frame, frames.Subscribe):
            await self._subscribe(frame.conversation_id, frame.after_seq)
        elif isinstance(frame, frames.Unsubscribe):
            task = self.pumps.pop(frame.conversation_id, None)
            if task is not None:
                task.cancel()
        elif isinstance(frame, frames.SubscribeTenant):
            self._subscribe_tenant()
        elif isinstance(frame, frames.Send):
            await self._send(frame)
        elif isinstance(frame, frames.Typing):
            await self._typing(frame)
        elif isinstance(frame, frames.Read):
            await do_mark_read(self.kefu, self.actor, frame.conversation_id, frame.seq)

    async def _send(self, frame: frames.Send) -> None:
        posted = await conv_actions.do_post_message(
            self.kefu,
            self.actor,
            frame.conversation_id,
            frame.body,
            client_msg_id=frame.client_msg_id,
            attachment_ids=list(frame.attachment_ids),
        )
        ack: dict[str, Any] = {
            "type": "ack",
            "client_msg_id": frame.client_msg_id,
            "conversation_id": posted.conversation.public_id,
            "seq": posted.event.seq,
            "duplicate": posted.duplicate,
        }
        if posted.redacted_kinds:
            ack["redacted"] = posted.redacted_kinds
        await self.enqueue(frames.dumps(ack))

    async def _typing(self, frame: frames.Typing) -> None:
        async with self.kefu.db.read() as session:
            conv = await access_conversation_by_public_id(
                session, self.actor, frame.conversation_id
            )
        message: dict[str, Any] = {
            "type": "typing",
            "conversation_id": conv.public_id,
            "who": reader_side(self.actor),
            "name": self.name,
            "on": frame.on,
            "origin": self.id,
        }
        if frame.internal and not self.actor.is_customer:
            message["internal"] = True
        try:
            await self.kefu.broker.publish(conversation_channel(conv.public_id), message)
        except Exception:  # ephemeral: losing one costs nothing
            log.exception("typing publish failed")

    # -- subscriptions ----------------------------------------------------------------

    def _check_room(self, key: str) -> None:
        if key not in self.pumps and len(self.pumps) >= self.config.max_subscriptions:
            raise KefuError(
                "too_many_subscriptions",
                "订阅的会话太多",
                "too many subscriptions on one connection",
            )

    async def _subscribe(self, public_id: str, after_seq: int) -> None:
        self._check_room(public_id)
        async with self.kefu.db.read() as session:
            conv = await access_conversation_by_public_id(session, self.actor, public_id)
        previous = self.pumps.pop(conv.public_id, None)
        if previous is not None:
            previous.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await previous
        self.pumps[conv.public_id] = asyncio.create_task(
            # a cursor from the future would hide new events: clamp it to the present
            self._pump_conversation(conv.id, conv.public_id, min(after_seq, conv.last_seq))
        )

    def _subscribe_tenant(self) -> None:
        if self.actor.kind not in (ActorKind.STAFF, ActorKind.MACHINE):
            raise Forbidden("仅客服人员可以订阅平台动态", "staff only")
        if TENANT_KEY not in self.pumps:
            self._check_room(TENANT_KEY)
            self.pumps[TENANT_KEY] = asyncio.create_task(self._pump_tenant())

    async def _pump_conversation(self, conv_id: int, public_id: str, after_seq: int) -> None:
        """Subscribe first, then catch up from the database, then follow wake-ups: an
        event committed in between is seen by the read or by a wake-up, and the
        `last` cursor drops whatever was already sent."""
        try:
            async with self.kefu.broker.subscribe(conversation_channel(public_id)) as wakeups:
                last = await self._send_after(conv_id, public_id, after_seq)
                # caught up: every event up to `last_seq` has been sent before this frame
                await self.enqueue(
                    frames.dumps(
                        {"type": "subscribed", "conversation_id": public_id, "last_seq": last}
                    )
                )
                while True:
                    batch = [await wakeups.get()]
                    while not wakeups.empty():
                        batch.append(wakeups.get_nowait())
                    last = await self._deliver(conv_id, public_id, last, batch)
        except ConnectionGone:
            return

    async def _deliver(
        self, conv_id: int, public_id: str, last: int, batch: list[dict[str, Any]]
    ) -> int:
        """Send what the wake-ups carry while their seqs are contiguous; on a gap (a lost
        or reordered notification) read the database from `last` instead."""
        customer = self.actor.is_customer
        events = sorted(
            (m for m in batch if m.get("type") in ("event", "resync")),
            key=lambda m: int(m.get("seq", 0)),
        )
        for message in events:
            seq = int(message.get("seq", 0))
            if message.get("type") == "resync" or "event" not in message:
                return await self._send_after(conv_id, public_id, last)
            if seq <= last:
                continue
            if seq != last + 1:
                return await self._send_after(conv_id, public_id, last)
            if not (customer and message.get("visibility") == "internal"):
                await self.enqueue(
                    frames.event_frame_from_payload(message["event"], for_customer=customer)
                )
            last = seq
        for message in batch:
            if message.get("type") in ("event", "resync"):
                continue
            if message.get("origin") != self.id and not (customer and message.get("internal")):
                clean = {k: v for k, v in message.items() if k not in _PRIVATE_KEYS}
                await self.enqueue(frames.dumps(clean))
        return last

    async def _send_after(self, conv_id: int, public_id: str, last: int) -> int:
        page = self.config.catch_up_page
        while True:
            rows = await events_after(
                self.kefu.db, conv_id, last, public_only=self.actor.is_customer, limit=page
            )
            for event in rows:
                await self.enqueue(
                    frames.event_frame(public_id, event, for_customer=self.actor.is_customer)
                )
                last = event.seq
            if len(rows) < page:
                return last

    async def _pump_tenant(self) -> None:
        try:
            async with self.kefu.broker.subscribe(tenant_channel(self.actor.tenant_id)) as q:
                while True:
                    batch = [await q.get()]
                    while not q.empty():
                        batch.append(q.get_nowait())
                    latest: dict[str, dict[str, Any]] = {}
                    for message in batch:
                        if message.get("type") == "conversation":
                            latest[str(message.get("conversation_id"))] = message
                        elif message.get("type") == "presence":
                            latest[f"presence:{message.get('agent_id')}"] = message
                    for message in latest.values():
                        clean = {k: v for k, v in message.items() if k not in _PRIVATE_KEYS}
                        await self.enqueue(frames.dumps(clean))
        except ConnectionGone:
            return
