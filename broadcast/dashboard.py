"""The operators' view of every station at once: connection, what is on air, today's sessions.

Read-only, from what the database already holds: heartbeats (``stations.last_heartbeat_at`` and
``agent_info``), the latest playlist of the day (what was planned), and as-run rows (what aired).
Two readings are kept in one function each: ``dashboard_stations`` (which stations a user sees:
those of its unit and the units below) and ``asrun_rows`` (as-run rows of a day).

A session's state today:
- ``upcoming``: it has not started; ``on_air``: it is under way now;
- ``done``: it is over and something aired in its window (played or cut);
- ``missed``: it is over, items were planned in it, and nothing aired;
- ``empty``: it is over and nothing was planned in it (not a miss: there was nothing to air).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from broadcast import clock
from broadcast import remote as remote_svc
from broadcast.models import AsRun, AsRunStatus, Playlist, PlaylistItem, RemoteCommand, Station
from broadcast.permissions import EVERYWHERE, Scope
from broadcast.stations import connection_state, sessions_on

_AIRED = (AsRunStatus.PLAYED, AsRunStatus.CUT)
#: An item that starts this late after its session's end still counts for the session.
GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class SessionView:
    name: str
    start: datetime
    end: datetime
    state: str
    planned: int
    aired: int


@dataclass
class StationView:
    code: str
    name: str
    state: str  # online | lost | never
    last_heartbeat_at: datetime | None
    playing: str | None
    agent_version: str | None
    cached_until: str | None
    latitude: float | None
    longitude: float | None
    sessions: list[SessionView] = field(default_factory=list)
    system_test: dict[str, Any] | None = None
    commands: list[dict[str, Any]] = field(default_factory=list)
    unit_id: int | None = None

    @property
    def missed(self) -> int:
        return sum(1 for s in self.sessions if s.state == "missed")


@dataclass
class Overview:
    now: datetime
    stations: list[StationView]

    @property
    def online(self) -> int:
        return sum(1 for s in self.stations if s.state == "online")

    @property
    def missed(self) -> int:
        return sum(s.missed for s in self.stations)

    @property
    def on_air(self) -> int:
        return sum(1 for s in self.stations if s.playing)


def dashboard_stations(session: Session, scope: Scope = EVERYWHERE) -> list[Station]:
    """The stations the dashboard shows: every active one within the user's units, by code."""
    q = (select(Station).where(Station.active.is_(True), scope.clause(Station.unit_id)).order_by(Station.code)
         .options(selectinload(Station.sessions)))
    return list(session.scalars(q))


def asrun_rows(
    session: Session, station_ids: Sequence[int], start: datetime, end: datetime
) -> list[tuple[int, datetime]]:
    """(station id, actual start) of the as-run rows of these stations that aired (played or cut)
    between ``start`` and ``end``. Columns only: a dashboard refresh reads thousands of them."""
    if not station_ids:
        return []
    q = select(AsRun.station_id, AsRun.actual_start).where(
        AsRun.station_id.in_(station_ids), AsRun.status.in_(_AIRED),
        AsRun.actual_start >= start, AsRun.actual_start < end,
    )  # fmt: skip
    return [(sid, at) for sid, at in session.execute(q) if at is not None]


def planned_starts(session: Session, station_ids: Sequence[int], day: date) -> dict[int, list[datetime]]:
    """Start times of the items of each station's latest playlist for ``day``."""
    if not station_ids:
        return {}
    rows = session.execute(
        select(Playlist.station_id, Playlist.version, PlaylistItem.start)
        .join(PlaylistItem, PlaylistItem.playlist_id == Playlist.id)
        .where(Playlist.station_id.in_(station_ids), Playlist.date == day)
    ).all()
    latest: dict[int, int] = {}
    for sid, version, _start in rows:
        latest[sid] = max(version, latest.get(sid, 0))
    out: dict[int, list[datetime]] = defaultdict(list)
    for sid, version, start in rows:
        if version == latest[sid]:
            out[sid].append(start)
    return out


def session_views(
    station: Station, day: date, now: datetime, planned: Iterable[datetime], aired: Iterable[datetime]
) -> list[SessionView]:
    """Today's sessions of a station with their states (see the module docstring)."""
    tz = clock.zone(station.timezone)
    planned, aired = sorted(planned), sorted(aired)
    views = []
    for s in sessions_on(station, day):
        start = datetime.combine(day, s.start_time, tz)
        end = start + timedelta(minutes=s.max_minutes)
        n_planned = bisect_left(planned, end) - bisect_left(planned, start)
        n_aired = bisect_left(aired, end + GRACE) - bisect_left(aired, start - GRACE)
        if now < start:
            state = "upcoming"
        elif now < end:
            state = "on_air"
        elif n_aired:
            state = "done"
        else:
            state = "missed" if n_planned else "empty"
        views.append(SessionView(s.name, start, end, state, n_planned, n_aired))
    return views


def _command_view(cmd: RemoteCommand, now: datetime) -> dict[str, Any]:
    return {"id": cmd.id, "kind": cmd.kind, "params": dict(cmd.params or {}), "state": remote_svc.state(cmd, now),
            "issued_by": cmd.issued_by, "issued_at": cmd.issued_at, "acked_at": cmd.acked_at, "result": cmd.result}


def overview(session: Session, *, heartbeat_s: float, now: datetime | None = None, commands: int = 3,
             scope: Scope = EVERYWHERE) -> Overview:
    """Every station the dashboard shows (within ``scope``), with its state, what it airs and
    today's sessions."""
    now = now or clock.utcnow()
    stations = dashboard_stations(session, scope)
    ids = [s.id for s in stations]
    by_day: dict[date, list[Station]] = defaultdict(list)
    for st in stations:
        by_day[now.astimezone(clock.zone(st.timezone)).date()].append(st)
    aired: dict[int, list[datetime]] = defaultdict(list)
    planned: dict[int, list[datetime]] = {}
    for day, group in by_day.items():
        gids = [s.id for s in group]
        for sid, at in asrun_rows(session, gids, now - timedelta(days=1, hours=14), now + timedelta(hours=14)):
            aired[sid].append(at)
        planned.update(planned_starts(session, gids, day))
    tests = remote_svc.last_system_tests(session, ids)
    recent: dict[int, list[RemoteCommand]] = defaultdict(list)
    for cmd in remote_svc.recent_commands(session, ids, limit=max(50, commands * len(ids))):
        if len(recent[cmd.station_id]) < commands:
            recent[cmd.station_id].append(cmd)
    views = []
    for st in stations:
        day = now.astimezone(clock.zone(st.timezone)).date()
        info = st.agent_info or {}
        state = connection_state(st, heartbeat_s, now)
        views.append(StationView(
            code=st.code, name=st.name, state=state, last_heartbeat_at=st.last_heartbeat_at,
            playing=info.get("playing") if state == "online" else None,
            agent_version=info.get("agent_version"), cached_until=info.get("cached_until"),
            latitude=st.latitude, longitude=st.longitude,
            sessions=session_views(st, day, now, planned.get(st.id, []), aired.get(st.id, [])),
            system_test=_command_view(tests[st.id], now) if st.id in tests else None,
            commands=[_command_view(c, now) for c in recent[st.id]], unit_id=st.unit_id,
        ))  # fmt: skip
    return Overview(now, views)


#: The dashboard's state filter: connection states, and "has a missed session today".
FILTER_STATES = ("online", "lost", "never", "missed")


def narrow(stations: Sequence[StationView], *, text: str = "", state: str = "",
           unit_ids: set[int] | None = None) -> list[StationView]:
    """The stations matching the operator's filters: ``text`` in the name or code (any case),
    ``state`` one of FILTER_STATES, ``unit_ids`` the units (a commune and what lies below)."""
    needle = text.strip().casefold()
    out = []
    for s in stations:
        if needle and needle not in s.name.casefold() and needle not in s.code.casefold():
            continue
        if state == "missed" and not s.missed or state in ("online", "lost", "never") and s.state != state:
            continue
        if unit_ids is not None and s.unit_id not in unit_ids:
            continue
        out.append(s)
    return out


@dataclass(frozen=True)
class MapPoint:
    code: str
    name: str
    state: str
    x: float
    y: float


def map_points(stations: Sequence[StationView], width: float = 600, height: float = 400, pad: float = 30) -> list[MapPoint]:
    """Stations with coordinates placed in a ``width`` × ``height`` box (equirectangular, the
    longitude scaled by cos(latitude) so a district keeps its shape; north up)."""
    import math

    located = [s for s in stations if s.latitude is not None and s.longitude is not None]
    if not located:
        return []
    lats = [s.latitude for s in located if s.latitude is not None]
    lons = [s.longitude for s in located if s.longitude is not None]
    k = math.cos(math.radians(sum(lats) / len(lats)))
    span_x = max((max(lons) - min(lons)) * k, 1e-6)
    span_y = max(max(lats) - min(lats), 1e-6)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    off_x = (width - span_x * scale) / 2
    off_y = (height - span_y * scale) / 2
    points = []
    for s in located:
        assert s.latitude is not None and s.longitude is not None
        x = off_x + (s.longitude - min(lons)) * k * scale
        y = off_y + (max(lats) - s.latitude) * scale
        points.append(MapPoint(s.code, s.name, s.state, round(x, 1), round(y, 1)))
    return points
