"""An asyncio face for the standard sqlite3 module that runs each call inline on the
event loop instead of in a helper thread (which is what aiosqlite does).

Why: in WAL mode with synchronous=NORMAL a SQLite statement or commit takes a few
microseconds, but aiosqlite's thread hop costs ~0.3 ms per statement (measured: 343 µs
vs 15 µs per `SELECT 1` through SQLAlchemy), and a chat message is ~8 statements. The
embedded deployment is one process whose writes are serialised by Database's lock, so
the only blocking wait left is another *process* holding the write lock (busy_timeout
bounds it). SQLAlchemy's own aiosqlite dialect and adapter are reused unchanged: this
module provides the small part of aiosqlite's API that the adapter calls.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator, Iterable
from types import SimpleNamespace
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)

# what the adapter copies from "aiosqlite"
DatabaseError = sqlite3.DatabaseError
Error = sqlite3.Error
IntegrityError = sqlite3.IntegrityError
NotSupportedError = sqlite3.NotSupportedError
OperationalError = sqlite3.OperationalError
ProgrammingError = sqlite3.ProgrammingError
sqlite_version = sqlite3.sqlite_version
sqlite_version_info = sqlite3.sqlite_version_info


class Cursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Any = ()) -> Cursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
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


class Connection:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._connection: sqlite3.Connection | None = conn

    def cursor(self) -> Cursor:
        return Cursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> Cursor:
        return await Cursor(self._conn.cursor()).execute(sql, parameters)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

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


class _Connecting:
    """Awaitable like aiosqlite.connect(); the adapter marks its `_thread` a daemon."""

    _thread = SimpleNamespace(daemon=True)

    def __init__(self, database: str, **kw: Any) -> None:
        self._database = database
        self._kw = kw

    def __await__(self) -> Generator[Any, None, Connection]:
        return self._open().__await__()

    async def _open(self) -> Connection:
        kw = dict(self._kw)
        kw.pop("check_same_thread", None)
        return Connection(sqlite3.connect(self._database, check_same_thread=False, **kw))


def connect(database: str, **kw: Any) -> _Connecting:
    return _Connecting(database, **kw)


class _InlineModule:
    """The "aiosqlite" the SQLAlchemy adapter is handed."""

    Connection = Connection
    connect = staticmethod(connect)
    DatabaseError = DatabaseError
    Error = Error
    IntegrityError = IntegrityError
    NotSupportedError = NotSupportedError
    OperationalError = OperationalError
    ProgrammingError = ProgrammingError
    sqlite_version = sqlite_version
    sqlite_version_info = sqlite_version_info
    __version__ = "kefu-inline"


class SQLiteDialect_kefu_inline(SQLiteDialect_aiosqlite):
    driver = "kefu_inline"
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> AsyncAdapt_aiosqlite_dbapi:
        return AsyncAdapt_aiosqlite_dbapi(_InlineModule, sqlite3)  # type: ignore[arg-type]


registry.register("sqlite.kefu_inline", __name__, "SQLiteDialect_kefu_inline")
