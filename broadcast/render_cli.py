"""``loa bulletin render`` (and add/approve) when ``redis_url`` is set: the render goes on the Redis
queue like the panel's (``broadcast.tasks.enqueue_render``), so it runs on a ``loa worker`` with the
province's other renders, emergencies first, instead of on the operator's machine beside them.

By default the command waits for the job and shows its progress; ``--no-wait`` only enqueues and
prints the job id. Without Redis the CLI renders in process as before (``broadcast/cli.py``).
"""

from __future__ import annotations

import time

import click
from sqlalchemy.orm import Session, sessionmaker

from broadcast import bulletins as bl
from broadcast.db import init_db, session_factory, session_scope
from broadcast.errors import BroadcastError
from broadcast.jobs import JobStatus, RedisJobQueue
from broadcast.models import MediaFile, Priority
from loa.config import Settings

#: How long a job may wait with no worker at all before the command says so (once).
NO_WORKER_HINT_S = 5.0


def queue_render(settings: Settings, bulletin_id: int, *, wait: bool = True, poll_s: float = 0.5) -> str:
    """Enqueue the bulletin's render (an emergency's jumps the queue); with ``wait``, follow the job
    to its end, printing progress, and fail with the job's Vietnamese error. Returns the job id."""
    import redis

    from broadcast.tasks import enqueue_render

    factory = session_factory(init_db(settings.db_url))
    try:
        with session_scope(factory) as session:  # an unknown id is refused here, before any job
            emergency = bl.get_bulletin(session, bulletin_id).priority == Priority.EMERGENCY
    except BroadcastError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        queue = RedisJobQueue(settings)
        job_id = enqueue_render(queue, bulletin_id, regenerate=True, emergency=emergency, factory=factory)
    except redis.RedisError as exc:
        raise click.ClickException(f"Không kết nối được hàng đợi Redis ({exc}); hãy thử lại sau. "
                                   f"/ The Redis queue cannot be reached.") from exc
    click.echo(f"Đã xếp bản tin #{bulletin_id} vào hàng đợi dựng âm thanh"
               f"{' (khẩn cấp, lên đầu hàng)' if emergency else ''}: việc {job_id}. / Render queued.", err=True)
    if not wait:
        click.echo(job_id)
        return job_id
    try:
        done = _follow(queue, job_id, f"Tạo âm thanh bản tin #{bulletin_id}", poll_s)
    except KeyboardInterrupt:
        click.echo(f"\nĐã thôi chờ; việc {job_id} vẫn ở trong hàng đợi. / Stopped waiting; the job stays queued.",
                   err=True)
        raise click.exceptions.Exit(130) from None
    if done.state == "failed":
        raise click.ClickException(f"{done.error or 'Dựng âm thanh thất bại.'} Thử lại: loa bulletin render {bulletin_id}")
    _report_done(factory, settings, done)
    return job_id


def _follow(queue: RedisJobQueue, job_id: str, label: str, poll_s: float) -> JobStatus:
    """Poll the job until it is done or failed, printing its progress as the panel shows it."""
    from broadcast.cli import _progress_printer

    show = _progress_printer(label)
    started, hinted, shown = time.monotonic(), False, False
    while True:
        st = queue.wait(job_id, timeout=poll_s)
        if st.state in ("done", "failed"):
            if shown and st.state == "done":
                show(1.0)
            elif shown:
                click.echo("", err=True)
            return st
        if st.state == "running":
            show(st.progress)
            shown = True
        elif not hinted and time.monotonic() - started > NO_WORKER_HINT_S and not queue.stats()["workers"]:
            hinted = True
            click.echo("Chưa có `loa worker` nào đang chạy; việc sẽ chờ đến khi có. / No worker is running yet.",
                       err=True)


def _report_done(factory: sessionmaker[Session], settings: Settings, done: JobStatus) -> None:
    result = done.result or {}
    sha = result.get("sha256")
    where = sha
    if sha:
        with session_scope(factory) as session:
            mf = session.get(MediaFile, sha)
            where = str(settings.media_dir / mf.path) if mf is not None else sha
    click.echo(f"Âm thanh: {where} ({result.get('duration_s') or 0:.1f} giây)", err=True)
    click.echo("Danh sách phát sẽ được bộ lập lịch đang chạy lập lại. / "
               "The running scheduler will regenerate the playlists.", err=True)
