"""The SQLite writer's connection: what may wait runs in a thread, the rest inline.

The group-commit writer (group_commit.py) opens every batch with `BEGIN IMMEDIATE`.
That statement is the only one that can wait for another process (the write lock, up
to busy_timeout). It is first tried inline with the busy handler off: when nobody else
holds the lock (nearly always) it takes it in microseconds; when another process holds
it, SQLite answers SQLITE_BUSY at once and the statement is run again in a worker thread
with the busy timeout, where the wait cannot stall the event loop. COMMIT runs in the
thread: with `synchronous=FULL` it fsyncs; with NORMAL it is quick, but while it runs
the loop reads the sockets and the next batch fills up (measured: committing inline
left batches of one under load and doubled the CPU per message). WAL checkpoints run
in the thread too.

Between BEGIN IMMEDIATE and COMMIT this connection holds the write lock: its statements
cannot wait for anybody. They are the small, indexed statements of a use case (a SELECT
by key, an UPDATE of one row, an INSERT), a few microseconds each against the page
cache, and they run inline on the event loop. A thread hop per statement (what aiosqlite
does) costs 0.1 ms on an idle machine and several ms on a loaded one, where every hop
waits for the scheduler to run the thread and then the loop again (docs/write-path.md
has the figures).

Handed to SQLAlchemy's aiosqlite dialect through the public `async_creator` hook; it
offers the part of aiosqlite's connection API that dialect calls (including the
`_connection` attribute its adapter tests before commit and rollback)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable
from typing import Any

CHECKPOINT_EVERY = 100  # commits between two PASSIVE checkpoints (in the thread)


def _is_begin(sql: str) -> bool:
    return sql.lstrip()[:5].upper() == "BEGIN"


def _is_commit(sql: str) -> bool:
    return sql.lstrip()[:6].upper() in ("COMMIT", "END")


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY


class WriterCursor:
    def __init__(self, cursor: sqlite3.Cursor, connection: WriterConnection) -> None:
        self._cursor = cursor
        self._owner = connection

    async def __aenter__(self) -> WriterCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Any = ()) -> WriterCursor:
        if _is_begin(sql):
            await self._owner.begin(self._cursor, sql)
        elif _is_commit(sql):
            await self._owner.commit_with(self._cursor.execute, sql, parameters)
        else:
            # inside the held write lock (ROLLBACK [TO SAVEPOINT] included: no I/O wait)
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> WriterCursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size) if size is not None else self._cursor.fetchmany()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class WriterConnection:
    """One sqlite3 connection in autocommit mode (`isolation_level=None`): transactions
    are the explicit BEGIN IMMEDIATE / SAVEPOINT / COMMIT the writer issues."""

    def __init__(self, conn: sqlite3.Connection, *, busy_ms: int) -> None:
        self._conn = conn
        self._connection: sqlite3.Connection | None = conn
        self._commits = 0
        self._busy_ms = busy_ms
        self._busy_handler_on = True  # the connect hook set busy_timeout
        self.begins_waited = 0  # BEGINs that found the lock taken and waited in the thread

    def cursor(self) -> WriterCursor:
        return WriterCursor(self._conn.cursor(), self)

    async def execute(self, sql: str, parameters: Any = ()) -> WriterCursor:
        return await self.cursor().execute(sql, parameters)

    async def begin(self, cursor: sqlite3.Cursor, sql: str) -> None:
        """Take the write lock: at once inline if it is free, else wait in the thread."""
        if self._busy_handler_on:  # inline, SQLite must answer at once
            self._conn.execute("PRAGMA busy_timeout=0")
            self._busy_handler_on = False
        try:
            cursor.execute(sql)
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
        self.begins_waited += 1
        await asyncio.to_thread(self._begin_waiting, cursor, sql)

    def _begin_waiting(self, cursor: sqlite3.Cursor, sql: str) -> None:
        self._conn.execute(f"PRAGMA busy_timeout={self._busy_ms}")
        self._busy_handler_on = True
        cursor.execute(sql)

    async def commit_with(self, run: Any, *args: Any) -> None:
        await asyncio.to_thread(run, *args)  # fsync with FULL; lets the next batch fill
        self._commits += 1
        if self._commits % CHECKPOINT_EVERY == 0:
            # automatic checkpoints are off on this connection (they would copy pages
            # and fsync inside a COMMIT); this one runs in the thread, after the lock
            await asyncio.to_thread(self._checkpoint)

    async def commit(self) -> None:
        await self.commit_with(self._conn.commit)

    def _checkpoint(self) -> None:
        self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def rollback(self) -> None:
        # no I/O to wait for: WAL pages of the rolled-back transaction are dropped
        # (and when no transaction is open, as at a pool check-in, it does nothing)
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            await asyncio.to_thread(self._conn.close)

    def stop(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    async def create_function(self, *args: Any, **kw: Any) -> None:
        self._conn.create_function(*args, **kw)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        self._conn.isolation_level = value


def writer_connector(path: str, *, busy_timeout_ms: int) -> Any:
    """The `async_creator` for the writer engine."""

    async def connect() -> WriterConnection:
        def open_connection() -> sqlite3.Connection:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA wal_autocheckpoint=0")
            return conn

        return WriterConnection(
            await asyncio.to_thread(open_connection),
            busy_ms=busy_timeout_ms,
        )

    return connect
