"""as-run cause and language, station languages, bulletin versions in other languages

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"  # merged with wt/units11 (0004); the lead re-chains
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("asrun", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cause", sa.String(length=32), server_default="", nullable=False))
        batch_op.add_column(sa.Column("language", sa.String(length=8), server_default="", nullable=False))
    with op.batch_alter_table("playlist_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), server_default="", nullable=False))
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("languages", sa.String(length=120), server_default="", nullable=False))
    op.create_table(
        "bulletin_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("source_kind", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("voice", sa.String(length=200), nullable=False),
        sa.Column("upload_sha256", sa.String(length=64), nullable=True),
        sa.Column("media_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["bulletin_id"], ["bulletins.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["media_sha256"], ["media_files.sha256"]),
        sa.ForeignKeyConstraint(["upload_sha256"], ["media_files.sha256"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bulletin_id", "language"),
    )
    with op.batch_alter_table("bulletin_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bulletin_versions_bulletin_id"), ["bulletin_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bulletin_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulletin_versions_bulletin_id"))
    op.drop_table("bulletin_versions")
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.drop_column("languages")
    with op.batch_alter_table("playlist_items", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("asrun", schema=None) as batch_op:
        batch_op.drop_column("language")
        batch_op.drop_column("cause")
