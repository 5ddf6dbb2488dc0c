"""``loa playlist generate`` and ``loa playlist show``."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from broadcast.playlist_cli import parse_day
from loa.cli import cli
from loa.config import Settings
from tests.planner.conftest import Rows


def separate_stderr() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click 8.1; 8.2 always keeps stderr apart
    except TypeError:
        return CliRunner()


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_parse_day_words_and_dates():
    today = date(2026, 11, 26)
    assert parse_day("today", today) == today
    assert parse_day("tomorrow", today) == today + timedelta(days=1)
    assert parse_day("2026-12-01", today) == date(2026, 12, 1)
    with pytest.raises(click.BadParameter, match="Ngày không hợp lệ"):
        parse_day("01/12/2026", today)


def test_generate_writes_files_under_out_and_is_idempotent(db: Session, rows: Rows, tmp_path: Path):
    rows.station("DT-01")
    rows.station("DT-02")
    rows.bulletin("Lịch tiêm phòng", valid_from=date(2026, 1, 1), valid_to=date(2030, 1, 1))
    db.commit()
    out = tmp_path / "pl"
    r = invoke("playlist", "generate", "--date", "2026-12-01", "--station", "DT-01", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "DT-01 2026-12-01 v1 (mới)" in r.output
    m = json.loads((out / "DT-01" / "2026-12-01.json").read_text("utf-8"))
    assert m["version"] == 1 and m["items"][0]["title"] == "Lịch tiêm phòng"
    assert (out / "DT-01" / "2026-12-01.m3u8").exists()
    assert not (out / "DT-02").exists()
    again = invoke("playlist", "generate", "--date", "2026-12-01", "--station", "DT-01", "--out", str(out))
    assert "v1 (không đổi)" in again.output and "0 phiên bản mới" in again.output


def test_generate_defaults_to_every_station_and_the_data_folder(db: Session, rows: Rows, settings: Settings):
    rows.station("A")
    rows.station("B")
    db.commit()
    r = invoke("playlist", "generate", "--date", "tomorrow", "--date", "today")
    assert r.exit_code == 0, r.output
    assert "4 danh sách, 4 phiên bản mới." in r.output
    assert len(list((settings.playlists_dir / "A").glob("*.json"))) == 2


def test_generate_unknown_station_fails_in_vietnamese(db: Session, rows: Rows):
    rows.station("A")
    db.commit()
    r = CliRunner().invoke(cli, ["playlist", "generate", "--date", "today", "--station", "NOPE"])
    assert r.exit_code != 0 and "Không có đài mã: NOPE" in r.output


def test_generate_requires_a_valid_date(db: Session):
    r = CliRunner().invoke(cli, ["playlist", "generate", "--date", "mai"])
    assert r.exit_code == 2 and "Ngày không hợp lệ" in r.output


def test_show_prints_the_latest_playlist(db: Session, rows: Rows):
    rows.station("A")
    rows.bulletin("Thông báo họp dân", valid_from=date(2026, 1, 1), valid_to=date(2030, 1, 1))
    rows.bulletin("Chưa dựng", None, valid_from=date(2026, 1, 1), valid_to=date(2030, 1, 1))
    db.commit()
    invoke("playlist", "generate", "--date", "2026-12-01")
    r = invoke("playlist", "show", "A", "2026-12-01")
    assert r.exit_code == 0
    assert "Đài A, ngày 2026-12-01, phiên bản 1" in r.output
    assert "06:00:00" in r.output and "Thông báo họp dân" in r.output
    assert "Không xếp được" in r.output and "Chưa dựng" in r.output
    as_json = json.loads(invoke("playlist", "show", "A", "2026-12-01", "--json").output)
    assert as_json["station"] == "A"
    missing = CliRunner().invoke(cli, ["playlist", "show", "A", "2026-12-02"])
    assert missing.exit_code == 1 and "Chưa có danh sách phát" in missing.output


def test_many_stations_report_progress_on_stderr(db: Session, rows: Rows):
    for i in range(60):
        rows.station(f"S{i:02d}")
    db.commit()
    r = separate_stderr().invoke(cli, ["playlist", "generate", "--date", "2026-12-01"])
    assert r.exit_code == 0
    assert "60/60 danh sách đã lập" in r.stderr
    assert "60 danh sách, 60 phiên bản mới." in r.stdout and "S00 " not in r.stdout


def test_generate_emergency_puts_it_on_air_now(db: Session, rows: Rows, settings: Settings):
    rows.station("A")
    rows.bulletin("BÃO", priority="emergency", valid_from=date(2000, 1, 1), valid_to=date(2100, 1, 1))
    db.commit()
    r = invoke("playlist", "generate", "--date", "today", "--emergency")
    assert r.exit_code == 0, r.output
    (path,) = (settings.playlists_dir / "A").glob("*.json")
    m = json.loads(path.read_text("utf-8"))
    assert m["emergency"] is True and m["items"][0]["title"] == "BÃO"


def test_missing_station_id_jingle_is_a_clear_error(db: Session, rows: Rows, monkeypatch: pytest.MonkeyPatch):
    rows.station("A")
    db.commit()
    monkeypatch.setenv("LOA_STATION_ID_JINGLE", "khong-co.mp3")
    r = CliRunner().invoke(cli, ["playlist", "generate", "--date", "2026-12-01"])
    assert r.exit_code == 1 and "Không tìm thấy nhạc hiệu đài: khong-co.mp3" in r.output


def test_inactive_station_is_skipped_with_a_note(db: Session, rows: Rows):
    rows.station("A")
    rows.station("OFF", active=False)
    db.commit()
    r = separate_stderr().invoke(
        cli, ["playlist", "generate", "--date", "2026-12-01", "--station", "A", "--station", "OFF"]
    )
    assert r.exit_code == 0
    assert "Bỏ qua đài đang ngừng hoạt động: OFF" in r.stderr and "1 danh sách" in r.stdout


def test_plain_folder_export_is_readable_without_the_api(
    db: Session, rows: Rows, settings: Settings, tmp_path: Path
):
    from urllib.parse import urljoin

    from broadcast.generate import latest_playlist
    from broadcast.models import MediaFile

    rows.station("A")
    b = rows.bulletin("Lịch cắt điện", valid_from=date(2026, 1, 1), valid_to=date(2030, 1, 1))
    rows.relay("VOV1", 12, 0, 15)
    mf = db.get(MediaFile, b.media_sha256)
    (settings.media_dir / mf.path).parent.mkdir(parents=True)
    (settings.media_dir / mf.path).write_bytes(b"ID3 fake mp3")
    db.commit()
    out = tmp_path / "usb"
    r = invoke("playlist", "generate", "--date", "2026-12-01", "--out", str(out), "--folder")
    assert r.exit_code == 0, r.output
    m = json.loads((out / "A" / "2026-12-01.json").read_text("utf-8"))
    bulletin_item, relay_item = m["items"]
    assert bulletin_item["url"] == f"../media/{mf.sha256}.mp3"
    assert relay_item["url"] == "http://stream/VOV1"
    # how the agent's "folder" layout resolves it
    assert (
        urljoin("http://nas/loa/A/2026-12-01.json", bulletin_item["url"])
        == f"http://nas/loa/media/{mf.sha256}.mp3"
    )
    assert (out / "media" / f"{mf.sha256}.mp3").read_bytes() == b"ID3 fake mp3"
    assert f"../media/{mf.sha256}.mp3" in (out / "A" / "2026-12-01.m3u8").read_text("utf-8")
    # the API's copy keeps API urls
    assert (
        latest_playlist(db, "A", date(2026, 12, 1)).manifest["items"][0]["url"].startswith("/api/v1/media/")
    )


def test_generate_into_an_unwritable_folder_is_a_clear_error_and_stores_nothing(
    db: Session, rows: Rows, tmp_path: Path
):
    from sqlalchemy import func, select

    from broadcast.models import Playlist

    rows.station("DT-01")
    rows.bulletin("Lịch tiêm phòng", valid_from=date(2026, 1, 1), valid_to=date(2030, 1, 1))
    db.commit()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", "utf-8")
    r = CliRunner().invoke(cli, ["playlist", "generate", "--date", "2026-12-01", "--out", str(blocker / "sub")])
    assert r.exit_code == 1 and "Không ghi được danh sách phát" in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Playlist)) == 0
