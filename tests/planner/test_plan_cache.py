"""Stations that plan alike are planned once (broadcast/plan_cache.py), and what they get is what
planning each alone gives: the same rows, the same bytes in every file."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Text, cast, delete, select
from sqlalchemy import text as text_sql
from sqlalchemy.orm import Session

from broadcast import generate as gen
from broadcast import plan_cache
from broadcast.generate import generate_playlists, latest_playlist
from broadcast.models import Playlist, PlaylistItem, PlaylistOverride
from broadcast.playlist_files import canonical_json, manifest_etag, manifest_json, render_m3u8, render_xspf
from loa.config import Settings
from tests.planner.conftest import Rows

DAY = date(2026, 12, 1)
NIGHT = datetime(2026, 11, 30, 17, 5, tzinfo=UTC)
CODES = ("A", "B", "C", "D", "E")


def _setup(rows: Rows, db: Session) -> None:
    """A and B alike; C has a bulletin of its own, D an override, E another session."""
    for code in ("A", "B"):
        rows.station(code, sessions=[(6, 0, 30), (17, 0, 30)], groups=["xã"])
    c = rows.station("C", sessions=[(6, 0, 30), (17, 0, 30)], groups=["xã"])
    d = rows.station("D", sessions=[(6, 0, 30), (17, 0, 30)], groups=["xã"])
    rows.station("E", sessions=[(6, 0, 30), (18, 0, 30)], groups=["xã"])
    rows.bulletin('Lịch cắt điện \\ "tab"\tvà dòng\nmới <b>&', 90, plays=2)
    dropped = rows.bulletin("nhóm xã", 120, group="xã")
    rows.bulletin("riêng C", 60, stations=[c])
    rows.relay("VOV1", 17, 10, 15)
    db.add(PlaylistOverride(station_id=d.id, date=DAY, bulletin_id=dropped.id, action="drop"))
    db.commit()


def _snapshot(db: Session, out: Path) -> dict[str, tuple]:
    """Per station: its manifest as stored (text), its item rows, and the bytes of its files."""
    got = {}
    for code in CODES:
        pl = latest_playlist(db, code, DAY)
        assert pl is not None
        text = db.scalar(select(cast(Playlist.manifest, Text)).where(Playlist.id == pl.id))
        items = db.execute(
            select(*[c for c in PlaylistItem.__table__.c if c.name not in ("id", "playlist_id")])
            .where(PlaylistItem.playlist_id == pl.id)
            .order_by(PlaylistItem.position)
        ).all()
        files = tuple((out / code / f"{DAY}{ext}").read_bytes() for ext in (".json", ".m3u8", ".xspf"))
        got[code] = (pl.version, pl.etag, pl.emergency, text, [tuple(r) for r in items], files)
    return got


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    planned: list[str] = []
    real = gen._plan_station

    def counted(st, *args, **kw):  # type: ignore[no-untyped-def]
        planned.append(st.code)
        return real(st, *args, **kw)

    monkeypatch.setattr(gen, "_plan_station", counted)
    return planned


def test_stations_that_plan_alike_share_one_plan(
    db: Session, rows: Rows, settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    _setup(rows, db)
    planned = _counting(monkeypatch)
    generate_playlists(db, settings, [DAY], now=NIGHT)
    db.commit()
    assert sorted(planned) == ["A", "C", "D", "E"]  # B is A's plan; the others differ from it
    manifests = {code: latest_playlist(db, code, DAY).manifest for code in CODES}
    assert manifests["A"]["items"] == manifests["B"]["items"]
    for other in ("C", "D", "E"):
        assert manifests[other]["items"] != manifests["A"]["items"]
    assert "riêng C" in {it["title"] for it in manifests["C"]["items"]}
    assert "nhóm xã" not in {it["title"] for it in manifests["D"]["items"]}


def test_shared_plans_give_what_planning_each_station_alone_gives(
    db: Session, rows: Rows, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    _setup(rows, db)
    generate_playlists(db, settings, [DAY], now=NIGHT, out_dir=tmp_path / "shared")
    db.commit()
    shared = _snapshot(db, tmp_path / "shared")
    db.execute(delete(PlaylistItem))
    db.execute(delete(Playlist))
    db.commit()
    monkeypatch.setattr(plan_cache, "plan_key", lambda *a: object())  # no two stations share a key
    planned = _counting(monkeypatch)
    for code in CODES:
        generate_playlists(db, settings, [DAY], [code], now=NIGHT, out_dir=tmp_path / "alone")
        db.commit()
    assert sorted(planned) == sorted(CODES)
    assert _snapshot(db, tmp_path / "alone") == shared


def test_files_and_stored_manifest_are_the_plain_encodings(db: Session, rows: Rows, settings: Settings):
    """What is spliced from shared parts is byte for byte what encoding each manifest gives."""
    _setup(rows, db)
    generate_playlists(db, settings, [DAY], now=NIGHT)
    db.commit()
    for code, (_, etag, _, text, items, files) in _snapshot(db, settings.playlists_dir).items():
        m = json.loads(files[0])
        stored = json.loads(text)
        assert stored == m and text == json.dumps(stored)  # json.dumps's defaults, as the column's
        assert list(stored) == ["station", "date", "version", "generated_at", "timezone", "emergency", "items",
                                "unplaced"]  # fmt: skip
        assert etag == manifest_etag(m)
        assert files == (manifest_json(m, canonical_json(m)), render_m3u8(m).encode(), render_xspf(m))
        assert [r[:2] + (r[4],) for r in items] == [
            (n, datetime.fromisoformat(it["start"]), it["title"]) for n, it in enumerate(m["items"])
        ], code


@pytest.mark.only_on("postgresql")  # PostgreSQL's TOAST compression
def test_manifests_are_compressed_with_lz4_on_postgresql(db: Session, rows: Rows, settings: Settings):
    """Migration 0013: pglz doubled the server's time to store a night's manifests."""
    assert db.get_bind().dialect.name == "postgresql"
    _setup(rows, db)
    generate_playlists(db, settings, [DAY], now=NIGHT)
    db.commit()
    method = db.scalar(text_sql(
        "SELECT attcompression FROM pg_attribute WHERE attrelid = 'playlists'::regclass AND attname = 'manifest'"
    ))
    assert method == "l"  # (these manifests are too small to be compressed at all)
