"""The daemon's jobs in-process, with a recording stand-in for generation (the real one is used in
test_processes.py): once per night, failures isolated and retried, interruption, outbox, job store."""

from __future__ import annotations

import threading
import time as _time
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from broadcast.db import session_factory, session_scope
from broadcast.models import RegenRequest, SchedulerClaim, SchedulerRun, Station
from broadcast.scheduler import (
    DRAIN_JOB_ID,
    JOB_TABLE,
    NIGHTLY_JOB_ID,
    WATCH_JOB_ID,
    Clock,
    DaemonOptions,
    SchedulerDaemon,
)
from loa.config import Settings

VN = ZoneInfo("Asia/Ho_Chi_Minh")


class Recorder:
    """Stands in for generate_playlists: records calls, fails for chosen stations."""

    def __init__(self, fail: set[str] | None = None, delay_s: float = 0.0) -> None:
        self.calls: list[tuple[str, list[date]]] = []
        self.fail = fail or set()
        self.delay_s = delay_s
        self.started = threading.Event()

    def __call__(self, session: Any, settings: Settings, days: list[date], codes: list[str], **kw: Any) -> list[Any]:
        self.started.set()
        _time.sleep(self.delay_s)
        (code,) = codes
        if code in self.fail:
            raise RuntimeError(f"no audio for {code}")
        self.calls.append((code, days))
        return [SimpleNamespace(changed=True) for _ in days]


def _clock(local: str) -> Clock:
    fake = datetime.fromisoformat(local).replace(tzinfo=VN)
    return Clock(offset=fake - datetime.now(UTC))


def _stations(engine: Engine, *codes: str, inactive: tuple[str, ...] = ()) -> None:
    with session_scope(session_factory(engine)) as s:
        for c in codes + inactive:
            s.add(Station(code=c, name=f"Đài {c}", active=c not in inactive))


def _runs(engine: Engine, job: str = "nightly") -> list[SchedulerRun]:
    with session_scope(session_factory(engine)) as s:
        rows = list(s.scalars(select(SchedulerRun).where(SchedulerRun.job == job).order_by(SchedulerRun.id)))
        s.expunge_all()
        return rows


def _daemon(settings: Settings, engine: Engine, clock: Clock, gen: Any, **opts: Any) -> SchedulerDaemon:
    options = DaemonOptions(nightly_at=time(0, 5), **opts)
    return SchedulerDaemon(settings, engine, options, clock=clock, generate=gen, drain_requests=lambda *a, **k: 0)


def test_a_night_runs_once_for_every_active_station(settings: Settings, engine: Engine) -> None:
    _stations(engine, "XA-B", "XA-A", inactive=("XA-OFF",))
    gen = Recorder()
    d = _daemon(settings, engine, _clock("2026-11-26T10:00:00"), gen)
    out = d.nightly("catch-up")
    assert out is not None and out.status == "ok"
    assert out.slot == date(2026, 11, 26)
    days = [date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 28)]
    assert gen.calls == [("XA-A", days), ("XA-B", days)]
    assert out.playlists == 6
    # Same slot again, from this daemon or another one: nothing runs.
    assert d.nightly("cron") is None
    other = _daemon(settings, engine, _clock("2026-11-27T00:04:00"), gen)
    assert other.nightly("watch") is None
    assert len(gen.calls) == 2
    (run,) = _runs(engine)
    assert (run.slot, run.status, run.trigger, run.playlists) == (date(2026, 11, 26), "ok", "catch-up", 6)
    assert run.stations == ["XA-A", "XA-B"] and run.dates == [d.isoformat() for d in days]
    assert run.finished_at is not None and run.finished_at >= run.started_at
    # Past the nightly time the next slot runs, once.
    nxt = _daemon(settings, engine, _clock("2026-11-27T00:05:01"), gen)
    assert nxt.nightly("cron") is not None
    assert nxt.nightly("watch") is None
    assert [r.slot for r in _runs(engine)] == [date(2026, 11, 26), date(2026, 11, 27)]


def test_a_failing_station_is_isolated_recorded_and_retried(settings: Settings, engine: Engine) -> None:
    _stations(engine, "A", "B", "C")
    gen = Recorder(fail={"B"})
    d = _daemon(settings, engine, _clock("2026-11-26T10:00:00"), gen, max_attempts=2)
    out = d.nightly("cron")
    assert out is not None and out.status == "error"
    assert [c for c, _ in gen.calls] == ["A", "C"]
    assert "no audio for B" in out.errors["B"]
    run = _runs(engine)[-1]
    assert run.status == "error" and "B" in (run.errors or {})
    # The watch retries a failed night, up to max_attempts, then waits for the next night.
    gen.fail.clear()
    again = d.nightly("watch")
    assert again is not None and again.status == "ok"
    assert d.nightly("watch") is None
    with session_scope(d.factory) as s:
        claim = s.scalar(select(SchedulerClaim).where(SchedulerClaim.name == "nightly:2026-11-26"))
        assert claim is not None and (claim.status, claim.attempts) == ("done", 2)


def test_gives_up_after_max_attempts(settings: Settings, engine: Engine) -> None:
    _stations(engine, "A")
    gen = Recorder(fail={"A"})
    d = _daemon(settings, engine, _clock("2026-11-26T10:00:00"), gen, max_attempts=2)
    assert d.nightly("cron") is not None
    assert d.nightly("watch") is not None
    assert d.nightly("watch") is None
    assert [r.status for r in _runs(engine)] == ["error", "error"]


def test_an_error_outside_stations_is_recorded_not_raised(settings: Settings, engine: Engine) -> None:
    d = _daemon(settings, engine, _clock("2026-11-26T10:00:00"), Recorder())
    d.active_stations = lambda: (_ for _ in ()).throw(RuntimeError("db gone"))  # type: ignore[method-assign]
    out = d.nightly("cron")
    assert out is not None and out.status == "error" and "db gone" in out.errors["*"]


def test_stopping_interrupts_between_stations_and_frees_the_night(settings: Settings, engine: Engine) -> None:
    _stations(engine, "A", "B", "C")
    gen = Recorder(delay_s=0.3)
    d = _daemon(settings, engine, _clock("2026-11-26T10:00:00"), gen)
    t = threading.Thread(target=d.nightly, args=("cron",))
    t.start()
    assert gen.started.wait(5)
    d.stopping.set()
    t.join(10)
    assert [c for c, _ in gen.calls] == ["A"]
    assert _runs(engine)[-1].status == "interrupted"
    # The next start runs the whole night again.
    d2 = _daemon(settings, engine, _clock("2026-11-26T10:00:00"), Recorder())
    out = d2.nightly("catch-up")
    assert out is not None and out.status == "ok" and out.stations == ["A", "B", "C"]


def test_outbox_is_drained_only_when_there_is_work(settings: Settings, engine: Engine) -> None:
    calls: list[datetime] = []

    def drain(session: Any, settings: Settings, now: datetime) -> int:
        calls.append(now)
        n = 0
        for req in session.scalars(select(RegenRequest).where(RegenRequest.done_at.is_(None))):
            req.done_at = now
            n += 1
        return n

    d = SchedulerDaemon(settings, engine, DaemonOptions(), clock=_clock("2026-11-26T10:00:00"),
                        generate=Recorder(), drain_requests=drain)
    assert d.drain() == 0 and calls == []
    assert _runs(engine, "regen") == []
    with session_scope(d.factory) as s:
        s.add_all([RegenRequest(reason="bulletin approved", station_codes=["A"]),
                   RegenRequest(reason="emergency", station_codes=None, emergency=True)])
    assert d.drain() == 2
    assert abs((calls[0] - _clock("2026-11-26T10:00:00").now()).total_seconds()) < 5  # the daemon's clock
    (run,) = _runs(engine, "regen")
    assert (run.status, run.requests, run.stations) == ("ok", 2, ["*"])
    assert run.dates == ["2026-11-26", "2026-11-27", "2026-11-28"]
    assert d.drain() == 0
    # A failing drain is recorded and the lock is released for the next tick.
    with session_scope(d.factory) as s:
        s.add(RegenRequest(reason="x", station_codes=["B", "A"]))
        s.add(RegenRequest(reason="y", station_codes=["A"]))
    d._drain_requests = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom"))
    assert d.drain() == 0
    assert (_runs(engine, "regen")[-1].status, _runs(engine, "regen")[-1].stations) == ("error", ["A", "B"])
    d._drain_requests = drain
    assert d.drain() == 2


def _job_rows(engine: Engine) -> dict[str, float]:
    with engine.connect() as c:
        return {r[0]: r[1] for r in c.execute(text("SELECT id, next_run_time FROM scheduler_jobs"))}


def _miss_nightly(engine: Engine, when: datetime) -> None:
    """Make the stored nightly job look as if the daemon was down at its time."""
    store = SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)
    store.start(None, "default")  # type: ignore[arg-type]
    job = store.lookup_job(NIGHTLY_JOB_ID)
    assert job is not None
    job.next_run_time = when
    store.update_job(job)


def test_jobs_are_stored_and_kept_across_restarts(settings: Settings, engine: Engine) -> None:
    d = _daemon(settings, engine, Clock(), Recorder())
    s1 = d.build_scheduler()
    s1.start(paused=True)
    d.sync_jobs(s1)
    assert set(_job_rows(engine)) == {NIGHTLY_JOB_ID, WATCH_JOB_ID, DRAIN_JOB_ID}
    # Pretend the daemon was down over the nightly time: its stored next run is in the past.
    s1.shutdown(wait=False)
    past = datetime.now(UTC) - timedelta(days=2)
    _miss_nightly(engine, past)
    # A restart with the same schedule keeps the stored job as it is (so the miss is still seen)…
    s2 = d.build_scheduler()
    s2.start(paused=True)
    d.sync_jobs(s2)
    job = s2.get_job(NIGHTLY_JOB_ID)
    assert job is not None and job.coalesce and job.misfire_grace_time is None
    assert job.next_run_time == past
    assert _job_rows(engine)[NIGHTLY_JOB_ID] == pytest.approx(past.timestamp())
    s2.shutdown(wait=False)
    # … and a new nightly time replaces it.
    d3 = SchedulerDaemon(settings, engine, DaemonOptions(nightly_at=time(1, 30)), generate=Recorder())
    s3 = d3.build_scheduler()
    s3.start(paused=True)
    d3.sync_jobs(s3)
    job = s3.get_job(NIGHTLY_JOB_ID)
    assert job is not None and str(job.trigger) == "cron[hour='1', minute='30']"
    assert job.next_run_time > datetime.now(UTC)
    s3.shutdown(wait=False)


def test_serve_catches_up_a_missed_night_once_and_stops_cleanly(settings: Settings, engine: Engine) -> None:
    _stations(engine, "A")
    gen = Recorder()
    d = _daemon(settings, engine, Clock(), gen, drain_every_s=0.2, watch_every_s=0.2)
    s = d.build_scheduler()
    s.start(paused=True)
    d.sync_jobs(s)
    s.shutdown(wait=False)
    _miss_nightly(engine, datetime.now(UTC) - timedelta(days=1))
    t = threading.Thread(target=d.serve)
    t.start()
    deadline = _time.monotonic() + 10
    while _time.monotonic() < deadline and not (_runs(engine) and _runs(engine)[0].finished_at):
        _time.sleep(0.1)
    _time.sleep(1.0)  # cron misfire, catch-up and several watch ticks have all fired by now
    d.stopping.set()
    t.join(10)
    assert not t.is_alive()
    runs = _runs(engine)
    assert len(runs) == 1 and runs[0].status == "ok"
    assert len(gen.calls) == 1
    # The coalesced misfire moved the stored nightly job to its next time, in the future.
    assert _job_rows(engine)[NIGHTLY_JOB_ID] > datetime.now(UTC).timestamp()
