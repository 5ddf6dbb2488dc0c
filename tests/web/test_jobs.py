from __future__ import annotations

import threading

import pytest

from web.jobs import InlineJobQueue, ThreadJobQueue, UnknownJob


def test_thread_queue_reports_progress_and_result() -> None:
    queue = ThreadJobQueue(workers=1)
    gate = threading.Event()
    seen = threading.Event()

    def job(progress):  # type: ignore[no-untyped-def]
        progress(0.5)
        seen.set()
        gate.wait(5)
        return "ok"

    job_id = queue.submit(job, name="render")
    assert seen.wait(5)
    status = queue.status(job_id)
    assert status.state == "running" and status.progress == 0.5 and status.name == "render"
    gate.set()
    final = queue.wait(job_id, timeout=5)
    assert final.state == "done" and final.result == "ok" and final.progress == 1.0
    queue.shutdown()


def test_a_failing_job_is_a_status_not_a_dead_worker() -> None:
    queue = ThreadJobQueue(workers=1)

    def boom(progress):  # type: ignore[no-untyped-def]
        raise ValueError("Văn bản trống")

    failed = queue.wait(queue.submit(boom), timeout=5)
    assert failed.state == "failed" and failed.error == "Văn bản trống"
    after = queue.wait(queue.submit(lambda p: 42), timeout=5)
    assert after.state == "done" and after.result == 42
    queue.shutdown()


def test_inline_queue_finishes_before_submit_returns() -> None:
    queue = InlineJobQueue()
    job_id = queue.submit(lambda p: "done-now")
    assert queue.status(job_id).result == "done-now"
    with pytest.raises(UnknownJob):
        queue.status("nope")
    queue.shutdown()
