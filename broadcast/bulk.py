"""Bulk inserts of many rows: PostgreSQL's COPY where the database is PostgreSQL, executemany elsewhere.

Nightly generation writes a playlist and its ~40 items for every station: millions of rows a night
for a country. psycopg's executemany still sends one INSERT per row (pipelined); COPY streams them
in one command, about four times faster on the project's machine (48,000 item rows: 2.7 s → 0.7 s).
Values go through each column type's own bind processing first (``UTCDateTime`` → naive UTC, JSON →
text), so a row stored by COPY is exactly the row executemany would have stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session


class Encoded(NamedTuple):
    """A value and (lazily) its text as the column's bind processing would make it for COPY: a
    JSON document encoded from parts that many rows share, say. Executemany gets ``value``."""

    value: Any
    text: Callable[[], str]


def copies(session: Session) -> bool:
    """Whether ``insert_rows`` streams with COPY here (PostgreSQL through psycopg)."""
    dialect = session.connection().dialect
    return dialect.name == "postgresql" and dialect.driver == "psycopg"


def insert_rows(session: Session, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts keyed by column name, all with the same keys) in the session's transaction."""
    rows = list(rows)
    if not rows:
        return
    if not copies(session):
        session.execute(insert(table), [_plain(row) for row in rows])
        return
    names = list(rows[0])
    procs = bind_processors(session, table, names)
    with _copy(session, table, names) as cp:
        for row in rows:
            cp.write_row([
                v.text() if isinstance(v, Encoded) else v if p is None or v is None else p(v)
                for p, v in zip(procs, (row[n] for n in names), strict=True)
            ])


def _plain(row: Mapping[str, Any]) -> Mapping[str, Any]:
    if any(isinstance(v, Encoded) for v in row.values()):
        return {k: v.value if isinstance(v, Encoded) else v for k, v in row.items()}
    return row


@contextmanager
def _copy(session: Session, table: Table, names: Sequence[str]) -> Iterator[Any]:
    conn = session.connection()
    prep = conn.dialect.identifier_preparer
    cols = ", ".join(prep.quote(n) for n in names)
    raw = conn.connection.driver_connection
    assert raw is not None  # a live psycopg connection inside the session's transaction
    with raw.cursor() as cur, cur.copy(f"COPY {prep.format_table(table)} ({cols}) FROM STDIN") as cp:
        yield cp


def bind_processors(session: Session, table: Table, names: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    """Each column's bind processor (None: the value goes as it is)."""
    dialect = session.connection().dialect
    return [table.c[n].type._cached_bind_processor(dialect) for n in names]


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_field(value: Any) -> str:
    """A bind-processed value in COPY's text format (PostgreSQL parses it by the column's type)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, datetime | date):
        if isinstance(value, datetime) and value.tzinfo is not None:
            raise TypeError("COPY text of an aware datetime: bind-process it to naive UTC first")
        return value.isoformat()
    raise TypeError(f"no COPY text for {type(value).__name__}")


def copy_text(session: Session, table: Table, names: Sequence[str], text: str) -> None:
    """Stream ``text``, rows already in COPY's text format (``copy_field``, tab-separated, each
    ending with a newline), into ``names`` of ``table``: PostgreSQL through psycopg only."""
    if text:
        with _copy(session, table, names) as cp:
            cp.write(text)
