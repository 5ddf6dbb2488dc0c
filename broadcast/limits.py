"""Column limits, checked before the database sees a value, the same on every backend.

SQLite stores a 500-character string in a ``String(200)`` column and any 64-bit integer in an
``Integer`` one; PostgreSQL refuses both with a driver error in the middle of a flush. So every ORM
flush first checks each new or changed value against its column's type — string length, and the
range of ``SmallInteger`` (16-bit), ``Integer`` (32-bit) and ``BigInteger`` (64-bit) — and refuses it
with a :class:`~broadcast.errors.BroadcastError` that names the column, before any SQL runs. One
generic guard, with limits derived from the models, rather than a check per field.

Bulk Core inserts (``session.execute(insert(...))``, used by nightly generation for rows derived from
already-checked ones) are not ORM flushes and are not checked here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Enum, Integer, SmallInteger, String, event, inspect
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.sql.schema import Column

from broadcast.errors import BroadcastError

TOO_LONG = "Giá trị của %(field)s quá dài: %(length)s ký tự, tối đa %(limit)s."
TOO_LARGE = "Giá trị của %(field)s nằm ngoài giới hạn: %(value)s (từ %(low)s đến %(high)s)."

_INT_BITS = ((BigInteger, 64), (SmallInteger, 16), (Integer, 32))


def integer_range(column: Column[Any]) -> tuple[int, int] | None:
    """The signed range the column holds on every backend, or None if it is not an integer column."""
    typ = column.type
    for cls, bits in _INT_BITS:  # BigInteger and SmallInteger are Integer subclasses: test them first
        if isinstance(typ, cls):
            return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return None


def string_limit(column: Column[Any]) -> int | None:
    """The longest string the column holds, or None (Text, or an Enum that checks itself)."""
    typ = column.type
    if isinstance(typ, String) and not isinstance(typ, Enum):
        return typ.length
    return None


def check_value(column: Column[Any], value: Any) -> None:
    """Raise a BroadcastError if ``value`` does not fit ``column`` (None and other types pass)."""
    if value is None:
        return
    field = f"{column.table.name}.{column.name}"
    limit = string_limit(column)
    if limit is not None and isinstance(value, str) and len(value) > limit:
        raise BroadcastError(TOO_LONG, field=field, length=len(value), limit=limit)
    bounds = integer_range(column)
    if bounds is not None and isinstance(value, int) and not isinstance(value, bool):
        low, high = bounds
        if not low <= value <= high:
            raise BroadcastError(TOO_LARGE, field=field, value=value, low=low, high=high)


def check_object(obj: object) -> None:
    """Check every column value of a mapped object that is new or changed."""
    state = inspect(obj)
    mapper = state.mapper
    for prop in mapper.column_attrs:
        hist = state.attrs[prop.key].history
        if state.persistent and not hist.added:
            continue  # loaded and unchanged
        value = hist.added[0] if hist.added else state.dict.get(prop.key)
        for column in prop.columns:
            if isinstance(column, Column):
                check_value(column, value)


def _before_flush(session: Session, _ctx: UOWTransaction, _instances: Any) -> None:
    for obj in (*session.new, *session.dirty):
        check_object(obj)


def install() -> None:
    """Check limits on every ORM session's flush (idempotent; broadcast.db calls it on import)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
