"""Pages of a long list, read from the query string (``?page=2&per=100``), for every panel list.

One helper for SQL queries (counted and sliced in the database) and for lists a service already
built; the ``pager`` macro (templates/macros.html) draws the links, keeping every other filter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import request, url_for
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from web import db

T = TypeVar("T")

MIN_PER, MAX_PER = 10, 500
PER_CHOICES = (20, 50, 100, 200)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def first_index(self) -> int:
        """1-based position of the first row shown (0 on an empty list)."""
        return 0 if not self.items else (self.number - 1) * self.size + 1

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.items) - 1 if self.items else 0


def _int(name: str, default: int) -> int:
    try:
        return int(request.args.get(name, ""))
    except ValueError:
        return default


def page_args() -> tuple[int, int]:
    """(page number ≥ 1, page size within MIN_PER–MAX_PER); the size defaults to list_page_size."""
    size = min(MAX_PER, max(MIN_PER, _int("per", db.settings().list_page_size)))
    return max(1, _int("page", 1)), size


def paginate_query(session: Session, stmt: Select[Any], number: int, size: int) -> Page[Any]:
    """One page of a select of ORM rows; a page past the end shows the last one."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    number = min(number, max(1, math.ceil(total / size)))
    items = list(session.scalars(stmt.limit(size).offset((number - 1) * size)))
    return Page(items, number, size, total)


def paginate_list(rows: Sequence[T], number: int, size: int) -> Page[T]:
    """One page of rows already in memory."""
    number = min(number, max(1, math.ceil(len(rows) / size)))
    start = (number - 1) * size
    return Page(list(rows[start:start + size]), number, size, len(rows))


def page_url(number: int, endpoint: str | None = None, **changes: Any) -> str:
    """This page's address with another page number (and any other argument changed);
    ``endpoint``: another page's (a fragment refreshed by itself links to its full page)."""
    args: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict()}
    args.update({"page": str(number), **{k: str(v) for k, v in changes.items()}})
    return url_for(endpoint or request.endpoint or "auth.index", **args)


def like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
