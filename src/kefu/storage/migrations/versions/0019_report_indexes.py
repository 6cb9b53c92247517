"""reports: conversations by tenant and creation time (every report and the public
commitment page select a tenant's conversations created in a range), and events by
tenant, type and time (a month's messages, bot turns, handoffs and ratings are read by
index, not by scanning the timeline); kefu bench reports.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_conversations_tenant_created", "conversations", ["tenant_id", "created_at"])
    op.create_index("ix_events_tenant_type_created", "events", ["tenant_id", "type", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_events_tenant_type_created", table_name="events")
    op.drop_index("ix_conversations_tenant_created", table_name="conversations")
