"""core: contact details as fields on conversations (contact_name, contact_phone), for
every way a conversation opens (form, mail, widget 留言, WeChat); the form's phone moves
out of ``details``.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("contact_name", sa.String(50), nullable=True))
        batch.add_column(sa.Column("contact_phone", sa.String(24), nullable=True))
    conversations = sa.table(
        "conversations",
        sa.column("id", sa.Integer),
        sa.column("details", sa.JSON),
        sa.column("contact_phone", sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(conversations.c.id, conversations.c.details)).all()
    for conv_id, details in rows:
        phone = (details or {}).get("contact_phone") if isinstance(details, dict) else None
        if phone:
            bind.execute(
                conversations.update()
                .where(conversations.c.id == conv_id)
                .values(contact_phone=str(phone)[:24])
            )


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("contact_phone")
        batch.drop_column("contact_name")
