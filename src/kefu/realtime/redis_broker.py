"""Redis pub/sub behind the Broker interface, for N app processes.

Local fan-out first: `publish` hands the message to this process's subscribers at once
and queues it for Redis; a background task sends the queue to Redis (pipelined), and
the listener drops what comes back from this process. So same-process delivery never
waits for Redis: while Redis is down or stalled, sockets of this process keep getting
their events, and only the other processes wait.

One pub/sub connection per process, subscribed to the channels that have local
subscribers, fans messages from other processes out locally. When Redis goes away the
listener reconnects with backoff, subscribes again and sends every local subscriber a
`resync` wake-up: whatever was published meanwhile is read from the database, which is
the truth. A new subscription does not wait for Redis either: once Redis confirms it,
the subscriber gets a `resync` and re-reads from its last seq, so an event another
process published in between is not lost. Publish failures are logged, never raised to
the writer."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from kefu.realtime.broker import InProcessBroker

log = logging.getLogger("kefu.realtime.redis")

CONTROL_CHANNEL = "kefu:broker:control"  # keeps the listener subscribed to something
RESYNC: dict[str, Any] = {"type": "resync"}
ORIGIN_KEY = "_process"  # which broker published a message (dropped on the way back)


class RedisBroker:
    def __init__(
        self,
        url: str,
        *,
        queue_size: int = 256,
        max_backoff: float = 5.0,
        outbox_size: int = 10_000,
        publish_timeout: float = 1.0,
    ) -> None:
        self._url = url
        self._local = InProcessBroker(queue_size)
        self._origin = secrets.token_hex(8)
        self._publish_timeout = publish_timeout
        self._outbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue(outbox_size)
        self._sender: asyncio.Task[None] | None = None
        self.dropped = 0  # messages that never reached Redis (outbox full)
        self._max_backoff = max_backoff
        self._publisher: aioredis.Redis | None = None
        self._listener_client: aioredis.Redis | None = None
        self._pubsub: PubSub | None = None
        self._listener: asyncio.Task[None] | None = None
        self._commands = asyncio.Lock()  # (un)subscribe commands, in order
        self._generation = 0
        self._closed = False
        self.reconnects = 0

    async def _start(self) -> None:
        if self._listener is None:
            no_retry = Retry(NoBackoff(), 0)
            self._publisher = aioredis.Redis.from_url(self._url, retry=no_retry)
            self._listener_client = aioredis.Redis.from_url(
                self._url, retry=no_retry, health_check_interval=0
            )
            self._listener = asyncio.create_task(self._listen(), name="kefu-redis-listener")
            self._sender = asyncio.create_task(self._send_outbox(), name="kefu-redis-sender")

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        """Never waits for Redis: local subscribers get it now, other processes later."""
        await self._start()
        self._local.deliver(channel, message)
        wire = json.dumps({**message, ORIGIN_KEY: self._origin}, ensure_ascii=False)
        if self._outbox.full():
            # Redis has been away long enough to fill the outbox: the oldest wake-up is
            # dropped; the other processes' clients catch up from the database by seq
            with contextlib.suppress(asyncio.QueueEmpty):
                self._outbox.get_nowait()
                self.dropped += 1
        self._outbox.put_nowait((channel, wire))

    async def _send_outbox(self) -> None:
        while True:
            batch = [await self._outbox.get()]
            while not self._outbox.empty() and len(batch) < 500:
                batch.append(self._outbox.get_nowait())
            assert self._publisher is not None
            try:
                async with asyncio.timeout(self._publish_timeout):
                    async with self._publisher.pipeline(transaction=False) as pipe:
                        for channel, wire in batch:
                            pipe.publish(channel, wire)
                        await pipe.execute()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is the truth; subscribers catch up by seq
                self.dropped += len(batch)
                log.warning("redis publish failed", extra={"messages": len(batch)})

    @asynccontextmanager
    async def subscribe(self, *channels: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        """Yields at once (local delivery needs nothing else); the Redis subscription
        is made in the background and its confirmation wakes the queue with a resync."""
        await self._start()
        confirming: list[asyncio.Task[None]] = []
        try:
            async with self._local.subscribe(*channels) as queue:
                for channel in channels:
                    if self._local.subscriber_count(channel) == 1:
                        confirming.append(asyncio.create_task(self._redis_subscribe(channel)))
                yield queue
        finally:
            for task in confirming:
                task.cancel()
            async with self._commands:
                gone = [c for c in channels if self._local.subscriber_count(c) == 0]
                if gone and self._pubsub is not None:
                    with contextlib.suppress(Exception):
                        async with asyncio.timeout(self._publish_timeout):
                            await self._pubsub.unsubscribe(*gone)

    async def _redis_subscribe(self, channel: str) -> None:
        async with self._commands:
            if self._pubsub is not None and self._local.subscriber_count(channel) > 0:
                try:
                    async with asyncio.timeout(self._publish_timeout):
                        await self._pubsub.subscribe(channel)
                except Exception:  # the reconnect subscribes again and resyncs
                    log.warning("redis subscribe failed", extra={"channel": channel})

    async def _listen(self) -> None:
        delay = 0.05
        while not self._closed:
            assert self._listener_client is not None
            pubsub = self._listener_client.pubsub()
            try:
                self._generation += 1
                resync = self._generation > 1
                async with self._commands:
                    await pubsub.subscribe(CONTROL_CHANNEL, *self._local.channels())
                    self._pubsub = pubsub
                if resync:
                    self.reconnects += 1
                    log.info("redis pub/sub reconnected", extra={"reconnects": self.reconnects})
                async for raw in pubsub.listen():
                    delay = 0.05
                    self._dispatch(raw)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("redis pub/sub lost, reconnecting: %s", exc)
            finally:
                self._pubsub = None
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_backoff)

    def _dispatch(self, raw: dict[str, Any]) -> None:
        kind = raw.get("type")
        channel = raw.get("channel")
        if isinstance(channel, bytes):
            channel = channel.decode()
        if not isinstance(channel, str) or channel == CONTROL_CHANNEL:
            return
        if kind == "message":
            try:
                message = json.loads(raw["data"])
            except (ValueError, TypeError):
                log.warning("bad broker message", extra={"channel": channel})
                return
            if isinstance(message, dict) and message.pop(ORIGIN_KEY, None) != self._origin:
                self._local.deliver(channel, message)
        elif kind == "subscribe":
            # confirmed (first time or after a reconnect): re-read what may have been
            # published by other processes before Redis had the subscription
            self._local.deliver(channel, RESYNC)

    async def close(self) -> None:
        self._closed = True
        for task in (self._listener, self._sender):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        for client in (self._publisher, self._listener_client):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.aclose()
        await self._local.close()
