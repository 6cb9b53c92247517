"""Engines and transactions: embedded SQLite by default, PostgreSQL when configured.

Nothing that can wait runs on the event loop: SQLite reads go through aiosqlite (each
connection has its own thread), PostgreSQL through psycopg's async driver. On SQLite,
writes go through one group-commit writer (storage/group_commit.py) whose connection
takes the write lock in a thread (storage/writer_connection.py, docs/write-path.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from kefu.storage import writer_dialect
from kefu.storage.group_commit import GroupCommitWriter
from kefu.storage.writer_connection import writer_connector

SqliteSynchronous = Literal["NORMAL", "FULL"]
# "inline": the writer's statements run on the loop while it holds the write lock, the
# waits (BEGIN IMMEDIATE, COMMIT, checkpoints) in a thread; "thread": every writer call
# in aiosqlite's thread (docs/write-path.md compares them)
SqliteWriter = Literal["inline", "thread"]
BUSY_TIMEOUT_MS = 5000


def async_url(url: str) -> str:
    """The driver for the app: aiosqlite for SQLite; psycopg async for PostgreSQL."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return str(u.set(drivername="sqlite+aiosqlite"))
    if u.get_backend_name() == "postgresql":
        return u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def writer_url(url: str) -> str:
    """The SQLite writer's own dialect (BEGIN IMMEDIATE, uncompiled savepoints)."""
    return str(make_url(url).set(drivername=f"sqlite+{writer_dialect.DRIVER}"))


def sync_url(url: str) -> str:
    """The driver for Alembic and the CLI (pysqlite / psycopg)."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return str(u.set(drivername="sqlite"))
    if u.get_backend_name() == "postgresql":
        return u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def ensure_sqlite_dir(url: str) -> None:
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(synchronous: SqliteSynchronous) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL: an acknowledged commit survives a process crash; FULL: power loss too
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # another process holding the write lock (e.g. `kefu mail-in` beside the server):
        # the wait happens in the connection's thread, never on the event loop
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    return on_connect


def _writer_transactions(dbapi_connection: Any, _record: Any) -> None:
    """SQLAlchemy's documented recipe for SAVEPOINT on (aio)sqlite: the driver issues no
    BEGIN of its own; the writer's dialect does (BEGIN IMMEDIATE, storage/writer_dialect.py)."""
    dbapi_connection.isolation_level = None


class Database:
    """Owns the engines. `read()` sessions run in parallel (SQLite WAL: readers never
    wait); `write()` is one transaction, grouped with concurrent ones on SQLite."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        sqlite_synchronous: SqliteSynchronous = "NORMAL",
        sqlite_writer: SqliteWriter = "inline",
        group_commit: bool = True,
        max_batch: int = 64,
    ) -> None:
        ensure_sqlite_dir(url)
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        if not self.is_sqlite:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(async_url(url), **kwargs)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.writer: GroupCommitWriter | None = None
        self._write_engine = self.engine
        if self.is_sqlite:
            pragmas = _sqlite_pragmas(sqlite_synchronous)
            event.listen(self.engine.sync_engine, "connect", pragmas)
            # the single writer connection (SQLite has one writer per file anyway)
            writer_kwargs: dict[str, Any] = {"echo": echo, "pool_size": 1, "max_overflow": 0}
            if sqlite_writer == "inline":
                path = make_url(url).database or ":memory:"
                writer_kwargs["async_creator"] = writer_connector(
                    path, busy_timeout_ms=BUSY_TIMEOUT_MS
                )
            self._write_engine = create_async_engine(writer_url(url), **writer_kwargs)
            event.listen(self._write_engine.sync_engine, "connect", pragmas)
            if sqlite_writer == "thread":
                event.listen(self._write_engine.sync_engine, "connect", _writer_transactions)
            self.writer = GroupCommitWriter(
                self._write_engine, max_batch=max_batch if group_commit else 1
            )

    @property
    def write_engine(self) -> AsyncEngine:
        """The engine writes go through (SQLite: the single writer's; else the pool)."""
        return self._write_engine

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One transaction: on success it has committed when the block returns; any
        error rolls it back (on SQLite: its savepoint within the batch)."""
        if self.writer is not None:
            async with self.writer.transaction() as session:
                yield session
        else:
            # PostgreSQL: writers run in parallel and the server already groups the
            # WAL flushes of concurrent commits (docs/write-path.md)
            async with self.sessions() as session, session.begin():
                yield session

    async def dispose(self) -> None:
        if self.writer is not None:
            await self.writer.close()
        await self.engine.dispose()
        if self._write_engine is not self.engine:
            await self._write_engine.dispose()
