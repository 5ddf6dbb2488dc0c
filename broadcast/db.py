"""Engine, sessions and schema migrations.

The schema is owned by Alembic (``broadcast/migrations``); ``init_db`` upgrades any database to the
latest revision. The Alembic configuration is built in code, so it works from an installed package
with no ``alembic.ini`` in the working folder.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from broadcast import limits

log = logging.getLogger(__name__)
limits.install()  # column limits checked before every flush, the same on SQLite and PostgreSQL

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys (and so ON DELETE CASCADE) unless asked, per connection.
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    # Write-ahead log: the panel keeps reading while the scheduler or the CLI writes.
    # Stored in the file; harmless to repeat.
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for any SQLAlchemy URL. SQLite gets foreign keys on and a lock wait, so the web
    panel, the scheduler and the CLI can share one file."""
    u = make_url(url)
    sqlite = u.get_backend_name() == "sqlite"
    in_memory = sqlite and u.database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {}
    if sqlite:
        kwargs["connect_args"] = {"timeout": 30}
        if in_memory:
            # One shared connection, or every session would see its own empty database.
            kwargs["poolclass"] = StaticPool
            kwargs["connect_args"]["check_same_thread"] = False
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if sqlite:
        event.listen(engine, "connect", _sqlite_foreign_keys)
        if not in_memory:
            event.listen(engine, "connect", _sqlite_wal)
    return engine


def alembic_config(url: str) -> Config:
    """Alembic settings built in code: the package's migrations folder and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # '%' is ConfigParser interpolation syntax; URLs with escaped passwords contain it.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _ensure_sqlite_folder(url: str) -> None:
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:"):
        assert u.database is not None
        Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def init_db(url: str) -> Engine:
    """Create or upgrade the database at ``url`` to the latest schema and return its engine."""
    _ensure_sqlite_folder(url)
    engine = make_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    log.debug("database at head: %s", engine.url.render_as_string(hide_password=True))
    return engine


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: objects stay readable after the scope commits (CLI output, templates).
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit if the block succeeds, roll everything back if it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
