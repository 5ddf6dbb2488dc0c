"""Broadcast sessions (phiên phát) of a station: adding and removing them.

A session changes when a station airs, so every change asks for the station's playlists to be
regenerated, and is audited, in the caller's transaction.
"""

from __future__ import annotations

import dataclasses
from datetime import date, time

from sqlalchemy.orm import Session

from broadcast.changes import audit, request_regen
from broadcast.errors import BroadcastError, NotFound
from broadcast.models import BroadcastSession, Station
from broadcast.stations import SessionSpec, check_overlaps, parse_sessions, spec_of

MAX_NAME = 120


def add_session(session: Session, station: Station, spec: SessionSpec, *, actor: str = "") -> BroadcastSession:
    """Add one session to a station; refuses one that overlaps the station's active sessions."""
    return add_sessions(session, station, [spec], actor=actor)[0]


def add_sessions(
    session: Session, station: Station, specs: list[SessionSpec], *, actor: str = ""
) -> list[BroadcastSession]:
    """Add sessions to a station, all or none: refused if any overlaps another or an active one."""
    if not specs:
        raise BroadcastError("Chưa có phiên phát nào.")
    if any(len(s.name) > MAX_NAME for s in specs):
        raise BroadcastError("Tên phiên phát quá dài (tối đa %(n)s ký tự).", n=MAX_NAME)
    check_overlaps([*[s for s in station.sessions if s.active], *specs])
    added = []
    for spec in specs:
        bs = BroadcastSession(
            weekdays=spec.weekdays,
            start_time=spec.start_time,
            max_minutes=spec.max_minutes,
            on_date=spec.on_date,
            name=spec.name,
        )
        station.sessions.append(bs)
        added.append(bs)
    session.flush()
    spec_text = "; ".join(spec_of(b).format() for b in added)
    audit(session, actor, "session.add", station.code, spec=spec_text, name=specs[0].name)
    request_regen(session, "sessions changed", [station.code])
    return added


def add_from_spec(
    session: Session, station: Station, spec: str, *, name: str = "", actor: str = ""
) -> list[BroadcastSession]:
    """Parse a spec such as ``"T2-T6 11:00-11:15; 2026-12-01 19:00-19:30"`` and add its sessions."""
    specs = [dataclasses.replace(s, name=name.strip()) for s in parse_sessions(spec)]
    return add_sessions(session, station, specs, actor=actor)


def delete_session(session: Session, station: Station, session_id: int, *, actor: str = "") -> None:
    """Remove one of the station's sessions (NotFound if it is not one of them)."""
    bs = next((s for s in station.sessions if s.id == session_id), None)
    if bs is None:
        raise NotFound("Đài %(code)s không có phiên phát #%(id)s.", code=station.code, id=session_id)
    spec = spec_of(bs).format()
    station.sessions.remove(bs)
    session.flush()
    audit(session, actor, "session.delete", station.code, spec=spec)
    request_regen(session, "sessions changed", [station.code])


def grid_spec(*, weekdays: str, start: str, end: str, on_date: date | None = None, name: str = "") -> SessionSpec:
    """A session drawn on the week view's grid: weekday digits (or one date), "HH:MM" start and end.
    Vietnamese BroadcastError for a window that is empty, reversed, past midnight or on no day."""
    try:
        t0, t1 = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError:
        raise BroadcastError("Giờ phiên phát phải có dạng HH:MM, ví dụ 05:30.") from None
    minutes = (t1.hour * 60 + t1.minute) - (t0.hour * 60 + t0.minute)
    if minutes <= 0:
        raise BroadcastError("Giờ kết thúc phải sau giờ bắt đầu (cùng ngày).")
    if on_date is not None:
        weekdays = str(on_date.isoweekday())
    days = "".join(sorted(set(weekdays)))
    if not days or any(d not in "1234567" for d in days):
        raise BroadcastError("Hãy chọn ít nhất một ngày trong tuần cho phiên phát.")
    return SessionSpec(weekdays=days, start_time=t0.replace(second=0, microsecond=0), max_minutes=minutes,
                       on_date=on_date, name=name.strip())


def update_session(
    session: Session, station: Station, session_id: int, spec: SessionSpec, *, actor: str = ""
) -> BroadcastSession:
    """Move or resize one of the station's sessions (the week view's grid); refused if it would
    overlap another active session of the station."""
    bs = next((s for s in station.sessions if s.id == session_id), None)
    if bs is None:
        raise NotFound("Đài %(code)s không có phiên phát #%(id)s.", code=station.code, id=session_id)
    if len(spec.name) > MAX_NAME:
        raise BroadcastError("Tên phiên phát quá dài (tối đa %(n)s ký tự).", n=MAX_NAME)
    check_overlaps([*[s for s in station.sessions if s.active and s.id != bs.id], spec])
    before = spec_of(bs).format()
    bs.weekdays, bs.start_time, bs.max_minutes, bs.on_date = spec.weekdays, spec.start_time, spec.max_minutes, spec.on_date
    bs.name = spec.name or bs.name
    session.flush()
    audit(session, actor, "session.update", station.code, before=before, after=spec_of(bs).format())
    request_regen(session, "sessions changed", [station.code])
    return bs
