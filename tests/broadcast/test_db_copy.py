"""`loa db copy`: a district's SQLite data into a province's database (the test's own: SQLite, or
PostgreSQL on the suite's PostgreSQL run): verified, idempotent, resumable after a kill, and
merging two districts without id collisions."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from broadcast import bulletins as bl
from broadcast import db
from broadcast import stations as st
from broadcast.db_copy import copy_database
from broadcast.errors import BroadcastError
from broadcast.models import AsRun, Bulletin, MediaFile, Role, Station, User
from tests.broadcast.conftest import count_rows

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2026, 11, 27)


def make_source(path: Path, prefix: str, *, asrun: int = 20) -> str:
    """A district's database: 3 stations in a group, a user, a bulletin for two stations, a media file
    shared by every district (same SHA-256) and ``asrun`` as-run rows."""
    url = f"sqlite:///{path}"
    engine = db.init_db(url)
    with db.session_scope(db.session_factory(engine)) as s:
        csv = "code,name,kind,sessions\n" + "".join(
            f'{prefix}-{i},Xã {prefix} {i},xa,"Mon-Sun 05:30-06:00"\n' for i in range(3)
        )
        st.import_stations(s, st.parse_stations_csv(csv), group=f"huyen-{prefix}", district=prefix)
        s.add(User(username=f"admin-{prefix}", password_hash="x", role=Role.ADMIN))
        s.add(MediaFile(sha256="ab" * 32, path="ab/shared.mp3", size=1234, meta={"nguồn": "chung"}))
        b = bl.create_bulletin(s, title=f"Tin {prefix}", body="Nội dung.", valid_from=DAY, valid_to=DAY,
                               station_codes=[f"{prefix}-1", f"{prefix}-2"], actor="t", media_dir=path.parent)
        s.flush()
        ids = {c: i for c, i in s.execute(select(Station.code, Station.id))}
        start = datetime(2026, 11, 27, 5, 30, 0, 250000, tzinfo=UTC)
        s.execute(insert(AsRun), [
            {"station_id": ids[f"{prefix}-{k % 3}"], "uid": f"{prefix}-{k}", "status": "played",
             "bulletin_id": b.id, "actual_start": start + timedelta(minutes=k), "title": f"Tin {k}"}
            for k in range(asrun)
        ])  # fmt: skip
    engine.dispose()
    return url


def targets_of(session: Session, title: str) -> list[str]:
    b = session.scalars(select(Bulletin).where(Bulletin.title == title)).one()
    return sorted(s.code for s in b.target_stations)


def test_copy_verifies_and_is_idempotent(tmp_path: Path, db_url: str, factory: sessionmaker[Session]) -> None:
    src = make_source(tmp_path / "a.db", "a")
    seen: list[tuple[str, int, int]] = []
    report = copy_database(src, db_url, batch=7, progress=lambda t, d, n: seen.append((t, d, n)))
    assert report.ok and report.copied > 0 and not report.resumed
    assert ("asrun", 20, 20) in seen and ("asrun", 7, 20) in seen  # progress per batch
    counts = {t.table: t.rows for t in report.tables}
    assert counts["stations"] == 3 and counts["asrun"] == 20 and counts["bulletin_targets"] == 2
    with factory() as s:
        assert targets_of(s, "Tin a") == ["a-1", "a-2"]
        first = s.scalars(select(AsRun).order_by(AsRun.id)).first()
        assert first is not None and first.actual_start == datetime(2026, 11, 27, 5, 30, 0, 250000, tzinfo=UTC)
        assert s.scalar(select(MediaFile.meta)) == {"nguồn": "chung"}
        s.add(Station(code="moi", name="Mới"))  # the ids' sequences continue after the copied ones
        s.commit()
        s.execute(select(Station).where(Station.code == "moi")).one()
    again = copy_database(src, db_url)
    assert again.ok and again.copied == 0 and again.already_done


def test_a_target_with_data_is_refused_without_merge(tmp_path: Path, db_url: str, session: Session,
                                                      stations: list[str]) -> None:  # fmt: skip
    before = count_rows(session)
    session.close()
    with pytest.raises(BroadcastError, match="--merge"):
        copy_database(make_source(tmp_path / "a.db", "a"), db_url)
    assert count_rows(session) == before


def test_merging_two_districts_keeps_ids_apart(tmp_path: Path, db_url: str, factory: sessionmaker[Session]) -> None:
    a, b = make_source(tmp_path / "a.db", "a"), make_source(tmp_path / "b.db", "b", asrun=15)
    assert copy_database(a, db_url).ok
    with pytest.raises(BroadcastError, match="--merge"):
        copy_database(b, db_url)
    report = copy_database(b, db_url, merge=True, batch=4)
    assert report.ok
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Station)) == 6
        assert s.scalar(select(func.count()).select_from(AsRun)) == 35
        assert s.scalar(select(func.count()).select_from(MediaFile)) == 1  # the shared file, once
        assert targets_of(s, "Tin a") == ["a-1", "a-2"] and targets_of(s, "Tin b") == ["b-1", "b-2"]
        # Every as-run row still points at a station and a bulletin of its own district.
        rows = s.execute(select(AsRun.uid, Station.code, Bulletin.title).join(Station).join(Bulletin)).all()
        assert len(rows) == 35 and all(uid[0] == code[0] == title[-1] for uid, code, title in rows)
        assert sorted(g.name for s_ in s.scalars(select(Station)) for g in s_.groups) == ["huyen-a"] * 3 + ["huyen-b"] * 3


def test_a_merge_with_clashing_names_is_refused_before_writing(tmp_path: Path, db_url: str,
                                                                factory: sessionmaker[Session]) -> None:  # fmt: skip
    assert copy_database(make_source(tmp_path / "a.db", "a"), db_url).ok
    with factory() as s:
        before = count_rows(s)
    with pytest.raises(BroadcastError, match="stations.code: a-0, a-1, a-2"):
        copy_database(make_source(tmp_path / "a2.db", "a"), db_url, merge=True)
    with factory() as s:
        assert count_rows(s) == before


def test_a_killed_copy_resumes_where_it_stopped(tmp_path: Path, db_url: str, factory: sessionmaker[Session]) -> None:
    src = make_source(tmp_path / "big.db", "k", asrun=5000)
    env = {**os.environ, "LOA_DATABASE_URL": db_url}
    cmd = [sys.executable, "-m", "loa", "db", "copy", "--from", src, "--to", db_url, "--batch", "25"]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    for line in proc.stderr:
        if line.strip().startswith("asrun: "):  # mid-table: 200 batches of 25 rows, each its own commit
            proc.kill()
            break
        assert time.monotonic() < deadline
    proc.wait(30)
    assert proc.returncode != 0, "the copy finished before it could be killed"
    with factory() as s:
        partial = s.scalar(select(func.count()).select_from(AsRun))
    assert partial is not None and 25 <= partial < 5000
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "tiếp tục" in done.stdout and "Bản chép khớp với nguồn." in done.stdout
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(AsRun)) == 5000
        assert s.scalar(select(func.count(func.distinct(AsRun.uid)))) == 5000


def test_the_cli_refuses_a_non_empty_target_in_vietnamese(tmp_path: Path, db_url: str, engine: Engine) -> None:
    src = make_source(tmp_path / "a.db", "a")
    env = {**os.environ, "LOA_DATABASE_URL": db_url}
    first = subprocess.run([sys.executable, "-m", "loa", "db", "copy", "--from", src, "--to", db_url],
                           env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert first.returncode == 0, first.stderr
    other = make_source(tmp_path / "b.db", "b")
    second = subprocess.run([sys.executable, "-m", "loa", "db", "copy", "--from", other, "--to", db_url],
                            env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert second.returncode == 1 and "Cơ sở dữ liệu đích đã có dữ liệu" in second.stderr


def test_a_merge_shifts_references_kept_without_a_foreign_key() -> None:
    """playlist_items.bulletin_id and relay_id have no foreign key (broadcast/models.py); a merge
    still moves them with the rows they name."""
    from broadcast.db_copy import _shifted
    from broadcast.models import PlaylistItem

    table = PlaylistItem.__table__
    row = {c.name: None for c in table.columns} | {"id": 1, "playlist_id": 2, "bulletin_id": 3, "relay_id": 4}
    offsets = {"playlist_items": 100, "playlists": 200, "bulletins": 300, "relays": 400}
    out = _shifted(table, row, offsets)  # type: ignore[arg-type]
    assert (out["id"], out["playlist_id"], out["bulletin_id"], out["relay_id"]) == (101, 202, 303, 404)
