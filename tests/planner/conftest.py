"""A real (SQLite file) database at the latest migration, and builders for rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time
from itertools import count

import pytest
from sqlalchemy.orm import Session

from broadcast.db import init_db, session_factory
from broadcast.models import (
    BroadcastSession,
    Bulletin,
    BulletinStatus,
    MediaFile,
    Priority,
    Relay,
    Station,
    StationGroup,
    TargetKind,
)
from loa import config
from loa.config import Settings


@pytest.fixture
def settings() -> Settings:
    return config.load()


@pytest.fixture
def db(settings: Settings) -> Iterator[Session]:
    engine = init_db(settings.db_url)
    s = session_factory(engine)()
    try:
        yield s
    finally:
        s.close()
        engine.dispose()


class Rows:
    """Adds rows with sensible defaults; each call says only what the test is about."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self._n = count(1)

    def station(
        self, code: str, *, sessions=((6, 0, 30),), groups=(), active=True, weekdays="1234567"
    ) -> Station:
        st = Station(code=code, name=f"Đài {code}", active=active)
        for g in groups:
            st.groups.append(self.group(g))
        for hh, mm, minutes in sessions:
            st.sessions.append(
                BroadcastSession(start_time=time(hh, mm), max_minutes=minutes, weekdays=weekdays)
            )
        self.s.add(st)
        self.s.flush()
        return st

    def group(self, name: str) -> StationGroup:
        g = self.s.query(StationGroup).filter_by(name=name).one_or_none()
        if g is None:
            g = StationGroup(name=name)
            self.s.add(g)
            self.s.flush()
        return g

    def media(self, seconds: float) -> MediaFile:
        n = next(self._n)
        sha = f"{n:064x}"
        mf = MediaFile(sha256=sha, path=f"{sha[:2]}/{sha}.mp3", size=1000 + n, duration_s=seconds)
        self.s.add(mf)
        self.s.flush()
        return mf

    def bulletin(
        self,
        title: str,
        seconds: float | None = 60,
        *,
        priority: str = "normal",
        plays: int = 1,
        valid_from: date = date(2026, 11, 1),
        valid_to: date = date(2026, 12, 31),
        status: BulletinStatus = BulletinStatus.APPROVED,
        stations: list[Station] | None = None,
        group: str | None = None,
        render_status: str | None = None,
    ) -> Bulletin:
        b = Bulletin(
            title=title,
            body="x",
            priority=Priority(priority),
            valid_from=valid_from,
            valid_to=valid_to,
            plays_per_day=plays,
            status=status,
            target_kind=TargetKind.STATIONS if stations else TargetKind.GROUP if group else TargetKind.ALL,
        )
        if stations:
            b.target_stations = stations
        if group:
            b.target_group = self.group(group)
        if seconds is not None:
            b.media_sha256 = self.media(seconds).sha256
            b.render_status = "done"
        else:
            b.render_status = render_status or "none"
        self.s.add(b)
        self.s.flush()
        return b

    def relay(self, name: str, hh: int, mm: int, minutes: int, station: Station | None = None) -> Relay:
        r = Relay(
            name=name, stream_url=f"http://stream/{name}", start_time=time(hh, mm), duration_min=minutes
        )
        if station is not None:
            r.station_id = station.id
        self.s.add(r)
        self.s.flush()
        return r


@pytest.fixture
def rows(db: Session) -> Rows:
    return Rows(db)
