"""A jingle uploaded for a station or a group opens and closes that station's sessions."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from broadcast.errors import BroadcastError
from broadcast.generate import latest_playlist
from broadcast.jingles import upload_jingle
from loa.config import Settings
from tests.planner.conftest import Rows
from tests.planner.test_generate import DAY, run


def _wav(path: Path, seconds: float) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * int(8000 * seconds))
    return path


def test_own_jingle_wins_over_the_group_one_and_others_air_none(
        db: Session, rows: Rows, settings: Settings, tmp_path: Path) -> None:
    rows.station("A", groups=("Huyện",))
    rows.station("B", groups=("Huyện",))
    rows.station("C")
    rows.bulletin("x")
    db.commit()
    group = upload_jingle(db, _wav(tmp_path / "g.wav", 2), filename="g.wav", media_dir=settings.media_dir,
                          max_seconds=60, group="Huyện", actor="op")
    own = upload_jingle(db, _wav(tmp_path / "a.wav", 3), filename="a.wav", media_dir=settings.media_dir,
                        max_seconds=60, station_code="A", actor="op")
    db.commit()
    run(db, settings)
    a, b, c = (latest_playlist(db, code, DAY).manifest["items"] for code in "ABC")
    assert [it["kind"] for it in a] == ["jingle", "bulletin", "jingle"]
    assert a[0]["sha256"] == own.media_sha256 and a[1]["start"] == "2026-12-01T06:00:03+07:00"
    assert b[0]["sha256"] == group.media_sha256 and b[1]["start"] == "2026-12-01T06:00:02+07:00"
    assert [it["kind"] for it in c] == ["bulletin"]


def test_too_long_a_jingle_is_refused(db: Session, rows: Rows, settings: Settings, tmp_path: Path) -> None:
    rows.station("A")
    db.commit()
    with pytest.raises(BroadcastError, match="quá dài"):
        upload_jingle(db, _wav(tmp_path / "long.wav", 5), filename="long.wav", media_dir=settings.media_dir,
                      max_seconds=2, station_code="A", actor="op")
