"""administrative units (province → commune → clusters) and the commune inbox of Circular 39

Upgrading a data folder puts every existing station, user and bulletin under one unit (code
``goc``, a province; rename it or import the real tree afterwards), so nothing changes until
units are imported: every bulletin is then the unit's own, and the planner places it as before.

On SQLite the ``unit_id`` columns are added with a plain ``ALTER TABLE … ADD COLUMN … REFERENCES``:
batch mode would copy each table and drop the old one, and with foreign keys on that drop
cascades into the rows that reference it (a station's sessions, playlists, as-run rows).

Revision ID: 0004
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The one unit an upgraded data folder starts with (same values as broadcast.units.ROOT_*).
ROOT_CODE = "goc"
ROOT_NAME = "Đơn vị gốc"
_TABLES = ("stations", "users", "bulletins")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _create_tables() -> None:
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.Enum("tinh", "huyen", "xa", "phuong", "dac-khu", name="unitkind",
                                  native_enum=False, length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("merged_at", sa.DateTime(), nullable=True),
        sa.Column("auto_accept", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["merged_into_id"], ["units.id"]),
        sa.ForeignKeyConstraint(["parent_id"], ["units.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_units_code", "units", ["code"], unique=True)
    op.create_index("ix_units_parent_id", "units", ["parent_id"], unique=False)
    op.create_table(
        "unit_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_unit_names_unit_id", "unit_names", ["unit_id"], unique=False)
    op.create_table(
        "inbox_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("order", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["bulletin_id"], ["bulletins.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bulletin_id", "unit_id"),
    )
    op.create_index("ix_inbox_decisions_bulletin_id", "inbox_decisions", ["bulletin_id"], unique=False)
    op.create_index("ix_inbox_decisions_unit_id", "inbox_decisions", ["unit_id"], unique=False)


def _add_unit_column(table: str) -> None:
    if _sqlite():
        op.execute(f"ALTER TABLE {table} ADD COLUMN unit_id INTEGER REFERENCES units (id)")
    else:
        op.add_column(table, sa.Column("unit_id", sa.Integer(), nullable=True))
        op.create_foreign_key(f"fk_{table}_unit_id_units", table, "units", ["unit_id"], ["id"])
    op.create_index(f"ix_{table}_unit_id", table, ["unit_id"], unique=False)


def _adopt_existing_rows() -> None:
    """Put every station, user and bulletin already there under one unit."""
    conn = op.get_bind()
    has_rows = any(conn.execute(sa.text(f"SELECT 1 FROM {t} LIMIT 1")).first() for t in _TABLES)
    if not has_rows:
        return
    units = sa.table(
        "units", sa.column("code"), sa.column("name"), sa.column("kind"), sa.column("auto_accept"),
        sa.column("created_at"),
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    conn.execute(units.insert().values(code=ROOT_CODE, name=ROOT_NAME, kind="tinh", auto_accept=False,
                                       created_at=now))
    root = conn.execute(sa.text("SELECT id FROM units WHERE code = :c"), {"c": ROOT_CODE}).scalar_one()
    for t in _TABLES:
        conn.execute(sa.text(f"UPDATE {t} SET unit_id = :u WHERE unit_id IS NULL"), {"u": root})


def upgrade() -> None:
    _create_tables()
    for t in _TABLES:
        _add_unit_column(t)
    _adopt_existing_rows()


def downgrade() -> None:
    for t in _TABLES:
        op.drop_index(f"ix_{t}_unit_id", table_name=t)
        if _sqlite():
            op.execute(f"ALTER TABLE {t} DROP COLUMN unit_id")
        else:
            op.drop_constraint(f"fk_{t}_unit_id_units", t, type_="foreignkey")
            op.drop_column(t, "unit_id")
    op.drop_table("inbox_decisions")
    op.drop_table("unit_names")
    op.drop_table("units")
