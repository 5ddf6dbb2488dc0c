from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from broadcast import asrun
from broadcast import stations as st
from broadcast.models import Bulletin, MediaFile, RegenRequest
from loa.cli import cli
from tests.broadcast.conftest import STATIONS_CSV, count_rows
from tests.conftest import SAMPLES, SPEECH


@pytest.fixture
def run(factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Invoke `loa …` in-process; stdout and stderr kept apart. Offline voice only."""
    monkeypatch.setenv("LOA_ENGINE_ORDER", "espeak")

    def invoke(*args: str) -> Result:
        try:
            runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]
        except TypeError:  # click ≥ 8.2 always keeps them apart
            runner = CliRunner()
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_stations_import_list_token_sessions(run, factory: sessionmaker[Session]) -> None:  # type: ignore[no-untyped-def]
    res = run("stations", "import", str(STATIONS_CSV), "--group", "Đức Trọng", "--district", "Đức Trọng")
    assert res.exit_code == 0, res.stderr
    assert "Đã nhập 15 đài (15 mới, 0 cập nhật), 30 phiên phát, nhóm 'Đức Trọng'." in res.stdout
    listed = json.loads(run("stations", "list", "--json").stdout)
    assert len(listed) == 15 and listed[0]["groups"] == ["Đức Trọng"]
    nthol = next(s for s in listed if s["code"] == "nthol-ha")
    assert nthol["sessions"] == "Mon-Sun 05:30-06:15; Mon-Sun 17:00-17:45" and not nthol["has_token"]
    table = run("stations", "list").stdout
    assert "Xã Tà Hine" in table
    assert "Hằng ngày 05:30–06:15; Hằng ngày 17:00–17:45" in table and "Mon-Sun" not in table

    res = run("stations", "token", "hiep-an")
    token = res.stdout.strip()
    assert res.exit_code == 0 and len(token) >= 43 and "không hiển thị lại" in res.stderr
    with factory() as s:
        assert st.authenticate_station(s, "hiep-an", token).code == "hiep-an"

    res = run(
        "stations", "session", "add", "hiep-an", "19:00-19:30", "--date", "2026-12-01", "--name", "Phiên tối"
    )
    assert res.exit_code == 0 and "2026-12-01 19:00-19:30" in res.stdout
    res = run("stations", "session", "add", "hiep-an", "Mon-Fri 05:45-06:15")
    assert res.exit_code == 1 and "trùng giờ" in res.stderr
    out = run("stations", "session", "list", "hiep-an").stdout
    assert "2026-12-01 19:00-19:30" in out and "Phiên tối" in out and "Mon-Fri" not in out
    assert run("stations", "token", "nowhere").exit_code == 1


def test_bad_csv_lists_every_line_and_imports_nothing(
    run, tmp_path: Path, factory: sessionmaker[Session]
) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.csv"
    lines = STATIONS_CSV.read_text("utf-8").splitlines()
    lines[3] = lines[3].replace(",xa,", ",huyen,")  # line 4
    lines[8] = lines[8].replace("17:00-17:45", "05:45-06:30")  # line 9: overlaps the morning
    bad.write_text("\n".join(lines) + "\n", "utf-8")
    res = run("stations", "import", str(bad))
    assert res.exit_code == 1
    assert "2 dòng lỗi" in res.stderr and "dòng 4: loại đài 'huyen'" in res.stderr and "dòng 9:" in res.stderr
    ansi = tmp_path / "ansi.csv"
    ansi.write_bytes(STATIONS_CSV.read_text("utf-8").encode("cp1258", errors="replace"))
    res = run("stations", "import", str(ansi))
    assert res.exit_code == 1 and "CSV UTF-8" in res.stderr
    with factory() as s:
        assert count_rows(s)["stations"] == 0


def test_bulletin_lifecycle(run, factory: sessionmaker[Session]) -> None:  # type: ignore[no-untyped-def]
    assert run("stations", "import", str(STATIONS_CSV), "--group", "duc-trong").exit_code == 0
    script = str(SAMPLES / "lich-cat-dien.txt")
    res = run(
        "bulletin",
        "add",
        script,
        "--title",
        "Lịch cắt điện",
        "--from",
        "2026-12-01",
        "--to",
        "2026-12-03",
        "--plays",
        "2",
        "--station",
        "hiep-an,ta-nang",
        "--station",
        "da-loan",
        "--actor",
        "editor1",
    )
    assert res.exit_code == 0, res.stderr
    draft_id = int(res.stdout)

    # unknown station: an error, and nothing stored
    with factory() as s:
        before = count_rows(s)
    res = run(
        "bulletin",
        "add",
        script,
        "--title",
        "X",
        "--from",
        "2026-12-01",
        "--to",
        "2026-12-01",
        "--station",
        "nowhere",
    )
    assert res.exit_code == 1 and "Không có đài mã: nowhere." in res.stderr
    res = run("bulletin", "add", script, "--title", "X", "--from", "2026-12-05", "--to", "2026-12-01")
    assert res.exit_code == 1 and "trước ngày bắt đầu" in res.stderr
    with factory() as s:
        assert count_rows(s) == before

    # --approve: submitted, approved and rendered at once, with progress on stderr
    res = run(
        "bulletin",
        "add",
        str(SAMPLES / "canh-bao-bao-khan-cap.txt"),
        "--title",
        "Cảnh báo bão",
        "--priority",
        "emergency",
        "--group",
        "duc-trong",
        "--approve",
        "--actor",
        "chairman",
    )
    assert res.exit_code == 0, res.stderr
    urgent_id = int(res.stdout)
    assert "100%" in res.stderr and "Âm thanh:" in res.stderr

    listed = {b["id"]: b for b in json.loads(run("bulletin", "list", "--json").stdout)}
    draft = listed[draft_id]
    assert (draft["status"], draft["plays_per_day"], draft["targets"], draft["render_status"]) == (
        "draft",
        2,
        "da-loan,hiep-an,ta-nang",
        "none",
    )
    assert (draft["valid_from"], draft["valid_to"], draft["title"]) == (
        "2026-12-01",
        "2026-12-03",
        "Lịch cắt điện",
    )
    assert listed[urgent_id]["status"] == "approved" and listed[urgent_id]["render_status"] == "done"
    assert listed[urgent_id]["targets"] == "nhóm:duc-trong" and listed[urgent_id]["priority"] == "emergency"
    with factory() as s:
        urgent = s.get(Bulletin, urgent_id)
        assert urgent is not None and [t.actor for t in urgent.transitions] == ["chairman", "chairman"]
        assert s.get(MediaFile, urgent.media_sha256) is not None
        assert s.scalars(select(RegenRequest.emergency).where(RegenRequest.bulletin_id == urgent_id)).all()[0]

    assert json.loads(run("bulletin", "list", "--json", "--status", "approved").stdout)[0]["id"] == urgent_id
    assert "Cảnh báo bão" in run("bulletin", "list").stdout

    # review: reject needs a reason, invalid transitions fail with exit 1
    assert run("bulletin", "reject", str(draft_id)).exit_code == 2  # --comment is required
    res = run("bulletin", "reject", str(draft_id), "--comment", "Chưa gửi")
    assert res.exit_code == 1 and "không thể chuyển" in res.stderr
    assert run("bulletin", "submit", str(draft_id)).exit_code == 0
    assert "bị từ chối" in run("bulletin", "reject", str(draft_id), "--comment", "Sai giờ").stdout
    res = run("bulletin", "approve", str(draft_id), "--no-render")
    assert res.exit_code == 1 and "bị từ chối" in res.stderr
    assert "đã lưu trữ" in run("bulletin", "archive", str(draft_id)).stdout
    assert run("bulletin", "archive", "999").exit_code == 1
    shown = json.loads(run("bulletin", "show", str(draft_id), "--json").stdout)
    assert [(h["from"], h["to"], h["comment"]) for h in shown["history"]] == [
        ("draft", "submitted", ""),
        ("submitted", "rejected", "Sai giờ"),
        ("rejected", "archived", ""),
    ]
    text = run("bulletin", "show", str(urgent_id)).stdout
    assert "đã duyệt, khẩn cấp" in text and "Đài (15)" in text and "Âm thanh:" in text


def test_bulletin_from_a_recording(run, factory: sessionmaker[Session]) -> None:  # type: ignore[no-untyped-def]
    res = run("bulletin", "add", str(SPEECH / "vi-speech-02.wav"), "--title", "Ghi âm của xã")
    assert res.exit_code == 0, res.stderr
    with factory() as s:
        b = s.get(Bulletin, int(res.stdout))
        assert b is not None and b.source_kind == "audio" and b.body == ""
        assert b.valid_from == b.valid_to  # defaults: today only
        assert s.get(MediaFile, b.upload_sha256) is not None


def test_report_asrun_csv_to_stdout_and_file(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("stations", "import", str(STATIONS_CSV)).exit_code == 0
    res = run("report", "asrun", "--from", "2026-12-01", "--to", "2026-12-07", "--format", "csv")
    assert res.exit_code == 0
    assert res.stdout_bytes.startswith(b"\xef\xbb\xbf")
    header = next(csv.reader(io.StringIO(res.stdout_bytes.decode("utf-8-sig"))))
    assert header[0] == "Mã đài"
    out = tmp_path / "bao-cao.csv"
    to_file = run(
        "report", "asrun", "--from", "2026-12-01", "--to", "2026-12-07", "--format", "csv", "-o", str(out)
    )
    assert to_file.exit_code == 0 and to_file.stdout == "" and out.read_bytes() == res.stdout_bytes
    assert "Không có dữ liệu" in run("report", "asrun", "--from", "2026-12-01", "--to", "2026-12-07").stdout
    assert (
        json.loads(
            run("report", "asrun", "--from", "2026-12-01", "--to", "2026-12-07", "--format", "json").stdout
        )["rows"]
        == []
    )
    res = run("report", "asrun", "--from", "2026-12-07", "--to", "2026-12-01")
    assert res.exit_code == 1 and "trước ngày đầu" in res.stderr


def test_db_upgrade(run) -> None:  # type: ignore[no-untyped-def]
    from broadcast import db

    res = run("db", "upgrade")
    assert res.exit_code == 0 and f"phiên bản {db.head_revision()}" in res.stdout


def _loa() -> list[str]:
    exe = Path(sys.executable).with_name("loa.exe" if os.name == "nt" else "loa")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "loa"]


def test_real_loa_process(db_url: str, factory: sessionmaker[Session]) -> None:
    """The installed `loa` entry point as a user runs it: a separate process, real stdout bytes.
    (One run only: starting `loa` imports every package and takes seconds on a loaded machine.)"""
    with factory() as s, s.begin():
        st.import_stations(s, st.parse_stations_csv(STATIONS_CSV.read_text("utf-8")))
        asrun.record_asrun(
            s,
            st.get_station(s, "da-quyn"),
            [
                {
                    "uid": "r1",
                    "date": "2026-12-01",
                    "kind": "relay",
                    "title": "Thời sự VOV1",
                    "status": "played",
                    "actual_start": "2026-12-01T06:00:00+07:00",
                    "actual_end": "2026-12-01T06:15:00+07:00",
                }
            ],
        )
    env = {**os.environ, "LOA_DATABASE_URL": db_url}
    done = subprocess.run(
        [*_loa(), "report", "asrun", "--from", "2026-12-01", "--to", "2026-12-01", "--format", "csv"],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(done.stdout.decode("utf-8-sig"))))
    assert table[0][:2] == ["Mã đài", "Tên đài"]
    assert table[1][:5] == ["da-quyn", "Xã Đa Quyn", "Tiếp sóng", "", "Thời sự VOV1"]  # Vietnamese labels (issue 7, 29)
    assert table[1][8:11] == ["1", "0", "15,0"]  # aired once, not cut, 15 minutes (after "chưa đến giờ")


def test_db_revision_writes_the_next_numbered_migration(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from broadcast import db

    migrations = tmp_path / "migrations"
    shutil.copytree(db.MIGRATIONS_DIR, migrations, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(db, "MIGRATIONS_DIR", migrations)
    head = db.head_revision()
    assert head is not None and head.isdigit()
    following = f"{int(head) + 1:04d}"
    res = run("db", "revision", "-m", "nothing new")
    assert res.exit_code == 0, res.stderr
    (new,) = (migrations / "versions").glob(f"{following}_*.py")
    text = new.read_text("utf-8")
    assert f"revision: str = '{following}'" in text and f"down_revision: str | None = '{head}'" in text
    # models and migrations agree, so there is nothing to do
    assert (
        "def upgrade() -> None:\n    # ### commands auto generated by Alembic - please adjust! ###\n    pass"
        in text
    )
