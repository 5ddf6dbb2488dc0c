"""Loading a day: the stations, sessions, bulletins, relays and overrides the planner needs, read
in a few set-based queries for every station at once (not a query per station: thousands of
stations a night), plus the station-ID jingle.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from broadcast import inbox
from broadcast.batches import by_station, chunks
from broadcast.errors import BroadcastError, NotFound
from broadcast.media import media_backend, media_url, store_file
from broadcast.models import (
    BroadcastSession,
    Bulletin,
    BulletinStatus,
    BulletinTransition,
    DayOrder,
    MediaFile,
    PlaylistOverride,
    Relay,
    Station,
    TargetKind,
    bulletin_targets,
    station_group_members,
)
from broadcast.planner import BulletinInput, JingleInput, MediaRef, Override, RelayInput, SessionInput, zone
from loa.config import ConfigError, Settings
from pipeline.store import file_sha256

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanStation:
    """A station as generation sees it: its timezone already checked."""

    id: int
    code: str
    timezone: str


@dataclass
class DayData:
    sessions: dict[int, list[SessionInput]]
    shared: list[BulletinInput]  # target "all"
    extra: dict[int, list[BulletinInput]]  # by station id: group / list targets
    relays_all: list[RelayInput]
    relays_own: dict[int, list[RelayInput]]
    overrides: dict[int, list[Override]]
    pinned: dict[int, BulletinInput]  # pinned bulletins by id (any target)
    languages: dict[int, tuple[str, ...]] = field(default_factory=dict)  # by station id (Decree 49)


def _timezone(name: str | None, code: str, default: str) -> str:
    """The station's timezone, or the default one (logged) if it is empty or unknown: one
    mistyped station must not stop a night's generation."""
    if name:
        try:
            zone(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("station %s: unknown timezone %r, using %s", code, name, default)
    return default


def load_stations(session: Session, codes: Sequence[str] | None, default_tz: str) -> list[PlanStation]:
    """The active stations among ``codes`` (None: every active station, by code); an unknown
    code is refused."""
    cols = select(Station.id, Station.code, Station.timezone, Station.active)
    if codes is None:
        rows = session.execute(cols.where(Station.active.is_(True)).order_by(Station.code)).all()
        return [PlanStation(r.id, r.code, _timezone(r.timezone, r.code, default_tz)) for r in rows]
    wanted = list(dict.fromkeys(codes))
    found: dict[str, Any] = {}
    for part in chunks(wanted):
        for r in session.execute(cols.where(Station.code.in_(part))):
            found[r.code] = r
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise NotFound("Không có đài mã: " + ", ".join(unknown) + ".")
    return [
        PlanStation(found[c].id, c, _timezone(found[c].timezone, c, default_tz))
        for c in wanted
        if found[c].active
    ]


def _not_ready(render_status: str, render_error: str) -> str:
    if render_status == "failed":
        return "Dựng âm thanh thất bại" + (f": {render_error}" if render_error else ".")
    if render_status in ("queued", "running"):
        return "Đang chờ dựng âm thanh, chưa có tệp để phát."
    return "Bản tin chưa được dựng âm thanh."


def bulletin_input(r: Any) -> BulletinInput:
    """A row of ``bulletin_cols()`` as the planner's input."""
    media = None
    if r.sha256 is not None:
        media = MediaRef(r.sha256, r.size, r.duration_s, media_url(r.sha256))
    priority = getattr(r.priority, "value", r.priority)
    not_ready = "" if media else _not_ready(r.render_status, r.render_error)
    if r.status != BulletinStatus.APPROVED:
        media, not_ready = None, f"Bản tin chưa được duyệt (trạng thái: {r.status}), không thể ghim."
    # Emergency order: the one confirmed last airs first (issue 7.1); SQLite gives naive UTC.
    confirmed = r.confirmed_at if priority == "emergency" else None
    if confirmed is not None and confirmed.tzinfo is None:
        confirmed = confirmed.replace(tzinfo=UTC)
    return BulletinInput(
        r.id, r.title, priority, r.valid_from, r.valid_to, r.plays_per_day, media, not_ready, confirmed
    )


def bulletin_cols() -> Any:
    """What the planner needs of a bulletin, with its media and the time it was approved."""
    return select(
        Bulletin.id,
        Bulletin.title,
        Bulletin.priority,
        Bulletin.valid_from,
        Bulletin.valid_to,
        Bulletin.plays_per_day,
        Bulletin.status,
        Bulletin.target_kind,
        Bulletin.target_group_id,
        Bulletin.render_status,
        Bulletin.render_error,
        MediaFile.sha256,
        MediaFile.size,
        MediaFile.duration_s,
        select(func.max(BulletinTransition.at))
        .where(BulletinTransition.bulletin_id == Bulletin.id, BulletinTransition.to_status == "approved")
        .scalar_subquery()
        .label("confirmed_at"),
    ).outerjoin(MediaFile, MediaFile.sha256 == Bulletin.media_sha256)


def _load_sessions(session: Session, day: date, ids: list[int] | None) -> dict[int, list[SessionInput]]:
    wd = str(day.isoweekday())
    sessions: dict[int, list[SessionInput]] = defaultdict(list)
    q = select(
        BroadcastSession.station_id,
        BroadcastSession.id,
        BroadcastSession.start_time,
        BroadcastSession.max_minutes,
        BroadcastSession.weekdays,
        BroadcastSession.on_date,
        BroadcastSession.name,
    ).where(
        BroadcastSession.active.is_(True),
        or_(
            BroadcastSession.on_date == day,
            and_(BroadcastSession.on_date.is_(None), BroadcastSession.weekdays.contains(wd)),
        ),
    )
    for r in by_station(q, BroadcastSession.station_id, ids, session):
        sessions[r.station_id].append(
            SessionInput(r.id, r.start_time, r.max_minutes, r.weekdays, r.on_date, r.name)
        )
    return sessions


def _load_bulletins(
    session: Session, day: date, ids: list[int] | None, wanted: set[int]
) -> tuple[list[BulletinInput], dict[int, list[BulletinInput]]]:
    """The approved bulletins valid on ``day``: those for every station, and by station id those
    for a group or a list of stations."""
    shared: list[BulletinInput] = []
    extra: dict[int, list[BulletinInput]] = defaultdict(list)
    by_group: dict[int, list[BulletinInput]] = defaultdict(list)
    by_list: dict[int, BulletinInput] = {}
    q = bulletin_cols().where(
        Bulletin.status == BulletinStatus.APPROVED, Bulletin.valid_from <= day, Bulletin.valid_to >= day
    )
    for r in session.execute(q.order_by(Bulletin.id)):
        b = bulletin_input(r)
        if r.target_kind == TargetKind.ALL:
            shared.append(b)
        elif r.target_kind == TargetKind.GROUP and r.target_group_id is not None:
            by_group[r.target_group_id].append(b)
        elif r.target_kind == TargetKind.STATIONS:
            by_list[b.id] = b
    if by_group:
        gq = select(station_group_members.c.station_id, station_group_members.c.group_id).where(
            station_group_members.c.group_id.in_(list(by_group))
        )
        for r in by_station(gq, station_group_members.c.station_id, ids, session):
            if r.station_id in wanted:
                extra[r.station_id].extend(by_group[r.group_id])
    for part in chunks(list(by_list)):
        tq = select(bulletin_targets.c.station_id, bulletin_targets.c.bulletin_id).where(
            bulletin_targets.c.bulletin_id.in_(part)
        )
        for r in by_station(tq, bulletin_targets.c.station_id, ids, session):
            if r.station_id in wanted:
                extra[r.station_id].append(by_list[r.bulletin_id])
    return shared, extra


def _load_relays(
    session: Session, day: date, wanted: set[int]
) -> tuple[list[RelayInput], dict[int, list[RelayInput]]]:
    """The active relays airing on ``day``'s weekday: those for every station, and by station id."""
    relays_all: list[RelayInput] = []
    relays_own: dict[int, list[RelayInput]] = defaultdict(list)
    rq = select(Relay).where(Relay.active.is_(True), Relay.weekdays.contains(str(day.isoweekday())))
    for relay in session.scalars(rq):
        ri = RelayInput(
            relay.id, relay.name, relay.stream_url, relay.start_time, relay.duration_min, relay.weekdays
        )
        if relay.station_id is None:
            relays_all.append(ri)
        elif relay.station_id in wanted:
            relays_own[relay.station_id].append(ri)
    return relays_all, relays_own


def _load_overrides(
    session: Session, day: date, ids: list[int] | None
) -> tuple[dict[int, list[Override]], dict[int, BulletinInput]]:
    """The day's overrides by station id, and the bulletins they pin (whatever their target)."""
    overrides: dict[int, list[Override]] = defaultdict(list)
    oq = select(PlaylistOverride.station_id, PlaylistOverride.bulletin_id, PlaylistOverride.action).where(
        PlaylistOverride.date == day
    )
    pin_ids: set[int] = set()
    for r in by_station(oq, PlaylistOverride.station_id, ids, session):
        overrides[r.station_id].append(Override(r.bulletin_id, r.action))
        if r.action == "pin":
            pin_ids.add(r.bulletin_id)
    pinned: dict[int, BulletinInput] = {}
    for part in chunks(sorted(pin_ids)):
        for r in session.execute(bulletin_cols().where(Bulletin.id.in_(part))):
            pinned[r.id] = bulletin_input(r)
    return overrides, pinned


def load_day(session: Session, day: date, stations: list[PlanStation], all_stations: bool) -> DayData:
    """Everything the planner needs for ``day`` and these stations (``all_stations``: they are
    every active station, so the queries need no station filter)."""
    ids = None if all_stations else [s.id for s in stations]
    wanted = {s.id for s in stations}
    shared, extra = _load_bulletins(session, day, ids, wanted)
    # Units (issue 11): each unit's reach, and a commune's inbox decisions on bulletins from above.
    shared, extra = inbox.restrict_day(session, shared, extra, [s.id for s in stations])
    relays_all, relays_own = _load_relays(session, day, wanted)
    overrides, pinned = _load_overrides(session, day, ids)
    data = DayData(_load_sessions(session, day, ids), shared, extra, relays_all, relays_own, overrides, pinned)
    _add_languages(session, data, ids)
    return data


def _add_languages(session: Session, data: DayData, station_ids: list[int] | None) -> None:
    """Decree 49: each station's languages, and each bulletin's versions in them (broadcast/versions.py)."""
    from broadcast.versions import languages_by_station, version_inputs, with_versions

    data.languages = languages_by_station(session, station_ids)
    if not data.languages:
        return  # no station airs another language: nothing to look up
    ids = {b.id for b in data.shared} | {b.id for bs in data.extra.values() for b in bs} | set(data.pinned)
    versions = version_inputs(session, sorted(ids))
    if versions:
        data.shared = with_versions(data.shared, versions)
        data.extra = {k: with_versions(v, versions) for k, v in data.extra.items()}
        data.pinned = {k: with_versions([b], versions)[0] for k, b in data.pinned.items()}


def station_jingle(session: Session, settings: Settings) -> JingleInput | None:
    """The configured station-ID jingle, put in the media store (so the API serves it) and in the
    database. None when no jingle is set."""
    try:
        path = settings.jingle_path(settings.station_id_jingle)
    except ConfigError as exc:
        raise BroadcastError(f"Không tìm thấy nhạc hiệu đài: {settings.station_id_jingle}") from exc
    if path is None:
        return None
    sha = file_sha256(path)
    mf = session.get(MediaFile, sha)
    if mf is None:
        import mutagen

        try:
            info = mutagen.File(path)
        except Exception as exc:  # mutagen raises many kinds of errors on a bad file
            raise BroadcastError("Không đọc được tệp nhạc hiệu %(name)s: %(e)s", name=path.name, e=str(exc)) from exc
        if info is None or not getattr(info.info, "length", 0):
            raise BroadcastError("Không đọc được thời lượng của tệp nhạc hiệu %(name)s.", name=path.name)
        mf = store_file(session, path, settings.media_dir, duration_s=float(info.info.length),
                        meta={"role": "station_id_jingle", "name": path.name}, backend=media_backend(settings))
    return JingleInput(MediaRef(sha, mf.size, mf.duration_s, media_url(sha)))


def uploaded_jingles(session: Session, stations: Sequence[PlanStation]) -> dict[int, JingleInput]:
    """The jingles uploaded for stations or their groups (broadcast.jingles), by station id."""
    from broadcast.jingles import jingles_for

    return {sid: JingleInput(MediaRef(mf.sha256, mf.size, mf.duration_s, media_url(mf.sha256)))
            for sid, mf in jingles_for(session, [s.id for s in stations]).items()}


def day_orders(session: Session, day: date) -> dict[int, list[int]]:
    """Operators' orders of this day's bulletins (broadcast.overrides.set_order), by station id."""
    return {sid: list(ids) for sid, ids in session.execute(
        select(DayOrder.station_id, DayOrder.bulletin_ids).where(DayOrder.date == day)) if ids}
