"""bot: English variants of knowledge-base articles (title_en, body_en).

Revision ID: 0011
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kb_articles") as batch:
        batch.add_column(sa.Column("title_en", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("body_en", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("kb_articles") as batch:
        batch.drop_column("body_en")
        batch.drop_column("title_en")
