"""Set-based queries a chunk at a time: IN (...) lists stay well under SQLite's and PostgreSQL's
bind-parameter limits, whatever the number of stations."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy.orm import Session

#: Bind parameters per IN (...) list.
CHUNK = 500
T = TypeVar("T")


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def by_station(q: Any, col: Any, ids: list[int] | None, session: Session) -> Iterator[Any]:
    """Run ``q`` for every station (ids None) or for the given ids, a chunk at a time."""
    if ids is None:
        yield from session.execute(q)
        return
    for part in chunks(ids):
        yield from session.execute(q.where(col.in_(part)))
