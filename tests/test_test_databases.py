"""The suite's own database isolation: whatever a test wrote or changed in the schema, the next test
starts on a fresh database at head (on SQLite a new file per test; on PostgreSQL the working database
reset to its template, see tests/pg_databases.py). The tests run in file order: each checks what the
one before it left."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text

from broadcast import db
from broadcast.models import Station
from loa import config
from tests.conftest import on_postgres


def _engine():  # type: ignore[no-untyped-def]
    return db.init_db(config.load().db_url)


def test_1_every_test_gets_the_runs_backend(pytestconfig: pytest.Config) -> None:
    url = config.load().db_url
    assert url.startswith("postgresql") == on_postgres() == bool(pytestconfig.getoption("--database-url"))


def test_2_write_rows_and_change_the_schema() -> None:
    engine = _engine()
    with db.session_scope(db.session_factory(engine)) as s:
        s.add_all([Station(code=f"s{i}", name="S") for i in range(3)])
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE left_behind (x INTEGER)"))
    # A connection still open in a transaction at the end of the test does not block the reset.
    lingering = engine.connect()
    lingering.execute(select(Station.id)).all()


def test_3_the_next_test_starts_fresh() -> None:
    engine = _engine()
    assert "left_behind" not in inspect(engine).get_table_names()
    assert db.current_revision(engine) == db.head_revision()
    with db.session_scope(db.session_factory(engine)) as s:
        assert s.scalars(select(Station)).all() == []
        s.add(Station(code="again", name="A"))
        s.flush()
        station_id = s.scalar(select(Station.id))
    assert station_id == 1  # ids start again at 1
    engine.dispose()


def test_4_rows_alone_are_cleared_too() -> None:
    engine = _engine()
    with db.session_scope(db.session_factory(engine)) as s:
        assert s.scalars(select(Station.code)).all() == []
    engine.dispose()
