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
    # Plain ADD COLUMN (no table copy on SQLite, see _drop); a default, so existing rows are valid.
    op.add_column("asrun", sa.Column("cause", sa.String(length=32), server_default="", nullable=False))
    op.add_column("asrun", sa.Column("language", sa.String(length=8), server_default="", nullable=False))
    op.add_column("playlist_items", sa.Column("language", sa.String(length=8), server_default="", nullable=False))
    op.add_column("stations", sa.Column("languages", sa.String(length=120), server_default="", nullable=False))
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
    op.create_index("ix_bulletin_versions_bulletin_id", "bulletin_versions", ["bulletin_id"], unique=False)


def _drop(table: str, column: str) -> None:
    """A plain DROP COLUMN: batch mode on SQLite would copy the table and drop the old one, which
    with foreign keys on cascades into the rows that reference it (see 0004)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    else:
        op.drop_column(table, column)


def downgrade() -> None:
    op.drop_index("ix_bulletin_versions_bulletin_id", table_name="bulletin_versions")
    op.drop_table("bulletin_versions")
    _drop("stations", "languages")
    _drop("playlist_items", "language")
    _drop("asrun", "language")
    _drop("asrun", "cause")
