from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, delete, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from broadcast import db
from broadcast.models import Base, BroadcastSession, Station


def test_init_db_creates_data_folder_and_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'deeper' / 'loa.db'}"
    engine = db.init_db(url)
    assert (tmp_path / "new" / "deeper" / "loa.db").is_file()
    assert db.current_revision(engine) == db.head_revision() is not None
    engine.dispose()
    again = db.init_db(url)  # already at head: nothing to do, no error
    assert db.current_revision(again) == db.head_revision()
    again.dispose()


def test_schema_matches_models_after_upgrade(engine: Engine) -> None:
    """Autogenerate against an upgraded database finds nothing to do: the migrations are complete."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, parents: type_ != "table" or name in Base.metadata.tables,
            },
        )
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_every_model_table_exists(engine: Engine) -> None:
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_downgrade_to_base_and_back(db_url: str, engine: Engine) -> None:
    cfg = db.alembic_config(db_url)
    command.downgrade(cfg, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(cfg, "head")
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_in_memory_sqlite_keeps_its_schema_across_sessions() -> None:
    engine = db.init_db("sqlite://")
    factory = db.session_factory(engine)
    with db.session_scope(factory) as s:
        s.add(Station(code="x", name="X"))
    with db.session_scope(factory) as s:
        assert s.scalar(select(Station.code)) == "x"


def test_session_scope_rolls_back_on_error(factory: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError), db.session_scope(factory) as s:
        s.add(Station(code="gone", name="Gone"))
        s.flush()
        raise RuntimeError("boom")
    with db.session_scope(factory) as s:
        assert s.scalar(select(Station).where(Station.code == "gone")) is None


def test_foreign_keys_cascade(factory: sessionmaker[Session]) -> None:
    """ON DELETE CASCADE works on SQLite too (foreign keys are switched on per connection)."""
    from datetime import time

    with db.session_scope(factory) as s:
        st = Station(code="c", name="C")
        st.sessions.append(BroadcastSession(start_time=time(5, 30), max_minutes=30))
        s.add(st)
    with factory() as s, s.begin():
        s.execute(delete(Station))
    with factory() as s:
        assert s.scalars(select(BroadcastSession)).all() == []


def test_alembic_config_escapes_percent_in_urls() -> None:
    cfg = db.alembic_config("postgresql://u:p%40ss@h/db")
    assert cfg.get_main_option("sqlalchemy.url") == "postgresql://u:p%40ss@h/db"
    assert Path(cfg.get_main_option("script_location") or "").joinpath("env.py").is_file()


def test_sqlite_file_uses_write_ahead_log(tmp_path: Path) -> None:
    engine = db.init_db(f"sqlite:///{tmp_path / 'loa.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
