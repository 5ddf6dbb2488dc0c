"""`loa scheduler` options and `--once`, in-process through click (the daemon runs in test_processes)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.engine import Engine

from broadcast.db import session_factory, session_scope
from broadcast.models import Playlist, SchedulerRun, Station
from loa.cli import cli
from loa.config import Settings
from tests.scheduler import seed

DAY = date(2026, 11, 26)


@pytest.mark.parametrize(("args", "env", "message"), [
    (["--at", "25:00"], {}, "Giờ không hợp lệ"),
    (["--drain-every", "0"], {}, "phải lớn hơn 0"),
    ([], {"LOA_FAKE_NOW": "hôm qua"}, "LOA_FAKE_NOW"),
    ([], {"LOA_NIGHTLY_TIME": "5h"}, "Giờ không hợp lệ"),
    ([], {"LOA_TIMEZONE": "Asia/Atlantis"}, "Múi giờ không hợp lệ"),
])
def test_bad_options_are_refused_before_anything_runs(args: list[str], env: dict[str, str], message: str,
                                                      settings: Settings) -> None:
    result = CliRunner().invoke(cli, ["scheduler", "--once", *args], env=env)
    assert result.exit_code != 0
    assert message in result.output
    assert not (settings.data_dir / "loa.db").exists()


def test_once_runs_the_night_isolates_a_bad_station_and_exits_1(settings: Settings, engine: Engine) -> None:
    f = session_factory(engine)
    with session_scope(f) as s:
        codes = seed.add_stations(s, 2)
        seed.approved_bulletin(s, settings, "Lịch tiêm phòng", valid_from=DAY, valid_to=DAY + timedelta(days=5))
    # The second station's playlist folder cannot be created: a file is in the way.
    settings.playlists_dir.mkdir(parents=True)
    (settings.playlists_dir / codes[1]).write_text("không phải thư mục")
    runner = CliRunner()
    result = runner.invoke(cli, ["scheduler", "--once"], env={"LOA_FAKE_NOW": f"{DAY}T09:00:00"})
    assert result.exit_code == 1, result.output
    assert "Hàng đợi tạo lại: đã xử lý 1 yêu cầu." in result.output
    assert f"Lỗi ở {codes[1]}" in result.output
    with session_scope(f) as s:
        good = list(s.scalars(select(Playlist.date).join(Station).where(Station.code == codes[0])))
        (run,) = s.scalars(select(SchedulerRun).where(SchedulerRun.job == "nightly")).all()
        assert run.status == "error" and set(run.errors or {}) == {codes[1]}
    assert sorted(good) == [DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)]
    # The failed night is retried by the next start (up to 3 attempts), then left for the next night.
    assert runner.invoke(cli, ["scheduler", "--once"], env={"LOA_FAKE_NOW": f"{DAY}T09:01:00"}).exit_code == 1
    assert runner.invoke(cli, ["scheduler", "--once"], env={"LOA_FAKE_NOW": f"{DAY}T09:02:00"}).exit_code == 1
    last = runner.invoke(cli, ["scheduler", "--once"], env={"LOA_FAKE_NOW": f"{DAY}T09:03:00"})
    assert last.exit_code == 0 and "đã chạy rồi" in last.output


def test_status_lists_the_latest_runs(settings: Settings, engine: Engine) -> None:
    runner = CliRunner()
    assert "Chưa có lượt chạy nào." in runner.invoke(cli, ["scheduler", "--status"]).output
    with session_scope(session_factory(engine)) as s:
        seed.add_stations(s, 2)
    assert runner.invoke(cli, ["scheduler", "--once"], env={"LOA_FAKE_NOW": f"{DAY}T09:00:00"}).exit_code == 0
    out = runner.invoke(cli, ["scheduler", "--status"]).output
    assert "đêm 2026-11-26 (once): xong" in out and "2 đài, 6 phiên bản mới" in out
