"""cap_alerts: Common Alerting Protocol 1.2 messages and the emergency bulletins they made

Revision ID: 0011
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cap_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=255), nullable=False),
        sa.Column("identifier", sa.String(length=255), nullable=False),
        sa.Column("sent_text", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("msg_type", sa.String(length=16), nullable=False),
        sa.Column("references", sa.JSON(), nullable=True),
        sa.Column("event", sa.String(length=300), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("language_fallback", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("bulletin_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("needs_targeting", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("unit_codes", sa.JSON(), nullable=True),
        sa.Column("unmatched", sa.JSON(), nullable=True),
        sa.Column("areas", sa.JSON(), nullable=True),
        sa.Column("auto_approved", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["bulletin_id"], ["bulletins.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sender", "identifier"),
    )
    with op.batch_alter_table("cap_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cap_alerts_bulletin_id"), ["bulletin_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cap_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cap_alerts_bulletin_id"))
    op.drop_table("cap_alerts")
