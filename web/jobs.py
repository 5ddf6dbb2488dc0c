"""A small job interface for long work (renders), so callers do not care where it runs.

Today a thread pool in the same process backs it (the panel's previews, approvals). A real queue
(RQ, Celery, a database-backed worker) can implement the same three methods later without the
callers changing: they submit a callable that reports progress, then poll the job's status.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

log = logging.getLogger(__name__)

ProgressFn = Callable[[float], None]
State = Literal["queued", "running", "done", "failed"]


@dataclass(frozen=True)
class JobStatus:
    id: str
    state: State
    progress: float = 0.0
    result: Any = None
    error: str = ""
    name: str = ""


class JobQueue(Protocol):
    def submit(self, fn: Callable[[ProgressFn], Any], *, name: str = "") -> str: ...

    def status(self, job_id: str) -> JobStatus: ...

    def wait(self, job_id: str, timeout: float | None = None) -> JobStatus: ...


class UnknownJob(KeyError):
    pass


class ThreadJobQueue:
    """Runs jobs on a few worker threads; keeps the last ``keep`` statuses for polling."""

    def __init__(self, workers: int = 1, keep: int = 500) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="loa-job")
        self._lock = threading.Lock()
        self._jobs: dict[str, JobStatus] = {}
        self._done: dict[str, threading.Event] = {}
        self._keep = keep

    def _update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            self._jobs[job_id] = replace(self._jobs[job_id], **changes)

    def submit(self, fn: Callable[[ProgressFn], Any], *, name: str = "") -> str:
        job_id = uuid.uuid4().hex
        with self._lock:
            self._jobs[job_id] = JobStatus(job_id, "queued", name=name)
            self._done[job_id] = threading.Event()
            self._forget_old()

        def progress(fraction: float) -> None:
            self._update(job_id, progress=max(0.0, min(1.0, float(fraction))))

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

        self._pool.submit(run)
        return job_id

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

    def _forget_old(self) -> None:
        finished = [k for k, s in self._jobs.items() if s.state in ("done", "failed")]
        for k in finished[: max(0, len(self._jobs) - self._keep)]:
            self._jobs.pop(k, None)
            self._done.pop(k, None)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)

    def counts(self) -> dict[str, int]:
        """Jobs kept, by state (queued, running, done, failed): /status shows the queue."""
        with self._lock:
            states = [s.state for s in self._jobs.values()]
        return {state: states.count(state) for state in ("queued", "running", "done", "failed")}


class InlineJobQueue(ThreadJobQueue):
    """Runs each job in the caller's thread before ``submit`` returns: for commands and tests."""

    def __init__(self) -> None:
        super().__init__(workers=1)

    def submit(self, fn: Callable[[ProgressFn], Any], *, name: str = "") -> str:
        job_id = super().submit(fn, name=name)
        self.wait(job_id)
        return job_id
