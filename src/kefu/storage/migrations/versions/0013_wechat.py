"""wechat: access tokens, kf cursors, inbound keys, contacts with their reply window.

Revision ID: 0013
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kefu.storage.types import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wechat_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("app_key", sa.String(120), nullable=False),
        sa.Column("access_token_sealed", sa.Text(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("refreshed_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("tenant_id", "app_key", name="uq_wechat_tokens_tenant_id_app_key"),
    )
    op.create_index("ix_wechat_tokens_tenant_id", "wechat_tokens", ["tenant_id"])
    op.create_table(
        "wechat_cursors",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("open_kfid", sa.String(64), nullable=False),
        sa.Column("cursor", sa.String(200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("tenant_id", "open_kfid", name="uq_wechat_cursors_tenant_id_open_kfid"),
    )
    op.create_index("ix_wechat_cursors_tenant_id", "wechat_cursors", ["tenant_id"])
    op.create_table(
        "wechat_inbound",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("msg_key", sa.String(200), nullable=False),
        sa.Column(
            "conversation_id", sa.Integer(), sa.ForeignKey("conversations.id"), nullable=True
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("tenant_id", "msg_key", name="uq_wechat_inbound_tenant_id_msg_key"),
    )
    op.create_index("ix_wechat_inbound_tenant_id", "wechat_inbound", ["tenant_id"])
    op.create_table(
        "wechat_contacts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column(
            "conversation_id", sa.Integer(), sa.ForeignKey("conversations.id"), nullable=True
        ),
        sa.Column("last_user_at", UTCDateTime(), nullable=True),
        sa.Column("sent_since", sa.Integer(), nullable=False),
        sa.Column("service_state", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint(
            "tenant_id",
            "kind",
            "account",
            "user_id",
            name="uq_wechat_contacts_tenant_id_kind_account_user_id",
        ),
    )
    op.create_index("ix_wechat_contacts_tenant_id", "wechat_contacts", ["tenant_id"])
    op.create_index("ix_wechat_contacts_conversation_id", "wechat_contacts", ["conversation_id"])


def downgrade() -> None:
    for table in ("wechat_contacts", "wechat_inbound", "wechat_cursors", "wechat_tokens"):
        op.drop_table(table)
