"""The tasks the job queue runs by name (``broadcast.jobs``): each takes a JobContext and plain,
JSON-able arguments, so it runs the same in a thread of ``loa serve`` and in a ``loa worker``.

Names are contracts between the processes that enqueue and the workers that run: ``RENDER`` and
``DRAIN`` below. A task must be safe to run twice (a worker killed mid-job is retried elsewhere):
the render's database write is idempotent (``broadcast.rendering``), the drain is by nature.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from broadcast.db import session_scope
from broadcast.jobs import JobContext, JobQueue, ThreadJobQueue
from broadcast.models import Bulletin, BulletinStatus, MediaFile, Priority

log = logging.getLogger(__name__)

RENDER = "broadcast.tasks:render"
DRAIN = "broadcast.tasks:drain"
CHECK = "broadcast.tasks:check"
VERSION = "broadcast.tasks:render_version"


#: What a task imports when it runs. A forked work horse starts with whatever its worker had
#: loaded and forgets whatever it loads itself, so ``loa worker`` imports these once, up front:
#: otherwise every job pays about 1.5 s of imports before its first sample (measured: 3.4 s a
#: 400-character render on the queue against 0.9 s in process).
PRELOAD = ("broadcast.publish", "broadcast.rendering", "broadcast.outbox", "broadcast.clarity",
           "broadcast.generate", "broadcast.versions", "pipeline.render", "pipeline.clarity.check")


def preload() -> None:
    """Import what the tasks need (see PRELOAD)."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)


def render(ctx: JobContext, bulletin_id: int, regenerate: bool = False) -> dict[str, Any]:
    """Render a bulletin (a cache lookup if nothing changed), then, if ``regenerate``, drain the
    playlist regeneration requests so its stations get new playlists at once. A failed render
    raises its RenderFailed (recorded on the bulletin first)."""
    from broadcast.publish import render_and_publish

    # On Redis the scheduler publishes (its drain runs every few seconds behind its claim), so that
    # no worker's drain races it; in-process, the render drains at once as it always did.
    regenerate = regenerate and not ctx.settings.redis_url
    done = render_and_publish(ctx.factory, bulletin_id, ctx.settings, publish=regenerate,
                              on_progress=lambda f: ctx.progress(0.9 * f))
    if done.failure is not None:
        raise done.failure
    result: dict[str, Any] = {"sha256": done.sha256, "duration_s": done.duration_s}
    if regenerate:
        result["playlists"] = done.playlists
    if done.sha256 and ctx.settings.clarity_check and ctx.settings.redis_url:
        # The clarity check is a job of its own, after the audio and the playlists are out (in
        # process, the panel queues it on its own thread: ``enqueue_render(then=…)``).
        from broadcast.jobs import RedisJobQueue

        RedisJobQueue(ctx.settings).enqueue(CHECK, name=f"clarity {done.sha256[:12]}", sha256=done.sha256)
    return result


def render_version(ctx: JobContext, version_id: int) -> dict[str, Any]:
    """Render a bulletin's version in another language (broadcast.versions), saved by the panel."""
    from broadcast.versions import render_version as render_it

    with session_scope(ctx.factory) as s:
        v = render_it(s, ctx.settings, version_id, on_progress=ctx.progress)
        media = s.get(MediaFile, v.media_sha256) if v.media_sha256 else None
        return {"sha256": v.media_sha256, "duration_s": media.duration_s if media is not None else None,
                "language": v.language}


def check(ctx: JobContext, sha256: str) -> dict[str, Any] | None:
    """The clarity check of one rendered MP3 (broadcast.clarity), stored with the render."""
    from broadcast.clarity import run_check

    return run_check(ctx.factory, sha256, ctx.settings)


def drain(ctx: JobContext) -> int | None:
    """Have the pending playlist regeneration requests handled through the one drainer
    (``broadcast.outbox.process_requests``: behind the scheduler's claim, or a nudge to it)."""
    from broadcast.outbox import process_requests

    return process_requests(ctx.factory, ctx.settings)


def enqueue_render(jobs: JobQueue, bulletin_id: int, *, regenerate: bool, emergency: bool = False,
                   factory: Any = None, then: Any = None) -> str:
    """Put a bulletin's render on the queue; an emergency's jumps every waiting render. With
    ``factory``, a bulletin without audio is marked ``queued`` first, so the scheduler's sweep
    (``enqueue_missing_renders``) does not queue it a second time."""
    if factory is not None:
        with session_scope(factory) as s:
            s.execute(update(Bulletin).where(Bulletin.id == bulletin_id, Bulletin.render_status == "none")
                      .values(render_status="queued"))
    extra = {"then": then} if then is not None and isinstance(jobs, ThreadJobQueue) else {}
    return jobs.enqueue(RENDER, name=f"render #{bulletin_id}", emergency=emergency,
                        bulletin_id=bulletin_id, regenerate=regenerate, **extra)


def enqueue_missing_renders(factory: Any, jobs: JobQueue, today: date) -> list[int]:
    """Enqueue the renders of approved, still valid bulletins that have no audio and none on the way
    (approved with ``--no-render``, or by a tool): marked ``queued`` in the same transaction that
    picks them, so two schedulers never enqueue one twice."""
    with session_scope(factory) as s:
        rows = s.execute(
            select(Bulletin.id, Bulletin.priority).where(
                Bulletin.status == BulletinStatus.APPROVED, Bulletin.render_status == "none",
                Bulletin.valid_to >= today,
            ).order_by(Bulletin.id).limit(100)
        ).all()
        picked = []
        for bid, priority in rows:
            won = s.execute(update(Bulletin).where(Bulletin.id == bid, Bulletin.render_status == "none")
                            .values(render_status="queued"))
            if won.rowcount == 1:  # type: ignore[attr-defined]
                picked.append((bid, priority))
    for bid, priority in picked:
        try:
            enqueue_render(jobs, bid, regenerate=True, emergency=priority == Priority.EMERGENCY)
        except Exception:  # the queue is down: the next sweep tries again
            with session_scope(factory) as s:
                s.execute(update(Bulletin).where(Bulletin.id == bid).values(render_status="none"))
            raise
    if picked:
        log.info("đã xếp %d bản tin chưa có âm thanh vào hàng đợi dựng / enqueued missing renders", len(picked))
    return [bid for bid, _p in picked]


#: How long a render missing from every RQ list must stay missing before it is enqueued again.
LOST_CONFIRM_S = 1.0


def requeue_lost_renders(factory: Any, jobs: JobQueue, *, older_than_s: float = 60.0) -> list[int]:
    """Enqueue again the renders that were queued but that no job carries any more.

    RQ takes a job from a worker's several queues with a plain pop: a worker killed in the instant
    between taking a job and recording it as started loses it, and its bulletin would stay
    ``queued``. Only for the Redis queue, which can list its jobs; a compare-and-set on
    ``updated_at`` lets one scheduler of several re-enqueue each."""
    pending = getattr(jobs, "pending_kwargs", None)
    if pending is None:
        return []
    cutoff = datetime.now(UTC) - timedelta(seconds=older_than_s)
    with session_scope(factory) as s:
        rows = s.execute(select(Bulletin.id, Bulletin.priority, Bulletin.updated_at).where(
            Bulletin.status == BulletinStatus.APPROVED, Bulletin.render_status == "queued",
            Bulletin.updated_at < cutoff).order_by(Bulletin.id).limit(100)).all()
    if not rows:
        return []
    # Twice, a beat apart: a job moving between RQ's lists (a worker taking it, or a dead worker's
    # job being retried) is briefly on none of them, and must not be taken for lost.
    missing = {bid for bid, _p, _s in rows} - {kw.get("bulletin_id") for kw in pending(RENDER)}
    if missing:
        time.sleep(LOST_CONFIRM_S)
        missing -= {kw.get("bulletin_id") for kw in pending(RENDER)}
    lost = []
    for bid, priority, seen in rows:
        if bid not in missing:
            continue
        with session_scope(factory) as s:
            won = s.execute(update(Bulletin).where(Bulletin.id == bid, Bulletin.updated_at == seen)
                            .values(updated_at=datetime.now(UTC)))
        if won.rowcount == 1:  # type: ignore[attr-defined]
            enqueue_render(jobs, bid, regenerate=True, emergency=priority == Priority.EMERGENCY)
            lost.append(bid)
    if lost:
        log.warning("dựng lại %d bản tin bị mất khỏi hàng đợi / re-enqueued lost renders: %s", len(lost), lost)
    return lost
