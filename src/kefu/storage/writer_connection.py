"""The SQLite writer's connection: what may wait runs in a thread, the rest inline.

The group-commit writer (group_commit.py) opens every batch with `BEGIN IMMEDIATE`.
That statement is the only one that can wait for another process (the write lock,
up to busy_timeout), so it runs in a worker thread, as do COMMIT and ROLLBACK (with
`synchronous=FULL` a COMMIT fsyncs) and the WAL checkpoints. Between BEGIN IMMEDIATE and
COMMIT this connection holds the write lock: its statements cannot wait for anybody.
They are the small, indexed statements of a use case (a SELECT by key, an UPDATE of
one row, an INSERT), a few microseconds each against the page cache, and they run inline
on the event loop — a thread hop per statement (what aiosqlite does) costs 0.1 ms on an
idle machine and several ms on a loaded one, and a chat message is ~8 statements in a
chain that the single writer cannot overlap (docs/write-path.md has the figures).

Handed to SQLAlchemy's aiosqlite dialect through the public `async_creator` hook; it
offers the part of aiosqlite's connection API that dialect calls (including the
`_connection` attribute its adapter tests before commit and rollback)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable
from typing import Any

WAITING_STATEMENTS = ("BEGIN", "COMMIT", "END", "ROLLBACK")
CHECKPOINT_PAGES = 1000  # SQLite's own default for wal_autocheckpoint


def _may_wait(sql: str) -> bool:
    head = sql.lstrip()[:9].upper()
    # "ROLLBACK TO SAVEPOINT x" is a savepoint step, inside the held lock
    return head.startswith(WAITING_STATEMENTS) and not head.startswith("ROLLBACK T")


class WriterCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> WriterCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Any = ()) -> WriterCursor:
        if _may_wait(sql):
            await asyncio.to_thread(self._cursor.execute, sql, parameters)
        else:
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

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._connection: sqlite3.Connection | None = conn
        self._commits = 0

    def cursor(self) -> WriterCursor:
        return WriterCursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> WriterCursor:
        return await WriterCursor(self._conn.cursor()).execute(sql, parameters)

    async def commit(self) -> None:
        await asyncio.to_thread(self._conn.commit)
        self._commits += 1
        if self._commits % 100 == 0:
            # automatic checkpoints are off on this connection (they would copy pages
            # and fsync inside a COMMIT); this one runs in the thread, after the lock
            await asyncio.to_thread(self._checkpoint)

    def _checkpoint(self) -> None:
        self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def rollback(self) -> None:
        await asyncio.to_thread(self._conn.rollback)

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


def writer_connector(path: str) -> Any:
    """The `async_creator` for the writer engine."""

    async def connect() -> WriterConnection:
        def open_connection() -> sqlite3.Connection:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA wal_autocheckpoint=0")
            return conn

        return WriterConnection(await asyncio.to_thread(open_connection))

    return connect
