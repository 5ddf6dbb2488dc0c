"""The job queue: long work (renders, clarity checks, playlist drains) run by name, wherever it runs.

Callers enqueue a *task*, a function named ``"module:function"`` that takes a :class:`JobContext`
and JSON-able keyword arguments, then poll the job's status by id (the panel's progress bar). Two
backends stand behind one interface (:class:`JobQueue`):

- **No Redis configured** (``redis_url = ""``, the default, one PC): :class:`ThreadJobQueue` runs
  jobs on a few threads of the process that asked, emergencies first; the statuses live in that
  process, which is the only one the panel talks to.
- **``redis_url`` set** (a province, several machines): :class:`RedisJobQueue` puts jobs on Redis
  with RQ, ``loa worker`` processes on any machine run them, and status, progress and result live in
  Redis, so whichever ``loa serve`` answers the panel's poll sees them.

Why RQ rather than Dramatiq or Celery:

- *A worker killed -9 mid-job.* RQ forks a work horse per job and records the running job in a
  StartedJobRegistry entry that the worker's heartbeat keeps alive. A dead horse is seen by its
  worker at once; a dead worker stops heartbeating, and the next maintenance pass of any other
  worker finds the lapsed entry and re-enqueues the job while it has retries left (RQ >= 2,
  ``StartedJobRegistry.cleanup`` → ``job.retry``). Here the heartbeat is ``worker_heartbeat_s``,
  so another worker retries within about three heartbeats. Dramatiq redelivers too (the unacked
  messages of a worker whose heartbeat lapsed are requeued, by maintenance that runs on a random
  fraction of fetches), Celery only after the Redis transport's visibility timeout (an hour by
  default, also the longest a job may run). The job's writes are idempotent either way
  (``broadcast.rendering``), and store writes atomic, so a retry leaves no partial file or double row.
- *An emergency jumps the queue.* An RQ worker takes its queues strictly in the order given, so
  the ``emergency`` queue listed first is served before any waiting render. Dramatiq's Redis broker
  has no priority across queues; Celery emulates it on Redis by polling split queues.
- *Progress from any server.* RQ keeps a job's status, result and a ``meta`` dict in Redis, read by
  id from any process; Dramatiq needs its Results middleware and has no progress.
- *Windows.* RQ's worker needs ``fork()``; a one-PC Windows install configures no Redis and runs
  jobs in-process, so it loses nothing. A province server runs Debian.
- *Small:* pure Python on redis-py (Celery brings kombu, billiard, vine, amqp).
"""

from __future__ import annotations

import ctypes
import importlib
import itertools
import logging
import os
import queue as _queue
import re
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

from sqlalchemy.orm import Session, sessionmaker

from loa.config import Settings

log = logging.getLogger(__name__)

ProgressFn = Callable[[float], None]
State = Literal["queued", "running", "done", "failed"]
#: The queues, in the order a worker serves them: emergencies before any waiting render.
QUEUES = ("emergency", "render")
#: Redis key names of the queues (RQ adds its own ``rq:queue:`` prefix).
QUEUE_PREFIX = "loa-"
_JOB_ID = re.compile(r"[0-9a-f]{32}")
#: Modules whose functions may be run as tasks (a task name read back from Redis is a module path).
TASK_PACKAGES = ("broadcast.", "pipeline.", "web.", "loa.")


@dataclass(frozen=True)
class JobStatus:
    id: str
    state: State
    progress: float = 0.0
    result: Any = None
    error: str = ""
    name: str = ""


@dataclass(frozen=True)
class JobContext:
    """What a task gets besides its arguments: the settings and a database of the process running it,
    and a progress callback (0…1) that the panel's poll reads."""

    settings: Settings
    factory: sessionmaker[Session]
    progress: ProgressFn


class JobQueue(Protocol):
    def enqueue(self, task: str, *, name: str = "", emergency: bool = False, **kwargs: Any) -> str: ...

    def status(self, job_id: str) -> JobStatus: ...

    def wait(self, job_id: str, timeout: float | None = None) -> JobStatus: ...

    def stats(self) -> dict[str, Any]: ...


class UnknownJob(KeyError):
    pass


def resolve(task: str) -> Callable[..., Any]:
    """The function a task name (``"broadcast.tasks:render"``) stands for; ValueError if there is none."""
    module, _, func = task.partition(":")
    if not func or not module.startswith(TASK_PACKAGES):
        raise ValueError(f"not a task name: {task!r}")
    fn = getattr(importlib.import_module(module), func, None)
    if not callable(fn):
        raise ValueError(f"no task {task!r}")
    return fn  # type: ignore[no-any-return]


def _clamp(fraction: float) -> float:
    return max(0.0, min(1.0, float(fraction)))


# --- in-process ------------------------------------------------------------------------------


class ThreadJobQueue:
    """Runs jobs on a few threads, emergencies first; keeps the last ``keep`` statuses for polling.

    ``submit`` takes a callable (in-process only); ``enqueue`` a task by name, which needs the
    settings and database the tasks run against (``bind``; the panel binds its own)."""

    def __init__(self, workers: int = 1, keep: int = 500, *, settings: Settings | None = None,
                 factory: sessionmaker[Session] | None = None) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, JobStatus] = {}
        self._done: dict[str, threading.Event] = {}
        self._keep = keep
        self._order = itertools.count()
        self._waiting: _queue.PriorityQueue[tuple[int, int, Callable[[], None] | None]] = _queue.PriorityQueue()
        self._context: tuple[Settings, sessionmaker[Session]] | None = None
        if settings is not None and factory is not None:
            self.bind(settings, factory)
        self._threads = [threading.Thread(target=self._work, name=f"loa-job-{i}", daemon=True) for i in range(workers)]
        for t in self._threads:
            t.start()

    @property
    def bound(self) -> bool:
        return self._context is not None

    def bind(self, settings: Settings, factory: sessionmaker[Session]) -> None:
        self._context = (settings, factory)

    def _work(self) -> None:
        while True:
            _prio, _n, run = self._waiting.get()
            if run is None:
                return
            run()

    def _update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            self._jobs[job_id] = replace(self._jobs[job_id], **changes)

    def submit(self, fn: Callable[[ProgressFn], Any], *, name: str = "", emergency: bool = False) -> str:
        job_id = uuid.uuid4().hex
        with self._lock:
            self._jobs[job_id] = JobStatus(job_id, "queued", name=name)
            self._done[job_id] = threading.Event()
            self._forget_old()

        def progress(fraction: float) -> None:
            self._update(job_id, progress=_clamp(fraction))

        def run() -> None:
            self._update(job_id, state="running")
            try:
                result = fn(progress)
            except Exception as exc:  # a failed job is a status, never a crashed worker
                log.exception("job %s (%s) failed", job_id, name)
                self._update(job_id, state="failed", error=str(exc) or type(exc).__name__)
            else:
                self._update(job_id, state="done", progress=1.0, result=result)
            finally:
                self._done[job_id].set()

        self._waiting.put((0 if emergency else 1, next(self._order), run))
        return job_id

    def enqueue(self, task: str, *, name: str = "", emergency: bool = False,
                then: Callable[[Any], None] | None = None, **kwargs: Any) -> str:
        """Run ``task`` on a thread; ``then`` (in-process only) gets its result once it is done."""
        fn = resolve(task)
        if self._context is None:
            raise RuntimeError("ThreadJobQueue.enqueue needs bind(settings, factory) first")
        settings, factory = self._context

        def run(progress: ProgressFn) -> Any:
            result = fn(JobContext(settings, factory, progress), **kwargs)
            if then is not None:
                then(result)
            return result

        return self.submit(run, name=name or task, emergency=emergency)

    def status(self, job_id: str) -> JobStatus:
        with self._lock:
            try:
                return self._jobs[job_id]
            except KeyError:
                raise UnknownJob(job_id) from None

    def wait(self, job_id: str, timeout: float | None = None) -> JobStatus:
        with self._lock:
            event = self._done.get(job_id)
        if event is None:
            raise UnknownJob(job_id)
        event.wait(timeout)
        return self.status(job_id)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            states = [s.state for s in self._jobs.values()]
        return {"backend": "in-process", "queued": {"all": states.count("queued")},
                "running": states.count("running"), "failed": states.count("failed"),
                "workers": [{"name": t.name, "state": "alive" if t.is_alive() else "dead"} for t in self._threads]}

    def _forget_old(self) -> None:
        finished = [k for k, s in self._jobs.items() if s.state in ("done", "failed")]
        for k in finished[: max(0, len(self._jobs) - self._keep)]:
            self._jobs.pop(k, None)
            self._done.pop(k, None)

    def shutdown(self) -> None:
        for _ in self._threads:
            self._waiting.put((2, next(self._order), None))
        for t in self._threads:
            t.join()


class InlineJobQueue(ThreadJobQueue):
    """Runs each job before ``submit`` returns: for commands and tests."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(workers=1, **kwargs)

    def submit(self, fn: Callable[[ProgressFn], Any], *, name: str = "", emergency: bool = False) -> str:
        job_id = super().submit(fn, name=name, emergency=emergency)
        self.wait(job_id)
        return job_id


# --- Redis (RQ) ------------------------------------------------------------------------------


def redis_connection(url: str) -> Any:
    from redis import Redis

    return Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)


def rq_queues(connection: Any, names: tuple[str, ...] = QUEUES) -> list[Any]:
    from rq import Queue

    return [Queue(QUEUE_PREFIX + n, connection=connection) for n in names]


_RQ_STATES: dict[str, State] = {
    "queued": "queued", "deferred": "queued", "scheduled": "queued", "created": "queued",
    "started": "running", "finished": "done",
    "failed": "failed", "stopped": "failed", "canceled": "failed",
}


class RedisJobQueue:
    """Jobs on Redis, run by ``loa worker`` processes (see the module docstring for why RQ)."""

    def __init__(self, settings: Settings, connection: Any = None) -> None:
        self.settings = settings
        self.redis = connection or redis_connection(settings.redis_url)
        self._queues = dict(zip(QUEUES, rq_queues(self.redis), strict=True))

    def enqueue(self, task: str, *, name: str = "", emergency: bool = False, **kwargs: Any) -> str:
        from rq import Retry

        resolve(task)  # a wrong name fails here, in the caller, not later in a worker
        s = self.settings
        job = self._queues["emergency" if emergency else "render"].enqueue(
            run_task, task, kwargs,
            job_id=uuid.uuid4().hex,
            job_timeout=s.job_timeout_s, result_ttl=s.job_result_ttl_s, failure_ttl=s.job_result_ttl_s,
            retry=Retry(max=s.job_retries) if s.job_retries > 0 else None,
            description=name or task, meta={"name": name or task, "progress": 0.0},
            at_front=emergency,
        )
        return str(job.id)

    def status(self, job_id: str) -> JobStatus:
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        if not _JOB_ID.fullmatch(job_id):
            raise UnknownJob(job_id)
        try:
            job = Job.fetch(job_id, connection=self.redis)
            rq_state = job.get_status(refresh=False)
        except NoSuchJobError:
            raise UnknownJob(job_id) from None
        state = _RQ_STATES.get(str(getattr(rq_state, "value", rq_state)), "queued")
        meta = job.meta or {}
        error = ""
        if state == "failed":
            error = str(meta.get("error") or "") or _last_line(job)
        result = job.return_value() if state == "done" else None
        progress = 1.0 if state == "done" else _clamp(meta.get("progress") or 0.0)
        return JobStatus(job_id, state, progress, result, error, str(meta.get("name") or job.description or ""))

    def wait(self, job_id: str, timeout: float | None = None) -> JobStatus:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            st = self.status(job_id)
            if st.state in ("done", "failed") or (deadline is not None and time.monotonic() >= deadline):
                return st
            time.sleep(0.1)

    def pending_kwargs(self, task: str) -> list[dict[str, Any]]:
        """The arguments of the jobs of ``task`` waiting or running now (to find lost ones)."""
        from rq.job import Job
        from rq.registry import StartedJobRegistry

        ids: list[str] = []
        for q in self._queues.values():
            ids += q.get_job_ids()
            ids += [i.split(":")[0] for i in StartedJobRegistry(queue=q).get_job_ids()]
        out = []
        for job in Job.fetch_many(list(dict.fromkeys(ids)), connection=self.redis):
            if job is not None and len(job.args) == 2 and job.args[0] == task:
                out.append(dict(job.args[1]))
        return out

    def stats(self) -> dict[str, Any]:
        from rq import Worker
        from rq.registry import FailedJobRegistry, StartedJobRegistry

        queues = list(self._queues.values())
        workers = []
        for w in Worker.all(connection=self.redis):
            names = [q.name.removeprefix(QUEUE_PREFIX) for q in w.queues]
            if any(n in QUEUES for n in names):
                state = w.get_state()
                workers.append({"name": w.name, "state": str(getattr(state, "value", state)),
                                "queues": names, "job": w.get_current_job_id()})
        return {
            "backend": "redis",
            "queued": {n: q.count for n, q in self._queues.items()},
            "running": sum(StartedJobRegistry(queue=q).count for q in queues),
            "failed": sum(FailedJobRegistry(queue=q).count for q in queues),
            "workers": workers,
        }


def _last_line(job: Any) -> str:
    """The exception's message from a failed job's traceback (a killed job has just RQ's words)."""
    result = job.latest_result()
    text = str(getattr(result, "exc_string", "") or "").strip()
    return text.splitlines()[-1] if text else "lỗi không rõ / unknown error"


def make_queue(settings: Settings, factory: sessionmaker[Session] | None = None, *, workers: int = 2) -> JobQueue:
    """The queue the settings ask for: Redis when ``redis_url`` is set, else threads in this process."""
    if settings.redis_url:
        return RedisJobQueue(settings)
    return ThreadJobQueue(workers=workers, settings=settings, factory=factory)


def queue_stats(settings: Settings) -> dict[str, Any]:
    """Queue lengths, running and failed jobs and the workers, for a status page. In-process queues
    belong to each process, so without Redis only the backend is known here."""
    if not settings.redis_url:
        return {"backend": "in-process", "queued": {}, "running": None, "failed": None, "workers": []}
    return RedisJobQueue(settings).stats()


# --- the worker side -------------------------------------------------------------------------

#: The settings of this ``loa worker`` process, and a database handle per process (work horses are forked).
_worker_settings: Settings | None = None
_worker_db: dict[int, sessionmaker[Session]] = {}


def _worker_factory(settings: Settings) -> sessionmaker[Session]:
    pid = os.getpid()
    if pid not in _worker_db:
        from broadcast.db import make_engine, session_factory

        _worker_db.clear()  # an engine inherited through fork() is the parent's: never reuse it
        _worker_db[pid] = session_factory(make_engine(settings.db_url))
    return _worker_db[pid]


def _progress_saver(job: Any) -> ProgressFn:
    """Progress into the job's meta, at most every quarter second (each save is a Redis write)."""
    last = [0.0]

    def progress(fraction: float) -> None:
        now = time.monotonic()
        value = _clamp(fraction)
        if job is None or (now - last[0] < 0.25 and value < 1.0):
            return
        last[0] = now
        job.meta["progress"] = value
        job.save_meta()

    return progress


def run_task(task: str, kwargs: dict[str, Any]) -> Any:
    """What RQ runs in a work horse: the named task with this worker's settings and database.

    A refusal (``BroadcastError``, e.g. a render that failed) is final: no retry, and its Vietnamese
    message is what the panel shows. Anything else may be passing (the database restarting) and is
    retried like a killed worker's job."""
    from rq import get_current_job

    from broadcast.errors import BroadcastError

    if _worker_settings is None:
        raise RuntimeError("run_task runs in `loa worker` only")
    job = get_current_job()
    ctx = JobContext(_worker_settings, _worker_factory(_worker_settings), _progress_saver(job))
    try:
        return resolve(task)(ctx, **kwargs)
    except BroadcastError as exc:
        if job is not None:
            job.retries_left = 0
            job.meta["error"] = str(exc)
            job.save_meta()
        raise
    except Exception as exc:
        if job is not None:
            job.meta["error"] = f"{type(exc).__name__}: {exc}"
            job.save_meta()
        raise


def _die_with_parent() -> None:
    """Linux: have the kernel kill this work horse when its worker dies. RQ runs the horse in its own
    process group, so a worker killed -9 would otherwise leave its job running unwatched, and the job
    would run a second time once another worker retries it."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            log.warning("could not tie the work horse to its worker")


def worker_class() -> type:
    """RQ's forking worker with Loa's heartbeat: a job whose worker has been silent for twice
    ``worker_heartbeat_s`` (not RQ's fixed extra minute) is retried by another worker."""
    from rq import Worker

    class LoaWorker(Worker):  # type: ignore[misc]
        def get_heartbeat_ttl(self, job: Any, working_time: float = 0.0) -> int:
            return int(2 * self.job_monitoring_interval)

        def main_work_horse(self, job: Any, queue: Any) -> None:
            _die_with_parent()
            super().main_work_horse(job, queue)

    return LoaWorker


def run_worker(settings: Settings, queues: tuple[str, ...] = QUEUES, *, burst: bool = False,
               name: str | None = None) -> bool:
    """Serve the named queues until stopped (SIGTERM: finish the current job, then exit)."""
    global _worker_settings
    if not settings.redis_url:
        raise ValueError("redis_url is not set")
    _worker_settings = settings
    beat = max(1, int(settings.worker_heartbeat_s))
    connection = redis_connection(settings.redis_url)
    worker = worker_class()(
        rq_queues(connection, queues), connection=connection, name=name,
        job_monitoring_interval=beat, maintenance_interval=beat, worker_ttl=beat + 15,
    )
    # The pipeline's heavy modules once here, so every forked horse starts with them loaded.
    importlib.import_module("broadcast.tasks").preload()
    log.info("loa worker %s: hàng đợi %s / serving queues", worker.name, ", ".join(queues))
    return bool(worker.work(burst=burst, with_scheduler=False, logging_level=logging.getLevelName(log.getEffectiveLevel())))
