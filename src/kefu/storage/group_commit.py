"""Group commit for SQLite: one writer connection, many write transactions per COMMIT.

SQLite has one writer per database file. Callers of `Database.write()` queue up here;
a single writer task per event loop opens ONE database transaction (`BEGIN IMMEDIATE`,
which waits for another process's write lock in the driver's thread, never on the event
loop) and lets the queued callers in one at a time. Each caller gets its own session
bound to that connection inside a SAVEPOINT (`join_transaction_mode="create_savepoint"`):
a body that fails rolls back only its savepoint; the others are unaffected. When the
queue is empty (or `max_batch` callers have run) the writer COMMITs once and
acknowledges every caller whose body succeeded; only then does their `write()` return.

So an acknowledged write is committed. With WAL and `synchronous=NORMAL` it survives a
crash of the process (the WAL is in the OS's buffers) but the last batches may be lost
on power loss; with `synchronous=FULL` the WAL is fsynced at every COMMIT, i.e. once per
batch, and an acknowledged write survives power loss (docs/write-path.md).

Bodies still run one at a time, so the per-conversation `seq` allocation and the
`client_msg_id` duplicate check see every earlier body of the batch (same connection,
same transaction): seq stays gapless and resends stay idempotent."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

log = logging.getLogger("kefu.storage.group_commit")


@dataclass(eq=False)
class _Turn:
    """One caller's place in the queue."""

    granted: asyncio.Future[AsyncConnection]
    finished: asyncio.Future[bool]
    committed: asyncio.Future[None]


@dataclass
class BatchStats:
    """Counters for tests and benchmarks: how many COMMITs carried how many writes."""

    batches: int = 0
    committed_writes: int = 0
    failed_writes: int = 0
    largest_batch: int = 0
    sizes: collections.Counter[int] = field(default_factory=collections.Counter)


class GroupCommitWriter:
    def __init__(self, engine: AsyncEngine, *, max_batch: int = 64) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._queue: collections.deque[_Turn] = collections.deque()
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.stats = BatchStats()

    def _ensure_running(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._loop is not loop:
            # a new event loop (tests, CLI commands): the old one's task is gone with it
            self._loop = loop
            self._wake = asyncio.Event()
            self._queue = collections.deque()
            self._task = loop.create_task(self._run(), name="kefu-group-commit")
        assert self._wake is not None
        return self._wake

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Yields a session whose work commits (with its batch) when the block exits
        without an error; an error rolls back this block's savepoint only."""
        loop = asyncio.get_running_loop()
        turn = _Turn(loop.create_future(), loop.create_future(), loop.create_future())
        wake = self._ensure_running()
        self._queue.append(turn)
        wake.set()
        try:
            connection = await turn.granted
        except asyncio.CancelledError:
            turn.granted.cancel()  # the writer skips a turn whose caller went away
            raise
        ok = False
        try:
            session = AsyncSession(
                bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
            )
            async with session, session.begin():
                yield session
            ok = True
        finally:
            if not turn.finished.done():
                turn.finished.set_result(ok)
        await asyncio.shield(turn.committed)

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            await self._batch()

    async def _batch(self) -> None:
        members: list[_Turn] = []
        try:
            async with self._engine.connect() as connection:
                await connection.begin()  # BEGIN IMMEDIATE (Database's "begin" hook)
                while self._queue and len(members) < self._max_batch:
                    turn = self._queue.popleft()
                    if turn.granted.done():  # cancelled while waiting
                        continue
                    turn.granted.set_result(connection)
                    if await turn.finished:
                        members.append(turn)
                    else:
                        self.stats.failed_writes += 1
                    if not self._queue:
                        # callers that became ready while this body ran are queued by
                        # now; one more pass of the loop lets just-woken ones join too
                        await asyncio.sleep(0)
                if members:
                    await connection.commit()
                else:
                    await connection.rollback()
        except BaseException as exc:
            # BEGIN or COMMIT failed (e.g. another process kept the write lock past
            # busy_timeout): nobody in this batch is committed
            waiting = [t for t in self._queue if not t.granted.done()] if not members else []
            for turn in members:
                if not turn.committed.done():
                    turn.committed.set_exception(_for_waiter(exc))
            for turn in waiting[:1]:
                # the first waiter gets the error so a broken BEGIN cannot spin forever
                self._queue.remove(turn)
                turn.granted.set_exception(_for_waiter(exc))
            if isinstance(exc, asyncio.CancelledError):
                raise
            log.warning("group commit batch failed: %s", exc)
            return
        self.stats.batches += 1
        self.stats.committed_writes += len(members)
        self.stats.sizes[len(members)] += 1
        self.stats.largest_batch = max(self.stats.largest_batch, len(members))
        for turn in members:
            if not turn.committed.done():
                turn.committed.set_result(None)

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._task = None


def _for_waiter(exc: BaseException) -> BaseException:
    """What a waiting caller raises: the batch's error, or a plain error when the writer
    itself was cancelled (a caller must not see someone else's cancellation)."""
    if isinstance(exc, asyncio.CancelledError):
        return RuntimeError("the database writer was stopped")
    return exc
