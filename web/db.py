"""The panel's handles on the database, settings and job queue.

One SQLAlchemy session per request, opened on first use and closed when the request ends; a view
that changes data calls ``commit()`` once, so a request's changes land together or not at all.
Background jobs never share it: they open their own with ``job_session()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar, cast

from flask import Flask, abort, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from broadcast.db import session_scope
from loa.config import Settings
from web.jobs import JobQueue

T = TypeVar("T")


def settings() -> Settings:
    return cast(Settings, current_app.config["LOA_SETTINGS"])


def jobs() -> JobQueue:
    return cast(JobQueue, current_app.extensions["loa_jobs"])


def factory(app: Flask | None = None) -> sessionmaker[Session]:
    return cast(sessionmaker[Session], (app or current_app).extensions["loa_sessions"])


def session() -> Session:
    """This request's session."""
    if "db_session" not in g:
        g.db_session = factory()()
    return cast(Session, g.db_session)


def commit() -> None:
    session().commit()


def get_or_404(model: type[T], ident: object) -> T:
    """A row by primary key, or the Vietnamese 404 page (also for ids that are not numbers)."""
    obj = session().get(model, ident)
    if obj is None:
        abort(404)
    return obj


def close_session(exc: BaseException | None = None) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        if exc is not None:
            s.rollback()
        s.close()


@contextmanager
def job_session(app: Flask) -> Iterator[Session]:
    """A session for work running outside any request (job threads): commit or roll back."""
    with session_scope(factory(app)) as s:
        yield s
