"""The SQLAlchemy dialect of the SQLite writer connection (group_commit.py).

It is SQLAlchemy's aiosqlite dialect with the transaction-control statements sent
straight to the driver: `BEGIN IMMEDIATE` (the write lock is taken at BEGIN, not at the
first UPDATE, where a stale read snapshot would fail at once with SQLITE_BUSY), and the
SAVEPOINT / RELEASE / ROLLBACK TO of each caller of a batch. The stock dialect builds
and compiles a new SavepointClause for each of those (the clause is not cacheable),
which cost more CPU per chat message than its INSERT; the SQL is the same.

Registered as `sqlite+kefu_writer` (SQLAlchemy's public dialect registry)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite

DRIVER = "kefu_writer"


def _run(dbapi_connection: Any, sql: str) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


class WriterDialect(SQLiteDialect_aiosqlite):
    driver = DRIVER
    supports_statement_cache = True

    def do_begin(self, dbapi_connection: Any) -> None:
        _run(dbapi_connection, "BEGIN IMMEDIATE")

    # savepoint names are SQLAlchemy's own (sa_savepoint_N): plain identifiers
    def do_savepoint(self, connection: Any, name: str) -> None:
        _run(connection.connection, f"SAVEPOINT {name}")

    def do_release_savepoint(self, connection: Any, name: str) -> None:
        _run(connection.connection, f"RELEASE SAVEPOINT {name}")

    def do_rollback_to_savepoint(self, connection: Any, name: str) -> None:
        _run(connection.connection, f"ROLLBACK TO SAVEPOINT {name}")


registry.register(f"sqlite.{DRIVER}", __name__, "WriterDialect")
