"""`loa scheduler` as real processes on a real database and real files: killed mid-run, restarted
across midnight, two at once, approvals and emergencies while it runs, and its stored jobs.

Time is controlled with LOA_FAKE_NOW (read only by the daemon's clock), so a night passes in seconds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from broadcast import bulletins
from broadcast.db import session_factory, session_scope
from broadcast.models import Playlist, RegenRequest, SchedulerRun, Station
from broadcast.playlist_files import manifest_etag
from loa.cli import cli
from loa.config import Settings
from tests.scheduler import seed

# Daemons are started and stopped with POSIX signals (SIGKILL has no Windows equivalent).
pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.name != "posix", reason="POSIX signals")]

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2026, 11, 26)  # the fake "today" of these tests
FAST = ["--drain-every", "0.3", "--watch-every", "0.3", "--lease", "1.5"]


class Daemon:
    """One `loa scheduler` process, its output kept in a file for failure reports."""

    def __init__(self, tmp: Path, args: list[str], fake_now: str | None) -> None:
        env = dict(os.environ)
        env.pop("LOA_FAKE_NOW", None)
        if fake_now:
            env["LOA_FAKE_NOW"] = fake_now
        self.log_path = tmp / f"daemon-{time.monotonic_ns()}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "loa", "-v", "scheduler", *args], env=env, cwd=ROOT,
                                     stdout=self._log, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        """SIGTERM; returns the exit code (the daemon must exit by itself, cleanly)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(20)
        self._log.close()
        return rc


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[Callable[..., Daemon]]:
    started: list[Daemon] = []

    def start(*args: str, fake_now: str | None = f"{DAY}T10:00:00") -> Daemon:
        d = Daemon(tmp_path, list(args), fake_now)
        started.append(d)
        return d

    yield start
    for d in started:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait(10)


def wait_for(cond: Callable[[], Any], timeout: float, what: str, *procs: Daemon) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        for p in procs:
            assert p.proc.poll() is None, f"daemon exited ({p.proc.returncode}):\n{p.output()}"
        time.sleep(0.05)
    logs = "\n".join(p.output()[-4000:] for p in procs)
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


def nightly_runs(f: sessionmaker[Session]) -> list[tuple[date | None, str]]:
    with session_scope(f) as s:
        return [(r.slot, r.status) for r in s.scalars(
            select(SchedulerRun).where(SchedulerRun.job == "nightly").order_by(SchedulerRun.id))]


def run_done(f: sessionmaker[Session], slot: date) -> bool:
    return (slot, "ok") in nightly_runs(f)


def jobs(engine: Engine) -> dict[str, float]:
    """APScheduler's persistent job table: job id → next run time (epoch seconds)."""
    with engine.connect() as c:
        return {r[0]: r[1] for r in c.execute(text("SELECT id, next_run_time FROM scheduler_jobs"))}


def days_from(first: date, n: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(n)]


def assert_consistent(f: sessionmaker[Session], settings: Settings, codes: list[str], days: list[date]) -> None:
    """Every station has every day; versions are 1..N, each a real change; the files on disk are
    complete and are exactly the latest stored version."""
    with session_scope(f) as s:
        for code in codes:
            for day in days:
                rows = s.execute(
                    select(Playlist.version, Playlist.etag, Playlist.manifest)
                    .join(Station).where(Station.code == code, Playlist.date == day).order_by(Playlist.version)
                ).all()
                assert [r.version for r in rows] == list(range(1, len(rows) + 1)), (code, day)
                assert rows, f"missing playlist {code} {day}"
                etags = [r.etag for r in rows]
                assert all(a != b for a, b in zip(etags, etags[1:], strict=False)), f"duplicate version {code} {day}"
                base = settings.playlists_dir / code / day.isoformat()
                on_disk = json.loads(base.with_suffix(".json").read_text())
                assert on_disk["version"] == rows[-1].version
                assert manifest_etag(on_disk) == rows[-1].etag == manifest_etag(rows[-1].manifest)
                assert base.with_suffix(".m3u8").stat().st_size > 0
    for path in settings.playlists_dir.rglob("*.json"):
        if not path.name.startswith("."):
            json.loads(path.read_text())  # no partial file at a final path


def test_sigkill_mid_run_then_restart_completes_the_night(
    settings: Settings, engine: Engine, daemons: Callable[..., Daemon]
) -> None:
    f = session_factory(engine)
    with session_scope(f) as s:
        codes = seed.add_stations(s, 120)
        for i in range(3):
            seed.approved_bulletin(s, settings, f"Thông báo {i}", valid_from=DAY, valid_to=DAY + timedelta(days=9))
        seed.clear_outbox(s)
    total = len(codes) * 3

    def stored() -> int:
        with session_scope(f) as s:
            return int(s.scalar(select(func.count(Playlist.id))) or 0)

    first = daemons(*FAST)
    wait_for(lambda: stored() > 0, 30, "the first playlists", first)
    first.kill()
    at_kill = stored()
    assert 0 < at_kill < total, "the kill must land mid-run for this test to mean anything"
    assert nightly_runs(f) == [(DAY, "running")]

    # Restarted, it takes the dead run over once its lease lapses; a SIGTERM mid-run stops it cleanly
    # between two stations and frees the night for the next start.
    second = daemons(*FAST)
    wait_for(lambda: nightly_runs(f)[-1:] == [(DAY, "running")] and len(nightly_runs(f)) == 2, 30,
             "the takeover", second)
    assert second.stop() == 0
    assert "scheduler stopped" in second.output()
    assert nightly_runs(f) == [(DAY, "abandoned"), (DAY, "interrupted")]

    third = daemons(*FAST)
    wait_for(lambda: run_done(f, DAY), 40, "the night to be redone", third)
    assert third.stop() == 0
    assert nightly_runs(f) == [(DAY, "abandoned"), (DAY, "interrupted"), (DAY, "ok")]
    assert stored() == total  # everything, and nothing twice: a rerun of an unchanged day adds no version
    assert_consistent(f, settings, codes, days_from(DAY, 3))


def test_restart_across_midnight_runs_each_night_exactly_once(
    settings: Settings, engine: Engine, daemons: Callable[..., Daemon]
) -> None:
    f = session_factory(engine)
    with session_scope(f) as s:
        codes = seed.add_stations(s, 3)
        seed.approved_bulletin(s, settings, "Lịch tiêm phòng", valid_from=DAY, valid_to=DAY + timedelta(days=9))
        seed.clear_outbox(s)

    evening = daemons(*FAST, fake_now=f"{DAY}T23:59:45")
    wait_for(lambda: run_done(f, DAY), 20, "the evening catch-up", evening)
    assert evening.stop() == 0
    stored_jobs = jobs(engine)
    assert set(stored_jobs) == {"nightly", "nightly-watch", "regen-drain"}

    nxt = DAY + timedelta(days=1)
    # Back after the nightly time, twice at once on the same database.
    a = daemons(*FAST, fake_now=f"{nxt}T00:06:00")
    b = daemons(*FAST, fake_now=f"{nxt}T00:06:00")
    wait_for(lambda: run_done(f, nxt), 20, "the midnight catch-up", a, b)
    time.sleep(1.5)  # several watch ticks of both daemons, and a lease period, go by
    assert a.stop() == 0 and b.stop() == 0
    assert nightly_runs(f) == [(DAY, "ok"), (nxt, "ok")]
    # The stored nightly job survived the restarts as it was (real time has not reached 00:05 yet).
    assert jobs(engine)["nightly"] == stored_jobs["nightly"]

    # A later start the same night runs nothing (--once in-process: same code, no process start-up).
    once = CliRunner().invoke(cli, ["scheduler", "--once"], env={"LOA_FAKE_NOW": f"{nxt}T00:30:00"})
    assert once.exit_code == 0, once.output
    assert "đã chạy rồi" in once.output
    assert nightly_runs(f) == [(DAY, "ok"), (nxt, "ok")]

    # Down for two nights: one catch-up, for today, and today's playlist exists.
    later = DAY + timedelta(days=4)
    once = CliRunner().invoke(cli, ["scheduler", "--once"], env={"LOA_FAKE_NOW": f"{later}T08:00:00"})
    assert once.exit_code == 0, once.output
    assert nightly_runs(f) == [(DAY, "ok"), (nxt, "ok"), (later, "ok")]
    assert_consistent(f, settings, codes, days_from(DAY, 4) + days_from(later, 3))
    with session_scope(f) as s:
        # The night after `DAY` re-covered days the evening run had made: no new version for them.
        assert set(s.scalars(select(Playlist.version).where(Playlist.date.in_(days_from(nxt, 2))))) == {1}


def test_a_running_daemon_crosses_midnight_and_runs_the_new_night_once(
    settings: Settings, engine: Engine, daemons: Callable[..., Daemon]
) -> None:
    f = session_factory(engine)
    with session_scope(f) as s:
        codes = seed.add_stations(s, 2)
    d = daemons(*FAST, "--at", "00:00", fake_now=f"{DAY}T23:59:56")
    nxt = DAY + timedelta(days=1)
    wait_for(lambda: run_done(f, nxt), 20, "the night after midnight", d)
    time.sleep(1.0)
    assert d.stop() == 0
    assert nightly_runs(f) == [(DAY, "ok"), (nxt, "ok")]
    assert_consistent(f, settings, codes, days_from(DAY, 4))


def _latest_manifest(f: sessionmaker[Session], code: str, day: date) -> dict[str, Any]:
    with session_scope(f) as s:
        m = s.scalar(select(Playlist.manifest).join(Station).where(Station.code == code, Playlist.date == day)
                     .order_by(Playlist.version.desc()).limit(1))
        return dict(m or {})


def _file(settings: Settings, code: str, day: date) -> dict[str, Any]:
    path = settings.playlists_dir / code / f"{day}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def test_approval_change_withdrawal_and_emergency_reach_playlists_while_running(
    settings: Settings, engine: Engine, daemons: Callable[..., Daemon]
) -> None:
    f = session_factory(engine)
    with session_scope(f) as s:
        codes = seed.add_stations(s, 3)
        seed.approved_bulletin(s, settings, "Lịch cắt điện", valid_from=DAY, valid_to=DAY + timedelta(days=9))
    target, other, third = codes
    d = daemons(*FAST)
    wait_for(lambda: run_done(f, DAY), 20, "the first run", d)

    def titles(code: str, day: date) -> list[str]:
        return [it["title"] for it in _file(settings, code, day).get("items", [])]

    # Approval: the targeted station's playlists change within seconds; the others do not.
    before_other = _latest_manifest(f, other, DAY)["version"]
    with session_scope(f) as s:
        b = seed.approved_bulletin(s, settings, "Họp dân thôn 3", valid_from=DAY, valid_to=DAY + timedelta(days=9),
                                   station_codes=[target])
        bid = b.id
    wait_for(lambda: "Họp dân thôn 3" in titles(target, DAY + timedelta(days=1)), 10, "approval", d)
    assert "Họp dân thôn 3" in titles(target, DAY)
    assert _latest_manifest(f, other, DAY)["version"] == before_other
    assert "Họp dân thôn 3" not in titles(other, DAY)

    # Change of an approved bulletin (twice a day now): its station's playlists follow.
    with session_scope(f) as s:
        bulletins.update_bulletin(s, bulletins.get_bulletin(s, bid), actor="editor", plays_per_day=2)
    wait_for(lambda: titles(target, DAY + timedelta(days=1)).count("Họp dân thôn 3") == 2, 10, "change", d)

    # Withdrawal: gone from the station's playlists.
    with session_scope(f) as s:
        bulletins.archive(s, bulletins.get_bulletin(s, bid), "reviewer", "hủy họp")
    wait_for(lambda: not any("Họp dân" in t for t in titles(target, DAY + timedelta(days=1))), 10, "withdrawal", d)

    # Emergency: today's playlist of its station gets a new emergency version, the item first, now.
    with session_scope(f) as s:
        seed.approved_bulletin(s, settings, "Bão số 9: sơ tán khẩn cấp", priority="emergency",
                               valid_from=DAY, valid_to=DAY, station_codes=[third])
    manifest = wait_for(lambda: (m := _file(settings, third, DAY)).get("emergency") and m, 10, "emergency", d)
    first_emergency = next(it for it in manifest["items"] if it["priority"] == "emergency")
    assert first_emergency["title"] == "Bão số 9: sơ tán khẩn cấp"
    assert first_emergency["start"].startswith(f"{DAY}T10:")  # at the daemon's "now", not at a session
    assert not _file(settings, target, DAY).get("emergency")

    assert d.stop() == 0
    with session_scope(f) as s:
        pending = s.scalar(select(func.count(RegenRequest.id)).where(RegenRequest.done_at.is_(None)))
        errors = list(s.scalars(select(RegenRequest.error).where(RegenRequest.error != "")))
        regen_runs = list(s.scalars(select(SchedulerRun.status).where(SchedulerRun.job == "regen")))
    assert pending == 0 and errors == []
    assert regen_runs and set(regen_runs) == {"ok"}
    assert_consistent(f, settings, codes, days_from(DAY, 3))
