"""The generation daemon: nightly playlists for every active station, and the regeneration outbox.

Why it is built this way:

- APScheduler 3 keeps its jobs in a table of the Loa database (``SQLAlchemyJobStore``, table
  ``scheduler_jobs``), so a restart loses nothing. The nightly job is coalesced and has no misfire
  limit, so a night missed while the daemon was down fires once when it is back.
- APScheduler alone cannot promise "exactly once": it moves a job's next run time forward *before*
  the job runs (a kill mid-run loses the run), and two schedulers on one job store both fire. So a
  nightly run first claims its *slot*, the local day whose nightly time has last passed, in
  ``scheduler_claims``: the unique name decides between daemons, a lease renewed while working lets
  a killed run be taken over, and a finished slot never runs again. The daemon also checks the
  current slot when it starts and every ``watch`` interval, which catches up after downtime, a crash,
  a failed run or a clock jump.
- A run covers today and the ``days_ahead`` days after it: whatever nights were missed, every day
  still to be broadcast gets its playlist (past days cannot be broadcast, so they are not made).
  Generation writes a new version only when the content changed, so covering a day again is free.
- The RegenRequest outbox is drained every few seconds; the drain handles emergencies first. A
  serving daemon holds the outbox's claim (broadcast/outbox.py) between drains, so it is the one
  drainer: other processes only nudge it, and a standby daemon takes the claim when it is free.
- Generation is serialised inside the process one station at a time, so an emergency drain waits
  for at most one station of a nightly run, never for the whole run.
- Leases use the real clock (they are about live processes); the schedule uses ``Clock``, which
  tests may shift with ``LOA_FAKE_NOW`` to cross midnight in seconds.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import socket
import threading
import time as _time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Table, inspect, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from broadcast import outbox
from broadcast.claims import LEASE_S, finish_claim, renew_claims, try_claim
from broadcast.db import session_factory, session_scope
from broadcast.errors import BroadcastError
from broadcast.models import RegenRequest, SchedulerRun, Station
from broadcast.outbox import DRAIN_CLAIM
from loa.config import Settings

log = logging.getLogger(__name__)

#: APScheduler's job table, created by its job store beside Loa's own tables.
JOB_TABLE = "scheduler_jobs"
#: Set to an ISO 8601 time to run the daemon's schedule from that moment (tests, rehearsals).
FAKE_NOW_ENV = "LOA_FAKE_NOW"
NIGHTLY_JOB_ID = "nightly"
WATCH_JOB_ID = "nightly-watch"
DRAIN_JOB_ID = "regen-drain"
DRAIN_LOCK = DRAIN_CLAIM  # the outbox's one drainer (broadcast/outbox.py)
#: console12: alert checks and the daily system test (memory job store: nothing to catch up).
ALERTS_JOB_ID = "alerts"
ALERTS_LOCK = "alerts"
SYSTEM_TEST_JOB_ID = "system-test"


class SchedulerError(BroadcastError):
    """A scheduler option or the fake clock cannot be used (message in Vietnamese)."""


# --- time ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """The schedule's wall clock, optionally shifted by a fixed offset (time still runs)."""

    offset: timedelta = timedelta(0)

    def now(self) -> datetime:
        """Aware UTC, in whole milliseconds: the planner's and the manifests' resolution, so an
        emergency placed "at now" starts exactly at the ``now`` it was given, not a fraction before."""
        t = datetime.now(UTC) + self.offset
        return t.replace(microsecond=t.microsecond // 1000 * 1000)

    @classmethod
    def from_env(cls, tz: tzinfo, env: Mapping[str, str] | None = None) -> Clock:
        """Real time, or the time in ``LOA_FAKE_NOW`` (local to ``tz`` if it has no offset)."""
        raw = (os.environ if env is None else env).get(FAKE_NOW_ENV, "").strip()
        if not raw:
            return cls()
        try:
            fake = datetime.fromisoformat(raw)
        except ValueError as exc:
            raise SchedulerError(
                f"{FAKE_NOW_ENV}: không đọc được thời điểm {raw!r} (cần dạng ISO 8601, ví dụ 2026-11-26T23:59:00)."
            ) from exc
        if fake.tzinfo is None:
            fake = fake.replace(tzinfo=tz)
        return cls(offset=fake - datetime.now(UTC))


def parse_hhmm(text: str) -> time:
    """``"00:05"`` → 00:05; the nightly time of settings and of ``--at``."""
    m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text.strip())
    if not m:
        raise SchedulerError(f"Giờ không hợp lệ: {text!r} (cần dạng HH:MM, ví dụ 00:05).")
    return time(int(m[1]), int(m[2]))


def nightly_slot(now: datetime, at: time, tz: tzinfo) -> date:
    """The local day whose nightly run is the latest one due at ``now``."""
    local = now.astimezone(tz)
    return local.date() if local.time() >= at else local.date() - timedelta(days=1)


def nightly_dates(today: date, days_ahead: int) -> list[date]:
    """Today and the ``days_ahead`` days after it (see the module docstring)."""
    return [today + timedelta(days=i) for i in range(max(days_ahead, 0) + 1)]


# --- run log ---------------------------------------------------------------------------------


def start_run(factory: sessionmaker[Session], *, job: str, trigger: str, owner: str,
              slot: date | None = None, dates: list[date] | None = None,
              stations: list[str] | None = None) -> int:
    with session_scope(factory) as s:
        run = SchedulerRun(job=job, trigger=trigger, owner=owner, slot=slot, status="running",
                           started_at=datetime.now(UTC),
                           dates=[d.isoformat() for d in dates] if dates is not None else None,
                           stations=stations)
        s.add(run)
        s.flush()
        return run.id


def abandon_runs(factory: sessionmaker[Session], job: str, slot: date) -> int:
    """Close the log rows of runs of ``slot`` whose daemon died (call while holding the slot's claim)."""
    with session_scope(factory) as s:
        result = s.execute(
            update(SchedulerRun)
            .where(SchedulerRun.job == job, SchedulerRun.slot == slot, SchedulerRun.status == "running")
            .values(status="abandoned")
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def finish_run(factory: sessionmaker[Session], run_id: int, *, status: str, playlists: int = 0,
               requests: int = 0, errors: dict[str, Any] | None = None) -> None:
    with session_scope(factory) as s:
        run = s.get(SchedulerRun, run_id)
        if run is None:
            return
        run.status = status
        run.finished_at = datetime.now(UTC)
        run.playlists = playlists
        run.requests = requests
        run.errors = errors or None


def recent_runs(session: Session, limit: int = 20) -> list[SchedulerRun]:
    """The latest runs, newest first (``loa scheduler --status``, the panel)."""
    return list(session.scalars(select(SchedulerRun).order_by(SchedulerRun.id.desc()).limit(limit)))


# --- the daemon ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DaemonOptions:
    nightly_at: time = time(0, 5)
    #: Seconds between outbox drains (how fast an approval or an emergency reaches playlists).
    drain_every_s: float = 2.0
    #: Seconds between checks that the current night's run happened (catch-up, takeover, retry).
    watch_every_s: float = 60.0
    #: A claim not renewed for this long belongs to a dead daemon and may be taken over.
    lease_s: float = LEASE_S
    #: Attempts of one night's run that ended in errors before it waits for the next night.
    max_attempts: int = 3

    def __post_init__(self) -> None:
        for name in ("drain_every_s", "watch_every_s", "lease_s"):
            if getattr(self, name) <= 0:
                raise SchedulerError(f"Tuỳ chọn {name} phải lớn hơn 0.")
        if self.max_attempts < 1:
            raise SchedulerError("Tuỳ chọn max_attempts phải từ 1 trở lên.")


@dataclass
class NightlyOutcome:
    slot: date
    dates: list[date]
    stations: list[str] = field(default_factory=list)
    playlists: int = 0
    errors: dict[str, str] = field(default_factory=dict)
    status: str = "ok"


def _count_written(results: Iterable[Any]) -> int:
    """How many GeneratedPlaylist results are new versions (unchanged ones are not rewritten)."""
    return sum(1 for r in results if r.changed)


#: generate_playlists(session, settings, days, station_codes, *, now) -> results (broadcast.generate)
GenerateFn = Callable[..., Iterable[Any]]
#: drain_regen_requests(session, settings, now) -> requests handled (broadcast.generate)
DrainFn = Callable[..., int]


def _generate(*args: Any, **kwargs: Any) -> Iterable[Any]:
    from broadcast.generate import generate_playlists

    return generate_playlists(*args, **kwargs)


def _drain(*args: Any, **kwargs: Any) -> int:
    from broadcast.generate import drain_regen_requests

    return drain_regen_requests(*args, **kwargs)


class SchedulerDaemon:
    """Runs the nightly and outbox jobs against one database; see the module docstring.

    ``generate`` and ``drain_requests`` default to broadcast.generate's functions."""

    def __init__(self, settings: Settings, engine: Engine, options: DaemonOptions | None = None,
                 *, clock: Clock | None = None, generate: GenerateFn = _generate,
                 drain_requests: DrainFn = _drain) -> None:
        self.settings = settings
        self._generate = generate
        self._drain_requests = drain_requests
        self.engine = engine
        self.options = options or DaemonOptions(nightly_at=parse_hhmm(settings.nightly_time))
        self.tz = ZoneInfo(settings.timezone)
        self.clock = clock or Clock()
        self.factory = session_factory(engine)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"[:120]
        #: Set to stop: a nightly run stops between stations, the service loop returns.
        self.stopping = threading.Event()
        self._gen_lock = threading.Lock()
        self._held: set[str] = set()
        self._lost: set[str] = set()
        self._claims_lock = threading.Lock()
        #: Serving: the daemon keeps the outbox's claim between drains (the one drainer).
        self._serving = False
        self._drain_mutex = threading.Lock()
        self._wake = threading.Event()
        self._jobs: Any = None  # the render queue, made on first use (broadcast.jobs)

    # -- claims held by this process, renewed by a keeper thread --

    def _claim(self, name: str, max_attempts: int | None) -> bool:
        if not try_claim(self.factory, name, self.owner, lease_s=self.options.lease_s, max_attempts=max_attempts):
            return False
        with self._claims_lock:
            self._held.add(name)
            self._lost.discard(name)
        return True

    def _release(self, name: str, status: str) -> None:
        # Under the lock, so the keeper never renews a claim that is being released.
        with self._claims_lock:
            self._held.discard(name)
            if name not in self._lost:
                finish_claim(self.factory, name, self.owner, status)

    def _still_held(self, name: str) -> bool:
        with self._claims_lock:
            return name not in self._lost

    def renew(self) -> None:
        with self._claims_lock:
            if not self._held:
                return
            try:
                lost = renew_claims(self.factory, list(self._held), self.owner, lease_s=self.options.lease_s)
            except Exception:
                log.exception("không gia hạn được quyền của bộ lập lịch / could not renew scheduler claims")
                return
            if lost:
                log.error("mất quyền vào tay bộ lập lịch khác / lost scheduler claims to another daemon", ", ".join(sorted(lost)))
                self._lost |= lost

    def _keep_leases(self, done: threading.Event) -> None:
        while not done.wait(self.options.lease_s / 3):
            self.renew()

    # -- jobs --

    def active_stations(self) -> list[str]:
        with session_scope(self.factory) as s:
            return list(s.scalars(select(Station.code).where(Station.active.is_(True)).order_by(Station.code)))

    def nightly(self, trigger: str) -> NightlyOutcome | None:
        """Run the current slot's nightly generation unless it already ran (or runs elsewhere).

        Never raises: failures are logged and recorded, so the scheduler keeps running."""
        now = self.clock.now()
        slot = nightly_slot(now, self.options.nightly_at, self.tz)
        name = f"nightly:{slot.isoformat()}"
        try:
            if not self._claim(name, self.options.max_attempts):
                log.debug("lập lịch đêm %s: đã chạy rồi hoặc đang chạy ở nơi khác (%s) / nightly: already done or running elsewhere", slot, trigger)
                return None
        except Exception:
            log.exception("lập lịch đêm %s: không nhận được lượt chạy / nightly: could not claim the run", slot)
            return None
        outcome = NightlyOutcome(slot=slot, dates=nightly_dates(now.astimezone(self.tz).date(),
                                                                self.settings.days_ahead))
        run_id: int | None = None
        try:
            if abandon_runs(self.factory, "nightly", slot):
                log.warning("lập lịch đêm %s: lượt trước bị dừng giữa chừng, chạy lại / nightly: an earlier run of this night died; running it again", slot)
            outcome.stations = self.active_stations()
            run_id = start_run(self.factory, job="nightly", trigger=trigger, owner=self.owner, slot=slot,
                               dates=outcome.dates, stations=outcome.stations)
            log.info("lập lịch đêm %s (%s) bắt đầu: %d đài, ngày %s / nightly started", slot, trigger, len(outcome.stations),
                     ", ".join(d.isoformat() for d in outcome.dates))
            for code in outcome.stations:
                if self.stopping.is_set() or not self._still_held(name):
                    outcome.status = "interrupted"
                    break
                try:
                    with self._gen_lock, session_scope(self.factory) as s:
                        results = self._generate(s, self.settings, outcome.dates, [code], now=self.clock.now())
                    outcome.playlists += _count_written(results)
                except Exception as exc:  # one bad station must not stop the others
                    log.exception("lập lịch đêm %s: lỗi ở đài %s / nightly: station failed", slot, code)
                    outcome.errors[code] = f"{type(exc).__name__}: {exc}"
            if outcome.status == "ok" and outcome.errors:
                outcome.status = "error"
        except Exception as exc:
            log.exception("lập lịch đêm %s thất bại / nightly failed", slot)
            outcome.status = "error"
            outcome.errors["*"] = f"{type(exc).__name__}: {exc}"
        claim_status = {"ok": "done", "error": "failed", "interrupted": "released"}[outcome.status]
        try:
            self._release(name, claim_status)
            if run_id is not None:
                finish_run(self.factory, run_id, status=outcome.status, playlists=outcome.playlists,
                           errors=dict(outcome.errors))
        except Exception:
            log.exception("lập lịch đêm %s: không ghi được kết thúc lượt chạy / nightly: could not record the end of the run", slot)
        log_fn = log.info if outcome.status == "ok" else log.error
        log_fn("lập lịch đêm %s (%s) %s: %d phiên bản danh sách phát mới, %d đài lỗi / new playlist versions, station errors", slot, trigger,
               outcome.status, outcome.playlists, len(outcome.errors))
        return outcome

    def pending_stations(self) -> list[str] | None:
        """Stations named by pending RegenRequests (``["*"]`` if one is for every station); None if
        there is nothing to do. Read before draining, for the run log."""
        with session_scope(self.factory) as s:
            rows = list(s.scalars(select(RegenRequest.station_codes).where(RegenRequest.done_at.is_(None))))
        if not rows:
            return None
        if any(codes is None for codes in rows):
            return ["*"]
        return sorted({c for codes in rows if codes for c in codes})

    def _holds(self, name: str) -> bool:
        with self._claims_lock:
            return name in self._held and name not in self._lost

    def _keep_drain_claim(self) -> bool:
        """Serving: hold the outbox's claim, taking it when it is free (its holder stopped or died)."""
        if self._holds(DRAIN_LOCK):
            return True
        with self._claims_lock:
            self._held.discard(DRAIN_LOCK)
        return self._claim(DRAIN_LOCK, None)

    def nudge(self) -> bool:
        """Wake the drain now if this daemon is the drainer (``outbox.process_requests``)."""
        if self._serving and self._holds(DRAIN_LOCK):
            self._wake.set()
            return True
        return False

    def _drain_on_wake(self) -> None:
        while not self.stopping.is_set():
            if self._wake.wait(0.5):
                self._wake.clear()
                self.drain("nudge")

    def drain(self, trigger: str = "interval") -> int:
        """Process the RegenRequest outbox; returns the number of requests handled. Never raises.
        A serving daemon keeps the claim between drains; otherwise it is taken for this drain."""
        with self._drain_mutex:
            return self._drain(trigger)

    def _drain(self, trigger: str) -> int:
        keep = self._serving
        try:
            if keep and not self._keep_drain_claim():
                return 0  # another daemon is the drainer: stand by
            stations = self.pending_stations()
            if stations is None or not (keep or self._claim(DRAIN_LOCK, None)):
                return 0
        except Exception:
            log.exception("lập lại lịch: không đọc được hàng đợi / regen: could not look at the outbox")
            return 0
        run_id: int | None = None
        status, handled, errors = "ok", 0, None
        try:
            now = self.clock.now()
            # The drain covers today and the days_ahead days after it, like a night.
            dates = nightly_dates(now.astimezone(self.tz).date(), self.settings.days_ahead)
            run_id = start_run(self.factory, job="regen", trigger=trigger, owner=self.owner, dates=dates,
                               stations=stations)
            with self._gen_lock, session_scope(self.factory) as s:
                handled = self._drain_requests(s, self.settings, now=now)
        except Exception as exc:
            log.exception("lập lại lịch: xử lý hàng đợi thất bại / regen: draining the outbox failed")
            status, errors = "error", {"*": f"{type(exc).__name__}: {exc}"}
        try:
            if not keep:
                self._release(DRAIN_LOCK, "released")
            if run_id is not None:
                finish_run(self.factory, run_id, status=status, requests=handled, errors=errors)
        except Exception:
            log.exception("lập lại lịch: không ghi được kết thúc lượt chạy / regen: could not record the end of the run")
        if status == "ok":
            log.info("lập lại lịch: đã xử lý %d yêu cầu cho %s / regen: requests handled", handled, ", ".join(stations))
        return handled

    # -- console12: alerts and the daily system test --

    def alerts(self) -> int:
        """Check alert conditions and send what is due (broadcast.alerts); returns notices sent.
        Under a claim, so of several daemons one checks at a time. Never raises."""
        from broadcast import alerts as alert_svc
        from broadcast import notify

        try:
            if not self._claim(ALERTS_LOCK, None):
                return 0
        except Exception:
            log.exception("cảnh báo: không nhận được lượt kiểm tra / alerts: could not claim the check")
            return 0
        sent = 0
        try:
            st = self.settings
            with session_scope(self.factory) as s:
                notices = alert_svc.evaluate(s, heartbeat_s=st.agent_heartbeat_s, now=self.clock.now(),
                                             offline_after_min=st.alert_offline_after_min,
                                             cooldown_min=st.alert_cooldown_min)
            channels = notify.channels_from(st)
            for n in notices:
                error = notify.deliver(channels, n.subject, n.text, n.payload())
                with session_scope(self.factory) as s:
                    alert_svc.record_delivery(s, n.key, error)
                sent += 1
                log.info("cảnh báo %s: %s / alert sent", n.event, n.text)
            if notices:
                run_id = start_run(self.factory, job="alerts", trigger="interval", owner=self.owner)
                finish_run(self.factory, run_id, status="ok", requests=sent)
        except Exception as exc:
            log.exception("cảnh báo: kiểm tra thất bại / alerts: the check failed")
            run_id = start_run(self.factory, job="alerts", trigger="interval", owner=self.owner)
            finish_run(self.factory, run_id, status="error", errors={"*": f"{type(exc).__name__}: {exc}"})
        finally:
            self._release(ALERTS_LOCK, "released")
        return sent

    def system_tests(self, trigger: str = "cron") -> list[str]:
        """Order today's silent system test from every agent, once per local day. Never raises."""
        from broadcast import remote

        day = self.clock.now().astimezone(self.tz).date()
        name = f"system-test:{day.isoformat()}"
        try:
            if not self._claim(name, 1):
                return []
        except Exception:
            log.exception("kiểm tra hệ thống: không nhận được lượt / system test: could not claim")
            return []
        codes: list[str] = []
        run_id = start_run(self.factory, job="system-test", trigger=trigger, owner=self.owner, slot=day)
        status, errors = "ok", None
        try:
            with session_scope(self.factory) as s:
                codes = remote.issue_system_tests(s, ttl_s=self.settings.remote_command_ttl_s, now=self.clock.now())
        except Exception as exc:
            log.exception("kiểm tra hệ thống thất bại / system test failed")
            status, errors = "error", {"*": f"{type(exc).__name__}: {exc}"}
        self._release(name, "done" if status == "ok" else "failed")
        finish_run(self.factory, run_id, status=status, requests=len(codes), errors=errors)
        return codes

    def add_console_jobs(self, scheduler: BackgroundScheduler) -> None:
        scheduler.add_job(alerts_job, IntervalTrigger(seconds=self.settings.alert_check_s, timezone=self.tz),
                          id=ALERTS_JOB_ID, jobstore="memory", replace_existing=True, coalesce=True,
                          max_instances=1)
        if self.settings.system_test_time:
            at = parse_hhmm(self.settings.system_test_time)
            scheduler.add_job(system_test_job, CronTrigger(hour=at.hour, minute=at.minute, timezone=self.tz),
                              id=SYSTEM_TEST_JOB_ID, jobstore="memory", replace_existing=True, coalesce=True,
                              max_instances=1, misfire_grace_time=3600)

    def sweep_renders(self) -> list[int]:
        """Enqueue the renders approved bulletins still lack (approved with ``--no-render``, or by a
        tool): on Redis for ``loa worker`` when configured, else on a thread of this daemon. Never raises."""
        from broadcast.jobs import make_queue
        from broadcast.tasks import enqueue_missing_renders, requeue_lost_renders

        try:
            if self._jobs is None:
                self._jobs = make_queue(self.settings, self.factory, workers=1)
            today = self.clock.now().astimezone(self.tz).date()
            return (enqueue_missing_renders(self.factory, self._jobs, today)
                    + requeue_lost_renders(self.factory, self._jobs, older_than_s=self.options.lease_s))
        except Exception:
            log.exception("không xếp được việc dựng âm thanh / could not enqueue missing renders")
            return []

    # -- ways to run --

    def once(self) -> tuple[NightlyOutcome | None, int]:
        """Drain the outbox once, then catch up the current night if it has not run."""
        done = threading.Event()
        keeper = threading.Thread(target=self._keep_leases, args=(done,), name="loa-lease", daemon=True)
        keeper.start()
        try:
            handled = self.drain("once")  # emergencies first
            outcome = self.nightly("once")
        finally:
            done.set()
            keeper.join()
        return outcome, handled

    def build_scheduler(self) -> BackgroundScheduler:
        store = SQLAlchemyJobStore(engine=self.engine, tablename=JOB_TABLE)
        ensure_job_table(self.engine, store.jobs_t)
        return BackgroundScheduler(
            jobstores={
                "default": store,
                "memory": MemoryJobStore(),
            },
            # nightly, drain and watch may all run at once: an emergency must not wait for the night.
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=self.tz,
        )

    def desired_jobs(self) -> list[tuple[str, Any, Any, int | None]]:
        """(id, function, trigger, misfire grace) of the persistent jobs."""
        at = self.options.nightly_at
        return [
            # No misfire limit: a night missed while down runs once (coalesced) when back.
            (NIGHTLY_JOB_ID, nightly_job, CronTrigger(hour=at.hour, minute=at.minute, timezone=self.tz), None),
            (WATCH_JOB_ID, watch_job, IntervalTrigger(seconds=self.options.watch_every_s, timezone=self.tz), None),
            (DRAIN_JOB_ID, drain_job, IntervalTrigger(seconds=self.options.drain_every_s, timezone=self.tz), None),
        ]

    def sync_jobs(self, scheduler: BackgroundScheduler) -> None:
        """Add missing jobs; replace a job only if its schedule changed, so a stored job keeps its
        next run time and a missed night is still seen as missed."""
        for job_id, func, trigger, grace in self.desired_jobs():
            job = scheduler.get_job(job_id, "default")
            if job is not None and same_trigger(job.trigger, trigger) and job.func is func:
                log.debug("việc %s giữ nguyên, lần chạy tới %s / job kept", job_id, job.next_run_time)
                continue
            scheduler.add_job(func, trigger, id=job_id, name=job_id, jobstore="default", replace_existing=True,
                              misfire_grace_time=grace, coalesce=True, max_instances=1)
            log.info("việc %s đã hẹn giờ: %s / job scheduled", job_id, trigger)

    def serve(self) -> None:
        """Run until ``stopping`` is set (SIGTERM / Ctrl-C in the CLI); then stop cleanly."""
        global _active
        _active = self
        done = threading.Event()
        keeper = threading.Thread(target=self._keep_leases, args=(done,), name="loa-lease", daemon=True)
        keeper.start()
        scheduler = self.build_scheduler()
        scheduler.start(paused=True)
        self._serving = True
        outbox.add_local_drainer(self.nudge)
        waker = threading.Thread(target=self._drain_on_wake, name="loa-drain-wake", daemon=True)
        waker.start()
        try:
            self.drain("start")  # takes the outbox's claim now, if it is free
            self.sync_jobs(scheduler)
            self.add_console_jobs(scheduler)
            scheduler.add_job(catch_up_job, "date", run_date=datetime.now(self.tz), id="catch-up",
                              jobstore="memory", misfire_grace_time=None)
            scheduler.resume()
            log.info("bộ lập lịch chạy (%s): lập lịch đêm lúc %s %s, xử lý hàng đợi mỗi %g giây / scheduler running", self.owner,
                     self.options.nightly_at.strftime("%H:%M"), self.settings.timezone, self.options.drain_every_s)
            while not self.stopping.wait(0.5):
                pass
            log.info("bộ lập lịch đang dừng / scheduler stopping")
        finally:
            self.stopping.set()
            outbox.remove_local_drainer(self.nudge)
            scheduler.shutdown(wait=True)
            waker.join()
            with self._drain_mutex:
                self._serving = False
                if DRAIN_LOCK in self._held:
                    self._release(DRAIN_LOCK, "released")  # the next drainer need not wait for the lease
            done.set()
            keeper.join()
            _active = None
            log.info("bộ lập lịch đã dừng / scheduler stopped")


def init_db_shared(url: str, attempts: int = 5) -> Engine:
    """``init_db`` for processes that may start together on a fresh database (two daemons, a
    daemon and ``loa serve``): the loser of a race to create a table retries and finds it there."""
    from broadcast.db import init_db

    for attempt in range(attempts):
        try:
            return init_db(url)
        except (OperationalError, ProgrammingError, IntegrityError):
            if attempt == attempts - 1:
                raise
            log.info("cơ sở dữ liệu đang được tiến trình khác tạo; thử lại / database being set up by another process; trying again")
            _time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def ensure_job_table(engine: Engine, table: Table, attempts: int = 5) -> None:
    """Create APScheduler's job table unless it exists. Its own ``create(checkfirst=True)`` is a
    check then a create: two daemons started at once on a fresh database both see no table and the
    second dies with "table scheduler_jobs already exists" (PostgreSQL: a duplicate key in
    pg_type). Here losing that race is fine."""
    for attempt in range(attempts):
        try:
            table.create(engine, checkfirst=True)
            return
        except (OperationalError, ProgrammingError, IntegrityError):
            # PostgreSQL reports the lost race as a unique violation on pg_type (IntegrityError)
            if inspect(engine).has_table(table.name):
                return  # another daemon created it between our check and our create
            if attempt == attempts - 1:
                raise
            _time.sleep(0.1 * (attempt + 1))  # e.g. SQLite "database is locked"


def same_trigger(a: Any, b: Any) -> bool:
    """Whether two APScheduler triggers fire at the same times (interval start dates aside)."""
    if type(a) is not type(b) or str(getattr(a, "timezone", "")) != str(getattr(b, "timezone", "")):
        return False
    if isinstance(a, IntervalTrigger):
        return bool(a.interval == b.interval)
    return str(a) == str(b)


# Job functions are referenced by name in the persistent job store ("broadcast.scheduler:nightly_job"),
# so they are module-level and find the running daemon here rather than in pickled arguments.
_active: SchedulerDaemon | None = None


def _daemon() -> SchedulerDaemon | None:
    if _active is None:
        log.error("việc hẹn giờ chạy khi không có bộ lập lịch / scheduler job fired with no daemon running")
    return _active


def nightly_job() -> None:
    if (d := _daemon()) is not None:
        d.nightly("cron")


def watch_job() -> None:
    if (d := _daemon()) is not None:
        d.nightly("watch")
        d.sweep_renders()


def catch_up_job() -> None:
    if (d := _daemon()) is not None:
        d.nightly("catch-up")


def drain_job() -> None:
    if (d := _daemon()) is not None:
        d.drain()


def alerts_job() -> None:
    if (d := _daemon()) is not None:
        d.alerts()


def system_test_job() -> None:
    if (d := _daemon()) is not None:
        d.system_tests()
