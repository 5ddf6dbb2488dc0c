"""Alerts: a station offline for ``alert_offline_after_min`` minutes, or a session missed today.

Each condition has a row in ``alert_states`` keyed by what it is about (``offline:CODE``,
``missed:CODE:DATE:HHMM``). ``evaluate`` compares what holds now with those rows and decides what
to send: a new alert at once; one still true again after ``alert_cooldown_min``; for a station
back online, "đã kết nối lại". It writes the decisions (``last_sent_at``) in the caller's
transaction *before* anything is sent, and the scheduler runs it under a claim, so several
processes never send the same alert twice. A station never connected raises nothing (its agent
was never installed: that is not a lost connection).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast import clock
from broadcast.dashboard import Overview, overview
from broadcast.models import AlertState, Station


@dataclass(frozen=True)
class Notice:
    """A message to send: ``event`` is raised, reminder or recovered."""

    key: str
    kind: str
    event: str
    station: str
    text: str

    @property
    def subject(self) -> str:
        return f"[Loa] {self.text}"

    def payload(self) -> dict[str, Any]:
        return {"source": "loa", "event": f"{self.kind}.{self.event}", "station": self.station,
                "key": self.key, "text": self.text}


def _local(moment: datetime, tz: str) -> str:
    return moment.astimezone(clock.zone(tz)).strftime("%H:%M %d/%m/%Y")


def conditions(view: Overview, stations: dict[str, Station], offline_after: timedelta) -> dict[str, tuple[str, str, str]]:
    """What holds now: key → (kind, station code, message)."""
    found: dict[str, tuple[str, str, str]] = {}
    for sv in view.stations:
        st = stations[sv.code]
        last = sv.last_heartbeat_at
        if last is not None and view.now - last >= offline_after:
            found[f"offline:{sv.code}"] = (
                "offline", sv.code, f"Đài {sv.name} ({sv.code}) ngoại tuyến từ {_local(last, st.timezone)}")
        for s in sv.sessions:
            if s.state == "missed":
                key = f"missed:{sv.code}:{s.start.date().isoformat()}:{s.start.strftime('%H%M')}"
                found[key] = ("missed", sv.code, f"Đài {sv.name} ({sv.code}) bị lỡ phiên "
                              f"{s.start.strftime('%H:%M')}–{s.end.strftime('%H:%M')} ngày {s.start:%d/%m/%Y}")
    return found


def evaluate(session: Session, *, heartbeat_s: float, offline_after_min: float, cooldown_min: float,
             now: datetime | None = None) -> list[Notice]:
    """Update alert_states to what holds now and return what to send (see the module docstring)."""
    now = now or clock.utcnow()
    view = overview(session, heartbeat_s=heartbeat_s, now=now, commands=0)
    stations = {s.code: s for s in session.scalars(select(Station))}
    found = conditions(view, stations, timedelta(minutes=offline_after_min))
    rows = {r.key: r for r in session.scalars(select(AlertState).where(
        (AlertState.active.is_(True)) | (AlertState.key.in_(list(found)))))}
    notices: list[Notice] = []
    cooldown = timedelta(minutes=cooldown_min)
    for key, (kind, code, text) in found.items():
        row = rows.get(key)
        event = ""
        if row is None:
            row = AlertState(key=key, kind=kind, station_id=stations[code].id, active=True, message=text,
                             raised_at=now, sent_count=0, last_error="")
            session.add(row)
            event = "raised"
        elif not row.active:
            row.active, row.raised_at, row.cleared_at, row.message = True, now, None, text
            event = "raised"
        elif kind == "offline" and (row.last_sent_at is None or now - row.last_sent_at >= cooldown):
            event = "reminder"
        if event:
            row.last_sent_at, row.sent_count = now, row.sent_count + 1
            notices.append(Notice(key, kind, event, code, text))
    for key, row in rows.items():
        if key in found or not row.active:
            continue
        row.active, row.cleared_at = False, now
        if row.kind == "offline":  # a missed session stays missed: it just leaves the board
            st = next((s for s in stations.values() if s.id == row.station_id), None)
            name = f"{st.name} ({st.code})" if st else key.split(":", 1)[1]
            text = f"Đài {name} đã kết nối lại lúc {_local(now, st.timezone if st else '')}"
            row.last_sent_at, row.message = now, text
            notices.append(Notice(key, "offline", "recovered", st.code if st else "", text))
    session.flush()
    return notices


def record_delivery(session: Session, key: str, error: str) -> None:
    """Keep what went wrong sending an alert (shown on /status; "" clears it)."""
    row = session.scalar(select(AlertState).where(AlertState.key == key))
    if row is not None:
        row.last_error = error
        session.flush()


def active_alerts(session: Session) -> list[AlertState]:
    """The notices the dashboard shows: alerts that hold now, newest first."""
    return list(session.scalars(select(AlertState).where(AlertState.active.is_(True))
                                .order_by(AlertState.raised_at.desc())))


def last_delivery_error(session: Session) -> AlertState | None:
    return session.scalar(select(AlertState).where(AlertState.last_error != "")
                          .order_by(AlertState.last_sent_at.desc()).limit(1))
