"""Fixtures for the scale-out tests: a fresh PostgreSQL database and a clean Redis database each,
and real ``loa`` processes (serve, scheduler, worker) started on them.

PostgreSQL and Redis run on loopback on the project's machines and in CI (``.ci/run`` starts them);
where they are not reachable the tests are skipped with the reason. ``LOA_TEST_PG_URL`` (an admin
URL) and ``LOA_TEST_REDIS_URL`` point them elsewhere."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = os.environ.get("LOA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("LOA_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")


def _pg_admin() -> Any:
    import psycopg

    u = make_url(PG_ADMIN)
    return psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                           dbname=u.database or "postgres", autocommit=True, connect_timeout=3)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new, empty PostgreSQL database for this test, dropped afterwards."""
    try:
        admin = _pg_admin()
    except Exception as exc:
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN}: {exc}")
    name = f"queue10_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database emptied before and after the test."""
    from redis import Redis
    from redis.exceptions import RedisError

    conn = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        conn.flushdb()
    except RedisError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    try:
        yield REDIS_URL
    finally:
        conn.flushdb()
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proc:
    """One ``loa`` process in its own session (so kill -9 of a server takes its Granian worker too),
    its output kept in a file for failure reports."""

    def __init__(self, log_dir: Path, label: str, args: list[str], env: dict[str, str]) -> None:
        self.label = label
        self.args = args
        self.env = env
        self.log_path = log_dir / f"{label}-{time.monotonic_ns()}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "loa", "-v", *args], env=env, cwd=ROOT,
                                     stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill9(self, *, group: bool = False) -> None:
        """SIGKILL the process (``group``: and every process of its session, e.g. Granian's worker)."""
        if group:
            os.killpg(self.proc.pid, signal.SIGKILL)
        else:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, timeout: float = 30) -> int | None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9(group=True)
        self._log.close()
        return self.proc.returncode


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Callable[..., Proc]]:
    started: list[Proc] = []

    def start(label: str, args: list[str], env: dict[str, str]) -> Proc:
        p = Proc(tmp_path, label, args, env)
        started.append(p)
        return p

    yield start
    for p in started:
        if p.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.proc.pid, signal.SIGKILL)
            p.proc.wait(10)


def wait_for(cond: Callable[[], Any], timeout: float, what: str, procs: list[Proc] | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.05)
    logs = "\n".join(f"--- {p.label}\n{p.output()[-3000:]}" for p in procs or [])
    raise AssertionError(f"timed out waiting for {what}\n{logs}")
