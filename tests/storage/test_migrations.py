"""The same migrations run on SQLite and PostgreSQL, up and down and up again."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect

from kefu.storage.database import sync_url
from kefu.storage.migrate import downgrade, upgrade
from kefu.storage.models import Base


def test_upgrade_downgrade_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    downgrade(url, "base")
    upgrade(url)
    engine = create_engine(sync_url(url))
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables


def test_schema_matches_models(database_url: str) -> None:
    """Autogenerate finds nothing to do: models and migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = create_engine(sync_url(database_url))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []
