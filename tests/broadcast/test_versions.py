"""Versions in minority languages (issue 11.6) through the services and the `loa` commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from broadcast import stations as st
from broadcast import versions
from broadcast.errors import BroadcastError, CsvErrors
from broadcast.models import AuditLog, Bulletin, BulletinVersion, MediaFile, RegenRequest
from tests.broadcast.test_cli import run as run  # noqa: F401  (the fixture)
from tests.conftest import SAMPLES, SPEECH

CSV = "code,name,kind,sessions,languages\nha,Xã Hiệp An,xa,\"Mon-Sun 05:30-06:00\",kpm cje\ntn,Xã Tà Năng,xa,\"Mon-Sun 05:30-06:00\",\n"


def test_the_stations_csv_lists_the_languages_each_station_airs(session: Session) -> None:
    st.import_stations(session, st.parse_stations_csv(CSV))
    assert st.get_station(session, "ha").languages == "kpm cje" and st.get_station(session, "tn").languages == ""
    with pytest.raises(CsvErrors, match="dòng 2.*ISO 639-3"):
        st.parse_stations_csv(CSV.replace("kpm cje", "K'Ho"))


def test_version_commands(run, factory: sessionmaker[Session], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    csv_file = tmp_path / "st.csv"
    csv_file.write_text(CSV, "utf-8")
    assert run("stations", "import", str(csv_file)).exit_code == 0
    res = run("bulletin", "add", str(SAMPLES / "lich-cat-dien.txt"), "--title", "Lịch cắt điện", "--approve")
    assert res.exit_code == 0, res.stderr
    with factory() as s:
        bid = s.scalar(select(Bulletin.id).where(Bulletin.title == "Lịch cắt điện"))
        s.query(RegenRequest).delete()
        s.commit()
    wav = sorted(SPEECH.glob("*.wav"))[0]
    res = run("bulletin", "version", "add", str(bid), str(wav), "--language", "kpm")
    assert res.exit_code == 0, res.stderr
    assert f"Đã thêm bản Tiếng K'Ho (kpm) cho bản tin #{bid}." in res.stdout
    listed = run("bulletin", "version", "list", str(bid)).stdout
    assert listed.startswith("kpm  Tiếng K'Ho") and "audio" in listed
    with factory() as s:
        v = s.scalar(select(BulletinVersion))
        assert v is not None and v.media_sha256 and s.get(MediaFile, v.media_sha256).duration_s > 0  # type: ignore[union-attr]
        assert s.scalar(select(AuditLog.action).where(AuditLog.action == "bulletin.version")) is not None
        assert s.scalar(select(RegenRequest.id)) is not None  # its stations get new playlists
    text = tmp_path / "cje.txt"
    text.write_text("Thông báo bằng tiếng Chu Ru.", "utf-8")
    res = run("bulletin", "version", "add", str(bid), str(text), "--language", "cje")
    assert res.exit_code == 1 and "cần giọng đọc nói được tiếng này" in res.stderr
    res = run("bulletin", "version", "add", str(bid), str(wav), "--language", "vie")
    assert res.exit_code == 1 and "nội dung chính" in res.stderr
    assert run("stations", "languages", "tn").stdout.strip() == "Đài tn: Tiếng Việt."
    res = run("stations", "languages", "tn", "kpm")
    assert res.stdout.strip() == "Đài tn: Tiếng Việt, Tiếng K'Ho (kpm)."
    assert run("bulletin", "version", "remove", str(bid), "--language", "kpm").exit_code == 0
    res = run("bulletin", "version", "remove", str(bid), "--language", "kpm")
    assert res.exit_code == 1 and "không có bản Tiếng K'Ho" in res.stderr


def test_a_text_version_needs_exactly_one_source(session: Session, settings) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from broadcast import bulletins as bl

    b = bl.create_bulletin(session, title="T", body="Nội dung.", valid_from=date(2026, 12, 1),
                           valid_to=date(2026, 12, 1), actor="e")
    with pytest.raises(BroadcastError, match="đúng một nguồn"):
        versions.save_version(session, settings, b.id, "kpm", actor="e")
    with pytest.raises(BroadcastError, match="ISO 639-3"):
        versions.save_version(session, settings, b.id, "k'ho", text="x", voice="v", actor="e")
