"""loa cap import, through the real command line (in-process), over broadcast/cap.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.orm import Session, sessionmaker

from loa.cli import cli
from tests.broadcast.conftest import count_rows
from tests.broadcast.test_cap import BILLION_LAUGHS, DATA, STATIONS, TREE


@pytest.fixture
def run(factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def tree(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "u.csv").write_text(TREE, "utf-8")
    (tmp_path / "s.csv").write_text(STATIONS, "utf-8")
    assert run("units", "import", str(tmp_path / "u.csv")).exit_code == 0
    assert run("stations", "import", str(tmp_path / "s.csv")).exit_code == 0


def test_import_prints_what_happened_and_a_repeat_changes_nothing(run, tree: None) -> None:  # type: ignore[no-untyped-def]
    res = run("cap", "import", str(DATA / "vn-storm-warning.xml"))
    assert res.exit_code == 0, res.output
    assert "Cảnh báo CAP (Alert): đã tạo bản tin khẩn cấp, bản tin #1 (submitted)." in res.stdout
    assert "Đài nhận: ha-1, ha-2, lh-1" in res.stdout
    again = json.loads(run("cap", "import", "--json", str(DATA / "vn-storm-warning.xml")).stdout)
    assert again["action"] == "duplicate" and again["bulletin"] == 1
    res = run("cap", "import", str(DATA / "oasis-a2-severe-thunderstorm.xml"))
    assert "không có phần tiếng Việt: đã dùng phần đầu tiên (ngôn ngữ en-US)" in res.stdout
    assert "người duyệt cần chọn đài nhận" in res.stdout and "Mã vùng không khớp: SAME=006109" in res.stdout


def test_auto_approved_alert_is_rendered_and_published(run, tree: None, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LOA_CAP_AUTO_APPROVE", "1")
    monkeypatch.setenv("LOA_ENGINE_ORDER", "espeak")
    res = run("cap", "import", str(DATA / "vn-storm-warning.xml"))
    assert res.exit_code == 0, res.output
    assert "Đã tự động duyệt (Extreme, Immediate)." in res.stdout
    assert "Âm thanh:" in res.output and "Đã lập lại danh sách phát" in res.output  # as `loa bulletin approve` says


def test_hostile_files_are_a_vietnamese_error_and_write_nothing(run, tree: None, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                 session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    before = count_rows(session)
    bomb = tmp_path / "bomb.xml"
    bomb.write_bytes(BILLION_LAUGHS)
    res = run("cap", "import", str(bomb))
    assert res.exit_code == 1 and "billion laughs" in res.output
    monkeypatch.setenv("LOA_CAP_MAX_BYTES", "100")
    res = run("cap", "import", str(DATA / "vn-storm-warning.xml"))
    assert res.exit_code == 1 and "quá lớn: 101 byte, tối đa 100 byte" in res.output  # read no further
    session.rollback()
    assert count_rows(session) == before


def test_help_is_vietnamese_then_english(run) -> None:  # type: ignore[no-untyped-def]
    out = " ".join(run("cap", "import", "--help").stdout.split())
    assert "Nhập một cảnh báo CAP 1.2" in out and "/ Import one CAP 1.2 message" in out


def test_a_panel_account_without_the_emergency_right_is_refused(run, tree: None, session: Session) -> None:  # type: ignore[no-untyped-def]
    from broadcast import users
    from broadcast.models import Role

    users.create_user(session, username="bientap", role=Role.EDITOR, password="mat-khau-dai-du-12", actor="admin")
    session.commit()
    before = count_rows(session)
    res = run("cap", "import", "--actor", "bientap", str(DATA / "vn-storm-warning.xml"))
    assert res.exit_code == 1 and "không có quyền làm việc này (emergency)" in res.output
    session.rollback()
    assert count_rows(session) == before
