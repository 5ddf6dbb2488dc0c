"""``loa bulletin render`` with Redis configured: the render goes on the queue like the panel's and
runs on a real ``loa worker --burst``; the command waits for the job showing its progress (or, with
``--no-wait``, only enqueues and prints the job id) and fails with the job's Vietnamese error.
Redis database 12 is this file's own, so other tests flushing theirs never take its jobs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from broadcast.db import init_db, session_factory, session_scope
from broadcast.jobs import RedisJobQueue
from broadcast.models import Bulletin
from loa import config
from tests.scale.conftest import ROOT, wait_for
from tests.scale.helpers import approved_without_audio, assert_store_complete, process_env

DAY = date.today()
REDIS_URL = "redis://127.0.0.1:6379/12"


@pytest.fixture
def redis12() -> Iterator[str]:
    from redis import Redis
    from redis.exceptions import RedisError

    conn = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        conn.flushdb()
    except RedisError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    yield REDIS_URL
    conn.flushdb()
    conn.close()


def _setup(tmp_path: Path, redis_url: str, *titles: str) -> tuple[dict[str, str], config.Settings, list[int]]:
    env = process_env(tmp_path / "data", redis_url, db_url=os.environ.get("LOA_DATABASE_URL", ""))
    settings = config.load(env=env)
    factory = session_factory(init_db(settings.db_url))
    with session_scope(factory) as s:
        ids = [approved_without_audio(s, settings, t, DAY) for t in titles]
    return env, settings, ids


def _status(settings: config.Settings, bulletin_id: int) -> tuple[str, str]:
    with session_scope(session_factory(init_db(settings.db_url))) as s:
        b = s.get(Bulletin, bulletin_id)
        assert b is not None
        return b.render_status, b.render_error


def test_render_waits_for_a_worker_and_shows_progress(tmp_path: Path, redis12: str, procs) -> None:  # type: ignore[no-untyped-def]
    env, settings, (bid,) = _setup(tmp_path, redis12, "Lịch tiêm phòng")
    queue = RedisJobQueue(settings)
    cli = procs("cli", ["bulletin", "render", str(bid)], env)
    wait_for(lambda: queue.stats()["queued"]["render"] == 1, 60, "the CLI to enqueue the render", [cli])
    assert cli.alive() and _status(settings, bid)[0] == "queued"  # not rendered in the CLI's process
    worker = procs("worker", ["worker", "--burst", "--name", "w-cli"], env)
    assert worker.proc.wait(120) == 0, worker.output()
    assert cli.proc.wait(60) == 0, cli.output()
    out = cli.output()
    assert "Đã xếp bản tin" in out and "100%" in out and "Âm thanh:" in out, out
    assert _status(settings, bid) == ("done", "")
    assert assert_store_complete(settings.media_dir) == 1


def test_no_wait_only_enqueues_and_prints_the_job_id(tmp_path: Path, redis12: str, procs) -> None:  # type: ignore[no-untyped-def]
    env, settings, (bid,) = _setup(tmp_path, redis12, "Cắt điện")
    r = subprocess.run([sys.executable, "-m", "loa", "bulletin", "render", str(bid), "--no-wait"], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    job_id = r.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{32}", job_id), r.stdout
    queue = RedisJobQueue(settings)
    assert queue.status(job_id).state == "queued" and _status(settings, bid)[0] == "queued"
    worker = procs("worker", ["worker", "--burst", "--name", "w-nowait"], env)
    assert worker.proc.wait(120) == 0, worker.output()
    assert queue.status(job_id).state == "done" and _status(settings, bid)[0] == "done"


def test_a_failed_render_prints_the_jobs_vietnamese_error(tmp_path: Path, redis12: str, procs) -> None:  # type: ignore[no-untyped-def]
    env, settings, (bid,) = _setup(tmp_path, redis12, "Họp dân")
    queue = RedisJobQueue(settings)
    cli = procs("cli", ["bulletin", "render", str(bid)], env)
    wait_for(lambda: queue.stats()["queued"]["render"] == 1, 60, "the CLI to enqueue the render", [cli])
    # a worker whose only voice is a cloud engine with no key: the render is refused there
    broken = {**env, "LOA_ENGINE_ORDER": "fpt", "LOA_FPT_API_KEY": ""}
    worker = procs("worker", ["worker", "--burst", "--name", "w-broken"], broken)
    assert worker.proc.wait(120) == 0, worker.output()
    assert cli.proc.wait(60) == 1, cli.output()
    out = cli.output()
    assert f"Không tạo được âm thanh cho bản tin #{bid}" in out and f"Thử lại: loa bulletin render {bid}" in out, out
    assert "Traceback" not in out
    assert _status(settings, bid)[0] == "failed"


def test_an_unknown_bulletin_is_refused_before_anything_is_queued(tmp_path: Path, redis12: str) -> None:
    env, settings, _ids = _setup(tmp_path, redis12)
    r = subprocess.run([sys.executable, "-m", "loa", "bulletin", "render", "424242"], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "424242" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert RedisJobQueue(settings).stats()["queued"] == {"emergency": 0, "render": 0}
