"""The render queue: in-process (no Redis, the default) and on Redis with real ``loa worker`` processes.

On Redis: progress and result readable by id, an emergency jumps the queue, a refused render fails
once with its Vietnamese message, and a worker killed -9 mid-render has its job finished by another
worker, once, with one MediaFile row and one regeneration request."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from broadcast.db import init_db, session_factory, session_scope
from broadcast.jobs import InlineJobQueue, RedisJobQueue, ThreadJobQueue, UnknownJob, queue_stats
from broadcast.models import Bulletin, MediaFile, RegenRequest
from broadcast.tasks import DRAIN, enqueue_render
from loa import config
from tests.scale.conftest import Proc, wait_for
from tests.scale.helpers import LONG_SCRIPT, approved_without_audio, assert_store_complete, process_env

DAY = date.today()


def test_thread_queue_serves_emergencies_first() -> None:
    queue = ThreadJobQueue(workers=1)
    gate, order = threading.Event(), []
    queue.submit(lambda p: gate.wait(5), name="blocker")
    ids = [queue.submit(lambda p, i=i: order.append(i), name=f"n{i}") for i in range(3)]
    ids.append(queue.submit(lambda p: order.append("emergency"), emergency=True))
    gate.set()
    for job_id in ids:
        assert queue.wait(job_id, 5).state == "done"
    assert order == ["emergency", 0, 1, 2]
    queue.shutdown()


def test_in_process_queue_runs_a_task_by_name(tmp_path: Path) -> None:
    settings = config.load(env={"LOA_DATA_DIR": str(tmp_path / "d")})
    factory = session_factory(init_db(settings.db_url))
    queue = InlineJobQueue(settings=settings, factory=factory)
    st = queue.status(queue.enqueue(DRAIN, name="drain"))
    assert (st.state, st.result, st.name) == ("done", 0, "drain")
    with pytest.raises(ValueError):
        queue.enqueue("os:system", command="true")  # only Loa's own modules' functions are tasks
    assert queue_stats(settings)["backend"] == "in-process"
    queue.shutdown()


def _worker(procs, tmp_path: Path, redis_url: str, name: str, *args: str) -> Proc:  # type: ignore[no-untyped-def]
    return procs(name, ["worker", "--name", name, *args], process_env(tmp_path / "data", redis_url))


def test_redis_queue_order_progress_result_and_refusal(tmp_path: Path, redis_url: str, procs) -> None:  # type: ignore[no-untyped-def]
    settings = config.load(env=process_env(tmp_path / "data", redis_url))
    factory = session_factory(init_db(settings.db_url))
    with session_scope(factory) as s:
        bid = approved_without_audio(s, settings, "Lịch tiêm phòng", DAY)
    queue = RedisJobQueue(settings)
    drains = [queue.enqueue(DRAIN, name=f"drain {i}") for i in range(3)]
    render_id = enqueue_render(queue, bid, regenerate=True, factory=factory)
    urgent = queue.enqueue(DRAIN, name="urgent", emergency=True)
    missing = enqueue_render(queue, 999_999, regenerate=False)
    assert queue.status(render_id).state == "queued"
    stats = queue.stats()
    assert stats["queued"] == {"emergency": 1, "render": 5} and stats["workers"] == []
    with pytest.raises(UnknownJob):
        queue.status("../../etc")

    worker = _worker(procs, tmp_path, redis_url, "w-burst", "--burst")
    assert worker.proc.wait(120) == 0, worker.output()

    from rq.job import Job

    started = {j: Job.fetch(j, connection=queue.redis).started_at for j in [*drains, urgent]}
    assert started[urgent] < min(started[d] for d in drains), "the emergency must jump the waiting jobs"
    done = queue.status(render_id)
    assert done.state == "done" and done.progress == 1.0, done
    assert done.result["sha256"] and done.result["duration_s"] > 1
    assert (settings.media_dir / done.result["sha256"][:2] / f"{done.result['sha256']}.mp3").is_file()
    refused = queue.status(missing)
    assert refused.state == "failed" and "999999" in refused.error, refused
    assert len(Job.fetch(missing, connection=queue.redis).results()) == 1, "a refusal is not retried"
    with session_scope(factory) as s:
        b = s.get(Bulletin, bid)
        assert b is not None and b.render_status == "done" and b.media_sha256 == done.result["sha256"]


def _horses(pid: int) -> list[int]:
    """The children of a process (RQ's work horse), from /proc."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_a_worker_killed_mid_render_is_retried_by_another_once(tmp_path: Path, redis_url: str, procs) -> None:  # type: ignore[no-untyped-def]
    settings = config.load(env=process_env(tmp_path / "data", redis_url))
    factory = session_factory(init_db(settings.db_url))
    with session_scope(factory) as s:
        bid = approved_without_audio(s, settings, "Phòng chống bão", DAY, body=LONG_SCRIPT)
    queue = RedisJobQueue(settings)
    first = _worker(procs, tmp_path, redis_url, "w-first")
    job_id = enqueue_render(queue, bid, regenerate=True, factory=factory)
    wait_for(lambda: queue.status(job_id).state == "running" and queue.status(job_id).progress > 0, 60,
             "the render to start", [first])
    horses = _horses(first.pid)
    assert horses, "the worker renders in a forked work horse"
    first.kill9()  # the worker only: its horse must die with it (PR_SET_PDEATHSIG), not run on unwatched
    wait_for(lambda: not any(Path(f"/proc/{h}").exists() and "zombie" not in
                             Path(f"/proc/{h}/status").read_text() for h in horses), 5, "the horse to die")
    assert queue.status(job_id).state == "running"  # nobody has noticed yet

    second = _worker(procs, tmp_path, redis_url, "w-second")
    done = wait_for(lambda: (st := queue.status(job_id)).state in ("done", "failed") and st, 90,
                    "another worker to finish the job", [second])
    assert done.state == "done", done
    from rq.job import Job

    results = Job.fetch(job_id, connection=queue.redis).results()
    assert [r.type.name for r in results] == ["SUCCESSFUL"], "finished exactly once"
    with session_scope(factory) as s:
        assert s.scalar(select(func.count()).select_from(MediaFile)) == 1
        assert s.scalar(select(func.count()).select_from(RegenRequest)
                        .where(RegenRequest.reason == "bulletin rendered")) == 1
    assert assert_store_complete(settings.media_dir) == 1
    stats = queue_stats(settings)
    assert "w-second" in [w["name"] for w in stats["workers"]]
    assert stats["failed"] == 0 and stats["running"] == 0 and stats["queued"] == {"emergency": 0, "render": 0}
    assert second.stop() == 0


def test_a_render_lost_between_pop_and_start_is_queued_again_once(tmp_path: Path, redis_url: str) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from broadcast.tasks import RENDER, requeue_lost_renders

    settings = config.load(env=process_env(tmp_path / "data", redis_url))
    factory = session_factory(init_db(settings.db_url))
    with session_scope(factory) as s:
        lost = approved_without_audio(s, settings, "Mất việc", DAY)
        waiting = approved_without_audio(s, settings, "Đang chờ", DAY)
    queue = RedisJobQueue(settings)
    enqueue_render(queue, waiting, regenerate=True, factory=factory)
    with session_scope(factory) as s:  # `lost` was marked queued, then its job vanished with a worker
        s.execute(update(Bulletin).where(Bulletin.id == lost).values(render_status="queued"))
        s.execute(update(Bulletin).values(updated_at=datetime.now(UTC) - timedelta(minutes=5)))
    assert requeue_lost_renders(factory, queue) == [lost]
    assert requeue_lost_renders(factory, queue) == []  # now a job carries it
    assert sorted(kw["bulletin_id"] for kw in queue.pending_kwargs(RENDER)) == sorted([lost, waiting])
    assert requeue_lost_renders(factory, InlineJobQueue(settings=settings, factory=factory)) == []


def test_a_render_between_rqs_lists_is_not_taken_for_lost(tmp_path: Path, redis_url: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A job on none of RQ's lists for an instant (being taken, or a dead worker's being retried)
    reappears a beat later: it is not enqueued a second time (the fault test caught that double)."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from broadcast import tasks
    from broadcast.tasks import requeue_lost_renders

    settings = config.load(env=process_env(tmp_path / "data", redis_url))
    factory = session_factory(init_db(settings.db_url))
    with session_scope(factory) as s:
        moving = approved_without_audio(s, settings, "Đang chuyển", DAY)
        s.execute(update(Bulletin).where(Bulletin.id == moving).values(
            render_status="queued", updated_at=datetime.now(UTC) - timedelta(minutes=5)))
    queue = RedisJobQueue(settings)
    looks = iter([[], [{"bulletin_id": moving}]])  # missing on the first look, back on the second
    monkeypatch.setattr(queue, "pending_kwargs", lambda task: next(looks))
    monkeypatch.setattr(tasks, "LOST_CONFIRM_S", 0.01)
    assert requeue_lost_renders(factory, queue) == []
    assert queue.redis.llen("rq:queue:loa-render") == 0  # nothing enqueued
