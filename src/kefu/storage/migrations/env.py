"""Alembic environment: the URL comes from kefu's settings (or the caller's config)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from kefu.settings import get_settings
from kefu.storage.database import ensure_sqlite_dir, sync_url
from kefu.storage.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
url = sync_url(url)


def run_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    ensure_sqlite_dir(url)
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=Base.metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
