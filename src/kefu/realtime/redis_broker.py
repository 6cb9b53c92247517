"""Redis pub/sub behind the Broker interface, for N app processes.

One pub/sub connection per process, subscribed to the channels that have local
subscribers, fans messages out locally. When Redis goes away the listener reconnects
with backoff, subscribes again and sends every local subscriber a `resync` wake-up:
whatever was published meanwhile is read from the database, which is the truth.
Publish failures are logged, never raised to the writer."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
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


class RedisBroker:
    def __init__(
        self,
        url: str,
        *,
        queue_size: int = 256,
        confirm_timeout: float = 5.0,
        max_backoff: float = 5.0,
    ) -> None:
        self._url = url
        self._local = InProcessBroker(queue_size)
        self._confirm_timeout = confirm_timeout
        self._max_backoff = max_backoff
        self._publisher: aioredis.Redis | None = None
        self._listener_client: aioredis.Redis | None = None
        self._pubsub: PubSub | None = None
        self._listener: asyncio.Task[None] | None = None
        self._pending: dict[str, asyncio.Future[None]] = {}
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

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        await self._start()
        assert self._publisher is not None
        try:
            await self._publisher.publish(channel, json.dumps(message, ensure_ascii=False))
        except Exception:  # the database is the truth; subscribers catch up by seq
            log.warning("redis publish failed", extra={"channel": channel}, exc_info=True)

    @asynccontextmanager
    async def subscribe(self, *channels: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        """Yields once Redis has confirmed the subscription (or after confirm_timeout
        when Redis is down: the reconnect then sends a resync wake-up)."""
        await self._start()
        try:
            async with self._local.subscribe(*channels) as queue:
                waits = [self._confirmation(channel) for channel in channels]
                try:
                    async with asyncio.timeout(self._confirm_timeout):
                        await asyncio.gather(*waits)
                except Exception:
                    log.warning("redis subscribe not confirmed", extra={"channels": channels})
                yield queue
        finally:
            async with self._commands:
                gone = [c for c in channels if self._local.subscriber_count(c) == 0]
                if gone and self._pubsub is not None:
                    with contextlib.suppress(Exception):
                        await self._pubsub.unsubscribe(*gone)

    async def _confirmation(self, channel: str) -> None:
        pending = self._pending.get(channel)
        if pending is None:
            if self._local.subscriber_count(channel) > 1:
                return  # already subscribed for another local subscriber
            pending = asyncio.get_running_loop().create_future()
            self._pending[channel] = pending
            async with self._commands:
                if self._pubsub is not None:
                    try:
                        await self._pubsub.subscribe(channel)
                    except Exception:
                        log.warning("redis subscribe failed", extra={"channel": channel})
        await asyncio.shield(pending)

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
                    self._dispatch(raw, resync)
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

    def _dispatch(self, raw: dict[str, Any], resync: bool) -> None:
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
            if isinstance(message, dict):
                self._local.deliver(channel, message)
        elif kind == "subscribe":
            pending = self._pending.pop(channel, None)
            if pending is not None and not pending.done():
                pending.set_result(None)
            if resync:
                self._local.deliver(channel, RESYNC)

    async def close(self) -> None:
        self._closed = True
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        for client in (self._publisher, self._listener_client):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.aclose()
        await self._local.close()
