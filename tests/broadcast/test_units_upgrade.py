"""Upgrading a data folder at revision 0002 (stations, sessions, users, bulletins, playlists,
as-run rows) puts everything under one unit and loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, func, inspect, select, text

from broadcast import db, units
from broadcast.models import Base, Station, Unit, User

_SEED = [
    "INSERT INTO stations (id, code, name, kind, district, timezone, active) VALUES "
    "(1, 'hiep-an', 'Xã Hiệp An', 'xa', 'Đức Trọng', 'Asia/Ho_Chi_Minh', true),"
    "(2, 'lien-nghia', 'Thị trấn Liên Nghĩa', 'thi_tran', 'Đức Trọng', 'Asia/Ho_Chi_Minh', true)",
    "INSERT INTO broadcast_sessions (station_id, name, weekdays, start_time, max_minutes, active) VALUES "
    "(1, '', '123456', '05:30:00', 30, true), (2, '', '1234567', '17:00:00', 45, true)",
    "INSERT INTO station_groups (id, name) VALUES (1, 'duc-trong')",
    "INSERT INTO station_group_members (station_id, group_id) VALUES (1, 1), (2, 1)",
    "INSERT INTO users (id, username, full_name, password_hash, role, active, created_at, session_epoch) "
    "VALUES (1, 'admin', '', 'x', 'admin', true, '2026-11-01 00:00:00', 0),"
    "(2, 'bien-tap', '', 'x', 'editor', true, '2026-11-01 00:00:00', 3)",
    "INSERT INTO bulletins (id, title, body, source_kind, category, issuer, priority, valid_from, valid_to, "
    "plays_per_day, target_kind, status, voice, speech_rate, created_by, created_at, updated_at, "
    "render_status, render_error) VALUES (1, 'Lịch tiêm chủng', 'x', 'text', '', '', 'normal', "
    "'2026-11-01', '2026-11-30', 1, 'stations', 'approved', '', 1.0, 'bien-tap', '2026-11-01 00:00:00', "
    "'2026-11-01 00:00:00', 'done', '')",
    "INSERT INTO bulletin_targets (bulletin_id, station_id) VALUES (1, 1)",
    "INSERT INTO playlists (id, station_id, date, version, generated_at, manifest, etag, emergency) VALUES "
    "(1, 1, '2026-11-02', 1, '2026-11-01 00:05:00', '{}', 'e', false)",
    "INSERT INTO playlist_items (playlist_id, position, start, duration_s, kind, title, priority, size, url) "
    "VALUES (1, 0, '2026-11-01 22:30:00', 60.0, 'bulletin', 'Lịch tiêm chủng', 'normal', 0, '')",
    "INSERT INTO asrun (station_id, uid, kind, title, status, detail, received_at) VALUES "
    "(1, 'u1', 'bulletin', 'Lịch tiêm chủng', 'played', '', '2026-11-02 00:00:00')",
]


#: The tables a data folder at revision 0002 has (later migrations add others, empty).
_OLD: set[str] = set()


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
            if t.name in _OLD
        }


@pytest.mark.only_on("sqlite")  # builds its own SQLite file at an old revision
def test_upgrade_from_0002_puts_everything_under_one_unit_and_loses_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = db.make_engine(url)
    cfg = db.alembic_config(url)
    with engine.begin() as conn:  # as init_db does: foreign keys on, one transaction
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
    _OLD.update(inspect(engine).get_table_names())
    with engine.begin() as conn:
        for sql in _SEED:
            conn.execute(text(sql))
    before = _counts(engine)
    engine.dispose()

    engine = db.init_db(url)
    assert db.current_revision(engine) == db.head_revision()
    assert _counts(engine) == before  # no cascade emptied a child table
    factory = db.session_factory(engine)
    with factory() as s:
        root = units.get(s, units.ROOT_CODE)
        assert root.kind == "tinh" and root.parent_id is None
        assert [st.code for st in units.stations_under(s, root)] == ["hiep-an", "lien-nghia"]
        assert {u.unit_id for u in s.scalars(select(User))} == {root.id}
        assert s.scalar(select(func.count()).select_from(Unit)) == 1
        assert s.scalar(select(Station).where(Station.code == "hiep-an")).sessions[0].max_minutes == 30
        assert s.scalar(text("SELECT unit_id FROM bulletins WHERE id = 1")) == root.id
        assert s.scalar(text("SELECT session_epoch FROM users WHERE id = 2")) == 3
    # And back down: the columns go, the rows stay.
    command.downgrade(db.alembic_config(url), "0002")
    after = _counts_raw(engine)
    assert after == before
    engine.dispose()


def _counts_raw(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(text(f"SELECT count(*) FROM {t.name}")).scalar_one()
            for t in Base.metadata.sorted_tables
            if t.name in _OLD
        }


def test_fresh_database_has_no_unit_until_one_is_needed(tmp_path: Path) -> None:
    engine = db.init_db(f"sqlite:///{tmp_path / 'new.db'}")
    factory = db.session_factory(engine)
    with db.session_scope(factory) as s:
        assert s.scalar(select(func.count()).select_from(Unit)) == 0
        assert units.root(s).code == units.ROOT_CODE  # created on first need
    engine.dispose()
