"""Is the database answering? (for /healthz)"""

from __future__ import annotations

from sqlalchemy import text

from kefu.storage.database import Database


async def database_error(db: Database) -> str | None:
    """None when a trivial query answers; otherwise the kind of error (never its text,
    which may hold connection details)."""
    try:
        async with db.read() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:  # the point is to report, not to crash
        return type(exc).__name__
    return None
