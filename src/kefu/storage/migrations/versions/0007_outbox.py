"""outbox: jobs get an idempotency key (unique per kind) and the conversation they serve.

Revision ID: 0007
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("conversation_id", sa.BigInteger(), nullable=True))
        batch_op.create_unique_constraint(op.f("uq_jobs_kind_key"), ["kind", "key"])


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_jobs_kind_key"), type_="unique")
        batch_op.drop_column("conversation_id")
        batch_op.drop_column("key")
