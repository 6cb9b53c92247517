"""orders: card codes sealed at rest (dujiaoka pushes them in clear), the buyer's contact.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("card_codes_sealed", sa.Text(), nullable=True))
        batch.add_column(sa.Column("contact_email", sa.String(254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("contact_email")
        batch.drop_column("card_codes_sealed")
