"""security: scopes on machine tokens; ticket numbers counted per tenant.

- api_tokens.scopes: tokens made before scopes existed get every scope (unchanged
  behaviour); new tokens get what the admin chose.
- number_counters is keyed by (tenant_id, day), so a tenant's numbers no longer reveal
  the other tenants' daily volume; each tenant's counter starts from today's shared
  value, so no number already issued is handed out again. Numbers are unique per
  tenant (tenant_id, number).

Revision ID: 0009
Revises: 0010 (landed first)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALL_SCOPES = '["commerce", "conversations", "knowledge"]'


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("scopes", sa.JSON(), nullable=True))
    op.execute(sa.text(f"UPDATE api_tokens SET scopes = '{ALL_SCOPES}'"))
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("scopes", existing_type=sa.JSON(), nullable=False)

    op.create_table(
        "tenant_number_counters",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tenant_number_counters_tenant_id_tenants"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "day", name=op.f("pk_tenant_number_counters")),
    )
    op.execute(
        sa.text(
            "INSERT INTO tenant_number_counters (tenant_id, day, value) "
            "SELECT t.id, c.day, c.value FROM tenants t CROSS JOIN number_counters c"
        )
    )
    op.drop_table("number_counters")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_constraint("uq_conversations_number", type_="unique")
        batch.create_unique_constraint("uq_conversations_tenant_id_number", ["tenant_id", "number"])


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_constraint("uq_conversations_tenant_id_number", type_="unique")
        batch.create_unique_constraint("uq_conversations_number", ["number"])
    op.create_table(
        "number_counters",
        sa.Column("day", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_number_counters")),
    )
    op.execute(
        sa.text(
            "INSERT INTO number_counters (day, value) "
            "SELECT day, MAX(value) FROM tenant_number_counters GROUP BY day"
        )
    )
    op.drop_table("tenant_number_counters")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("scopes")
