"""sec: password change / reset (agents.must_change_password, password_changed_at),
the client address of sign-in attempts and the notice a session shows its owner
(wrong passwords since the previous sign-in). Password changes are audited in
audit_log (section staff_password). conversations.merged_into_id: a duplicate merged
into the ticket it claimed to be (actions/ticket_merge.py).

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kefu.storage.types import UTCDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(sa.Column("password_changed_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("login_attempts") as batch:
        batch.add_column(sa.Column("client", sa.String(64), nullable=True))
    with op.batch_alter_table("staff_sessions") as batch:
        batch.add_column(sa.Column("sign_in_notice", sa.JSON(), nullable=True))
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_conversations_merged_into_id_conversations"),
            "conversations",
            ["merged_into_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_constraint(
            op.f("fk_conversations_merged_into_id_conversations"), type_="foreignkey"
        )
        batch.drop_column("merged_into_id")
    with op.batch_alter_table("staff_sessions") as batch:
        batch.drop_column("sign_in_notice")
    with op.batch_alter_table("login_attempts") as batch:
        batch.drop_column("client")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("password_changed_at")
        batch.drop_column("must_change_password")
