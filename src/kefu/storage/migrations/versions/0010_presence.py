"""presence: console connection leases (docs/presence.md).

Revision ID: 0010
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kefu.storage.types

revision: str = "0010"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_leases",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", kefu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", kefu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_console_leases_agent_id", "console_leases", ["agent_id"])
    op.create_index("ix_console_leases_expires_at", "console_leases", ["expires_at"])
    op.create_index("ix_console_leases_tenant_id", "console_leases", ["tenant_id"])


def downgrade() -> None:
    op.drop_index("ix_console_leases_tenant_id", table_name="console_leases")
    op.drop_index("ix_console_leases_expires_at", table_name="console_leases")
    op.drop_index("ix_console_leases_agent_id", table_name="console_leases")
    op.drop_table("console_leases")
