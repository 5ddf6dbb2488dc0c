"""Is the schedule being kept? Signs, read from the database, that no scheduler is at work.

A change writes a regeneration request and a scheduler drains it within seconds; every night the
scheduler records a nightly run. A request left waiting, or a night with no run, means the
playlists the stations pull are stale, which an operator must be told (issue: the main job ran no
scheduler and nobody could see it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broadcast import clock
from broadcast.errors import BroadcastError
from broadcast.models import RegenRequest, SchedulerRun, Station


def schedule_warnings(
    session: Session, *, tz: str, nightly_time: time, stale_after_s: float, now: datetime | None = None
) -> list[BroadcastError]:
    """What is stale now, as translatable messages; empty when the schedule is kept."""
    now = now or clock.utcnow()
    warnings: list[BroadcastError] = []
    oldest = session.scalar(select(func.min(RegenRequest.created_at)).where(RegenRequest.done_at.is_(None)))
    if oldest is not None:
        if oldest.tzinfo is None:  # SQLite hands datetimes back naive; they are stored in UTC
            oldest = oldest.replace(tzinfo=UTC)
        waited = (now - oldest).total_seconds()
        if waited > stale_after_s:
            warnings.append(BroadcastError(
                "Có thay đổi chờ lập danh sách phát đã %(minutes)s phút: bộ lập lịch không chạy "
                "(chạy 'loa serve' hoặc 'loa scheduler').", minutes=int(waited // 60) or 1))
    local = now.astimezone(clock.zone(tz))
    due = datetime.combine(local.date(), nightly_time, local.tzinfo) + timedelta(hours=1)
    if local >= due and _has_stations(session) and not _nightly_ran(session, local.date()):
        warnings.append(BroadcastError(
            "Chưa có lần lập danh sách phát hằng đêm nào cho ngày %(day)s: bộ lập lịch không chạy.",
            day=f"{local.date():%d/%m/%Y}"))
    return warnings


def _has_stations(session: Session) -> bool:
    return session.scalar(select(Station.id).where(Station.active.is_(True)).limit(1)) is not None


def _nightly_ran(session: Session, day: date) -> bool:
    run = select(SchedulerRun.id).where(
        SchedulerRun.job == "nightly", SchedulerRun.slot == day, SchedulerRun.status.in_(("ok", "running"))
    )
    return session.scalar(run.limit(1)) is not None
