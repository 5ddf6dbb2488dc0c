"""From the database to playlists: load a day's stations, sessions, bulletins, relays and
overrides in a few set-based queries, plan every station (broadcast.planner), store a new
Playlist version only when what airs has changed, and write the files agents read.

Re-running is idempotent: a playlist whose manifest (minus version and time stamp) is unchanged
keeps its version, so agents polling with If-None-Match see nothing new.

Today is replanned from ``now`` on: what the published version has before ``now`` (and an
emergency block it has put on air) stays as it was. Rows go into the caller's transaction
(flushed, not committed; only ``drain_regen_requests`` commits, step by step). Files are written
as each batch is stored, so a caller that rolls back (or dies) afterwards leaves files naming a
version the database does not have: the next generation rewrites every file whose version is not
the committed one, and first sweeps the ``.tmp`` files dead writers left behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, cast
from zoneinfo import ZoneInfoNotFoundError

from sqlalchemy import Table, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from broadcast.day_order import apply_order
from broadcast.errors import BroadcastError, NotFound
from broadcast.models import (
    BroadcastSession,
    Bulletin,
    BulletinStatus,
    BulletinTransition,
    MediaFile,
    Playlist,
    PlaylistItem,
    PlaylistOverride,
    RegenRequest,
    Relay,
    Station,
    TargetKind,
    bulletin_targets,
    station_group_members,
)
from broadcast.on_commit import after_commit
from broadcast.planner import (
    BulletinInput,
    JingleInput,
    MediaRef,
    Override,
    PlannedItem,
    PlanResult,
    RelayInput,
    SessionInput,
    StationPlanInput,
    plan_day,
    zone,
)
from broadcast.playlist_files import (
    PlaylistPaths,
    build_manifest,
    canonical_json,
    check_writable,
    folder_manifest,
    items_from_manifest,
    paths_for,
    write_playlist_files,
)
from loa.config import ConfigError, Settings

log = logging.getLogger(__name__)

#: Bind parameters per IN (...) list: well under SQLite's and PostgreSQL's limits.
_CHUNK = 500
#: Stations planned, stored and written per batch.
_BATCH = 500
T = TypeVar("T")
ProgressFn = Callable[[int, int], None]


def media_url(sha256: str) -> str:
    """Where the API serves a media file; manifests and playlist files use the same url."""
    return f"/api/v1/media/{sha256}"


@dataclass(frozen=True)
class GeneratedPlaylist:
    station: str
    day: date
    version: int
    #: True when a new version was stored (False: the content was unchanged).
    changed: bool
    emergency: bool
    items: int
    unplaced: int
    etag: str
    paths: PlaylistPaths | None

    @property
    def written(self) -> bool:
        return self.changed


@dataclass(frozen=True)
class _Station:
    id: int
    code: str
    timezone: str


class _Pending(NamedTuple):
    station: _Station
    manifest: dict[str, Any]
    canonical: bytes | None
    etag: str
    changed: bool


class _FolderExport:
    """Media for a plain-folder export: each file linked (or copied) once into ``<out>/media``."""

    def __init__(self, out: Path, media_dir: Path) -> None:
        self.dir = out / "media"
        self.media_dir = media_dir
        self.names: dict[str, str] = {}

    def names_for(self, session: Session, manifest: dict[str, Any]) -> dict[str, str]:
        shas = {it["sha256"] for it in manifest["items"] if it.get("sha256")}
        todo = sorted(shas - self.names.keys())
        for part in _chunks(todo):
            for sha, path in session.execute(
                select(MediaFile.sha256, MediaFile.path).where(MediaFile.sha256.in_(part))
            ):
                name = sha + (Path(path).suffix or ".mp3")
                if self._place(self.media_dir / path, self.dir / name):
                    self.names[sha] = name
        return {sha: self.names[sha] for sha in shas if sha in self.names}

    def _place(self, src: Path, dst: Path) -> bool:
        if dst.exists():
            return True
        if not src.is_file():
            log.error("plain folder: media file missing: %s", src)
            return False
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
        try:
            try:
                os.link(src, tmp)  # same filesystem: no copy
            except OSError:
                shutil.copyfile(src, tmp)
            os.replace(tmp, dst)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        return True


@dataclass
class _DayData:
    sessions: dict[int, list[SessionInput]]
    shared: list[BulletinInput]  # target "all"
    extra: dict[int, list[BulletinInput]]  # by station id: group / list targets
    relays_all: list[RelayInput]
    relays_own: dict[int, list[RelayInput]]
    overrides: dict[int, list[Override]]
    pinned: dict[int, BulletinInput]  # pinned bulletins by id (any target)


def _chunks(values: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


# --- loading ---------------------------------------------------------------------------------


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


def _load_stations(session: Session, codes: Sequence[str] | None, default_tz: str) -> list[_Station]:
    cols = select(Station.id, Station.code, Station.timezone, Station.active)
    if codes is None:
        rows = session.execute(cols.where(Station.active.is_(True)).order_by(Station.code)).all()
        return [_Station(r.id, r.code, _timezone(r.timezone, r.code, default_tz)) for r in rows]
    wanted = list(dict.fromkeys(codes))
    found: dict[str, Any] = {}
    for part in _chunks(wanted):
        for r in session.execute(cols.where(Station.code.in_(part))):
            found[r.code] = r
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise NotFound("Không có đài mã: " + ", ".join(unknown) + ".")
    return [
        _Station(found[c].id, c, _timezone(found[c].timezone, c, default_tz))
        for c in wanted
        if found[c].active
    ]


def _by_station(q: Any, col: Any, ids: list[int] | None, session: Session) -> Iterator[Any]:
    """Run ``q`` for every station (ids None) or for the given ids, a chunk at a time."""
    if ids is None:
        yield from session.execute(q)
        return
    for part in _chunks(ids):
        yield from session.execute(q.where(col.in_(part)))


def _not_ready(render_status: str, render_error: str) -> str:
    if render_status == "failed":
        return "Dựng âm thanh thất bại" + (f": {render_error}" if render_error else ".")
    if render_status in ("queued", "running"):
        return "Đang chờ dựng âm thanh, chưa có tệp để phát."
    return "Bản tin chưa được dựng âm thanh."


def _bulletin_input(r: Any) -> BulletinInput:
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


def _bulletin_cols() -> Any:
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


def _load_day(session: Session, day: date, stations: list[_Station], all_stations: bool) -> _DayData:
    ids = None if all_stations else [s.id for s in stations]
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
    for r in _by_station(q, BroadcastSession.station_id, ids, session):
        sessions[r.station_id].append(
            SessionInput(r.id, r.start_time, r.max_minutes, r.weekdays, r.on_date, r.name)
        )

    shared: list[BulletinInput] = []
    extra: dict[int, list[BulletinInput]] = defaultdict(list)
    by_group: dict[int, list[BulletinInput]] = defaultdict(list)
    by_list: dict[int, BulletinInput] = {}
    q = _bulletin_cols().where(
        Bulletin.status == BulletinStatus.APPROVED, Bulletin.valid_from <= day, Bulletin.valid_to >= day
    )
    for r in session.execute(q.order_by(Bulletin.id)):
        b = _bulletin_input(r)
        if r.target_kind == TargetKind.ALL:
            shared.append(b)
        elif r.target_kind == TargetKind.GROUP and r.target_group_id is not None:
            by_group[r.target_group_id].append(b)
        elif r.target_kind == TargetKind.STATIONS:
            by_list[b.id] = b
    wanted = {s.id for s in stations}
    if by_group:
        gq = select(station_group_members.c.station_id, station_group_members.c.group_id).where(
            station_group_members.c.group_id.in_(list(by_group))
        )
        for r in _by_station(gq, station_group_members.c.station_id, ids, session):
            if r.station_id in wanted:
                extra[r.station_id].extend(by_group[r.group_id])
    if by_list:
        for part in _chunks(list(by_list)):
            tq = select(bulletin_targets.c.station_id, bulletin_targets.c.bulletin_id).where(
                bulletin_targets.c.bulletin_id.in_(part)
            )
            for r in _by_station(tq, bulletin_targets.c.station_id, ids, session):
                if r.station_id in wanted:
                    extra[r.station_id].append(by_list[r.bulletin_id])

    relays_all: list[RelayInput] = []
    relays_own: dict[int, list[RelayInput]] = defaultdict(list)
    rq = select(Relay).where(Relay.active.is_(True), Relay.weekdays.contains(wd))
    for relay in session.scalars(rq):
        ri = RelayInput(
            relay.id, relay.name, relay.stream_url, relay.start_time, relay.duration_min, relay.weekdays
        )
        if relay.station_id is None:
            relays_all.append(ri)
        elif relay.station_id in wanted:
            relays_own[relay.station_id].append(ri)

    overrides: dict[int, list[Override]] = defaultdict(list)
    oq = select(PlaylistOverride.station_id, PlaylistOverride.bulletin_id, PlaylistOverride.action).where(
        PlaylistOverride.date == day
    )
    pin_ids: set[int] = set()
    for r in _by_station(oq, PlaylistOverride.station_id, ids, session):
        overrides[r.station_id].append(Override(r.bulletin_id, r.action))
        if r.action == "pin":
            pin_ids.add(r.bulletin_id)
    pinned: dict[int, BulletinInput] = {}
    for part in _chunks(sorted(pin_ids)):
        for r in session.execute(_bulletin_cols().where(Bulletin.id.in_(part))):
            pinned[r.id] = _bulletin_input(r)
    return _DayData(sessions, shared, extra, relays_all, relays_own, overrides, pinned)


def _latest(session: Session, day: date, station_ids: list[int] | None) -> dict[int, tuple[int, int, str]]:
    """station id → (playlist id, version, etag) of the latest version for ``day``."""
    top = (
        select(Playlist.station_id, func.max(Playlist.version).label("v"))
        .where(Playlist.date == day)
        .group_by(Playlist.station_id)
        .subquery()
    )
    q = select(Playlist.id, Playlist.station_id, Playlist.version, Playlist.etag).join(
        top, and_(top.c.station_id == Playlist.station_id, top.c.v == Playlist.version)
    )
    q = q.where(Playlist.date == day)
    return {
        r.station_id: (r.id, r.version, r.etag)
        for r in _by_station(q, Playlist.station_id, station_ids, session)
    }


def _previous_with_past(
    session: Session, playlist_ids: list[int], now: datetime
) -> dict[int, dict[str, Any]]:
    """station id → manifest, for the given playlists that have something starting by ``now``
    (that past is kept on replanning). The first items are looked at first, so the nightly run just
    after midnight does not load and parse every station's manifest for nothing."""
    with_past: list[int] = []
    for part in _chunks(playlist_ids):
        q = select(PlaylistItem.playlist_id, PlaylistItem.start).where(
            PlaylistItem.position == 0, PlaylistItem.playlist_id.in_(part)
        )
        with_past.extend(r.playlist_id for r in session.execute(q) if r.start <= now)
    previous: dict[int, dict[str, Any]] = {}
    for part in _chunks(with_past):
        q2 = select(Playlist.station_id, Playlist.manifest).where(Playlist.id.in_(part))
        previous.update((r.station_id, r.manifest) for r in session.execute(q2))
    return previous


# --- the station-ID jingle -------------------------------------------------------------------


def station_jingle(session: Session, settings: Settings) -> JingleInput | None:
    """The configured station-ID jingle, put in the media store (so the API serves it) and in the
    database. None when no jingle is set."""
    try:
        path = settings.jingle_path(settings.station_id_jingle)
    except ConfigError as exc:
        raise BroadcastError(f"Không tìm thấy nhạc hiệu đài: {settings.station_id_jingle}") from exc
    if path is None:
        return None
    from broadcast.media import store_file
    from pipeline.store import file_sha256

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
                        meta={"role": "station_id_jingle", "name": path.name})
    return JingleInput(MediaRef(sha, mf.size, mf.duration_s, media_url(sha)))


def _uploaded_jingles(session: Session, stations: Sequence[_Station]) -> dict[int, JingleInput]:
    """The jingles uploaded for stations or their groups (broadcast.jingles), by station id."""
    from broadcast.jingles import jingles_for

    return {sid: JingleInput(MediaRef(mf.sha256, mf.size, mf.duration_s, media_url(mf.sha256)))
            for sid, mf in jingles_for(session, [s.id for s in stations]).items()}


def _day_orders(session: Session, day: date) -> dict[int, list[int]]:
    """Operators' orders of this day's bulletins (broadcast.overrides.set_order), by station id."""
    from broadcast.models import DayOrder

    return {sid: list(ids) for sid, ids in session.execute(
        select(DayOrder.station_id, DayOrder.bulletin_ids).where(DayOrder.date == day)) if ids}


# --- generation ------------------------------------------------------------------------------


def _plan_station(
    st: _Station,
    day: date,
    data: _DayData,
    jingle: JingleInput | None,
    *,
    now: datetime | None,
    emergency: bool,
    previous: dict[str, Any] | None,
) -> tuple[PlanResult, bool]:
    """The plan, and whether it has an emergency block still to come (the version's flag)."""
    station = StationPlanInput(st.id, st.code, st.timezone)
    bulletins = list(data.shared)
    bulletins.extend(data.extra.get(st.id, ()))
    overrides = data.overrides.get(st.id, ())
    for o in overrides:
        if o.action == "pin" and o.bulletin_id in data.pinned:
            bulletins.append(data.pinned[o.bulletin_id])
    relays = data.relays_all + data.relays_own.get(st.id, [])
    sessions = data.sessions.get(st.id, ())
    args = (station, day, sessions, bulletins, relays)
    if now is None or now.astimezone(zone(st.timezone)).date() != day:
        return plan_day(*args, jingle=jingle, overrides=overrides), False
    # The day is under way: what started before `now` stays as it was, and so does an emergency
    # block already published (a later regeneration must not pull it back, nor cut into it).
    floor = now
    held = False
    if previous is not None:
        kept: Sequence[PlannedItem] = items_from_manifest(previous)
        hold = emergency_block_end(previous)
        if hold is not None and hold > floor:
            floor, held = hold, True
    else:
        regular = plan_day(*args, jingle=jingle, overrides=overrides)
        if not emergency and (not regular.items or regular.items[0].start >= now):
            return regular, False  # nothing in the past (the usual nightly run just after midnight)
        kept = ()  # no version was published: nothing has aired
    if not emergency:
        return plan_day(*args, jingle=jingle, overrides=overrides, not_before=floor, kept=kept), held
    plan = plan_day(*args, jingle=jingle, overrides=overrides, now=floor, kept=kept)
    block = any(it.start == floor and it.priority == "emergency" for it in plan.items)
    return plan, held or block


def emergency_block_end(manifest: dict[str, Any]) -> datetime | None:
    """End of the emergency block of a version flagged emergency: the run of back-to-back
    emergency items from the first item that starts at or after its ``generated_at``."""
    if not manifest.get("emergency"):
        return None
    try:
        at = datetime.fromisoformat(manifest["generated_at"])
        end: datetime | None = None
        for raw in manifest["items"]:
            start = datetime.fromisoformat(raw["start"])
            if start < at:
                continue
            if raw.get("priority") != "emergency" or (end is not None and start != end):
                break
            end = start + timedelta(seconds=float(raw["duration_s"]))
        return end
    except (KeyError, TypeError, ValueError):
        log.warning(
            "manifest %s %s: cannot read its emergency block", manifest.get("station"), manifest.get("date")
        )
        return None


def generate_playlists(
    session: Session,
    settings: Settings,
    days: Iterable[date],
    station_codes: Sequence[str] | None = None,
    out_dir: Path | None = None,
    *,
    emergency: bool = False,
    now: datetime | None = None,
    on_progress: ProgressFn | None = None,
    plain_folder: bool = False,
) -> list[GeneratedPlaylist]:
    """Plan and store the playlists of ``days`` for the given (default: every active) station.

    ``now`` (default: the current time) decides which part of today is already past and is kept;
    with ``emergency`` the emergency bulletins of today start at ``now``. Writes happen in the
    caller's transaction (flushed, not committed); files go to ``out_dir`` (default
    ``<data_dir>/playlists``). ``on_progress(done, total)`` is called as stations are planned.
    ``plain_folder``: make ``out_dir`` readable by agents without the API (their "folder" layout):
    media urls relative to the manifests, and the media files themselves in ``<out_dir>/media``.
    """
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # the planner counts in ms
    out = Path(out_dir) if out_dir is not None else settings.playlists_dir
    folder = _FolderExport(out, settings.media_dir) if plain_folder else None
    stations = _load_stations(session, station_codes, settings.timezone)
    all_stations = station_codes is None
    jingle = station_jingle(session, settings)
    own_jingles = _uploaded_jingles(session, stations)
    days = sorted(set(days))
    sweep_temp_files(out, [s.code for s in stations])
    check_writable(out)  # refuse an unwritable folder now, while nothing is stored
    results: list[GeneratedPlaylist] = []
    total = len(stations) * len(days)
    done = 0
    for day in days:
        data = _load_day(session, day, stations, all_stations)
        ids = None if all_stations else [s.id for s in stations]
        latest = _latest(session, day, ids)
        today_ids = [
            s.id for s in stations if s.id in latest and now.astimezone(zone(s.timezone)).date() == day
        ]
        previous = _previous_with_past(session, [latest[i][0] for i in today_ids], now)
        orders = _day_orders(session, day)
        # A batch at a time: bounded memory, few statements, files right after their rows.
        for batch in _chunks(stations, _BATCH):
            new_rows: list[tuple[dict[str, Any], Sequence[PlannedItem]]] = []
            pending: list[_Pending] = []
            for st in batch:
                plan, is_emergency = _plan_station(
                    st, day, data, own_jingles.get(st.id, jingle), now=now, emergency=emergency,
                    previous=previous.get(st.id),
                )
                if st.id in orders:  # the operator's order of the day's bulletins (week view)
                    plan = PlanResult(apply_order(plan.items, orders[st.id], now), plan.unplaced)
                prev = latest.get(st.id)
                manifest = build_manifest(
                    st.code,
                    day,
                    (prev[1] + 1) if prev else 1,
                    now,
                    plan.items,
                    plan.unplaced,
                    timezone=st.timezone,
                    emergency=is_emergency,
                )
                canonical = canonical_json(manifest)
                etag = hashlib.sha256(canonical).hexdigest()
                changed = prev is None or prev[2] != etag
                if changed:
                    row = {
                        "station_id": st.id,
                        "date": day,
                        "version": manifest["version"],
                        "generated_at": now,
                        "manifest": manifest,
                        "etag": etag,
                        "emergency": is_emergency,
                    }
                    new_rows.append((row, plan.items))
                else:
                    assert prev is not None
                    manifest["version"] = prev[1]
                pending.append(_Pending(st, manifest, canonical, etag, changed))
                done += 1
                if on_progress is not None:
                    on_progress(done, total)
            _store(session, new_rows)
            results.extend(_write_files(session, out, day, pending, latest, folder))
    return results


_PLAYLISTS = cast(Table, Playlist.__table__)
_ITEMS = cast(Table, PlaylistItem.__table__)


def _store(session: Session, rows: list[tuple[dict[str, Any], Sequence[PlannedItem]]]) -> None:
    """Insert playlists and their items with a few executemany statements (Core, not the ORM
    unit of work: thousands of playlists and hundreds of thousands of items a night)."""
    if not rows:
        return
    for part in _chunks([r for r, _ in rows], 1000):
        session.execute(insert(_PLAYLISTS), list(part))
    # Ids back by the unique (station, date, version): RETURNING in parameter order would make
    # SQLite insert one row at a time.
    day = rows[0][0]["date"]
    q = select(Playlist.id, Playlist.station_id, Playlist.version).where(Playlist.date == day)
    ids = None if len(rows) > _CHUNK else [r["station_id"] for r, _ in rows]
    by_key = {(r.station_id, r.version): r.id for r in _by_station(q, Playlist.station_id, ids, session)}
    items: list[dict[str, Any]] = []
    for row, planned in rows:
        playlist_id = by_key[(row["station_id"], row["version"])]
        for pos, it in enumerate(planned):
            media = it.media
            items.append(
                {
                    "playlist_id": playlist_id,
                    "position": pos,
                    "start": it.start,
                    "duration_s": it.duration_s,
                    "kind": it.kind,
                    "title": it.title[:300],
                    "priority": it.priority,
                    "bulletin_id": it.bulletin_id,
                    "relay_id": it.relay_id,
                    "media_sha256": media.sha256 if media is not None else None,
                    "size": media.size if media is not None else 0,
                    "url": it.url[:500],
                }
            )
    for part in _chunks(items, 10_000):
        session.execute(insert(_ITEMS), list(part))


def _write_files(
    session: Session,
    out: Path,
    day: date,
    pending: list[_Pending],
    latest: dict[int, tuple[int, int, str]],
    folder: _FolderExport | None,
) -> list[GeneratedPlaylist]:
    results = []
    for st, manifest, canonical, etag, changed in pending:
        paths = paths_for(out, st.code, day)
        if not changed and file_version(paths.json) != latest[st.id][1]:
            # Unchanged, but not in this folder yet (new --out, files removed) or the file names a
            # version the database never committed (a run killed or rolled back): the stored copy.
            stored = session.scalar(select(Playlist.manifest).where(Playlist.id == latest[st.id][0]))
            manifest = stored if stored is not None else manifest
            canonical = None
        if changed or canonical is None:
            # Files only from committed rows: written once the caller commits, dropped on rollback.
            # Its folder is made now, so a station whose folder cannot be fails in the transaction.
            paths.json.parent.mkdir(parents=True, exist_ok=True)
            if folder is not None:
                exported = folder_manifest(manifest, folder.names_for(session, manifest))
                after_commit(session, partial(write_playlist_files, out, exported))
            else:
                after_commit(session, partial(write_playlist_files, out, manifest, canonical))
        results.append(
            GeneratedPlaylist(
                station=st.code,
                day=day,
                version=manifest["version"],
                changed=changed,
                emergency=bool(manifest.get("emergency")),
                items=len(manifest["items"]),
                unplaced=len(manifest["unplaced"]),
                etag=etag,
                paths=paths,
            )
        )
    return results


def file_version(path: Path) -> int | None:
    """The version a manifest file names, read from its first bytes (``manifest_json`` writes the
    version first), or None if there is no readable file."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError:
        return None
    prefix = b'{"version":'
    if not head.startswith(prefix):
        return None
    digits = head[len(prefix) :].split(b",", 1)[0]
    return int(digits) if digits.isdigit() else None


def sweep_temp_files(out: Path, codes: Iterable[str]) -> int:
    """Remove ``.tmp`` files a killed writer left in the stations' folders (and ``<out>/media``);
    returns how many. Live writers use fixed names per process and thread, so only files of dead
    processes, or of this one, are at stake, and this process writes nothing at this point."""
    removed = 0
    folders = [out / "media", *(out / c for c in codes if c and "/" not in c and "\\" not in c)]
    for folder in folders:
        try:
            names = [e.name for e in os.scandir(folder) if e.name.startswith(".") and e.name.endswith(".tmp")]
        except (FileNotFoundError, NotADirectoryError):
            continue
        for name in names:
            parts = name.split(".")  # .NAME.PID.THREAD.tmp (files) or .NAME.PID.tmp (media)
            pid = parts[-3] if len(parts) > 3 and parts[-3].isdigit() else parts[-2]
            if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
                continue  # another live process is writing it
            with contextlib.suppress(FileNotFoundError):
                (folder / name).unlink()
                removed += 1
    if removed:
        log.warning("removed %d temporary files left by an interrupted generation in %s", removed, out)
    return removed


def _alive(pid: int) -> bool:
    if os.name != "posix":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- reading back ----------------------------------------------------------------------------


def latest_playlist(session: Session, station_code: str, day: date) -> Playlist | None:
    """The newest stored version of a station's playlist for ``day``."""
    q = (
        select(Playlist)
        .join(Station, Station.id == Playlist.station_id)
        .where(Station.code == station_code, Playlist.date == day)
        .order_by(Playlist.version.desc())
        .limit(1)
    )
    return session.scalar(q)


# --- the outbox --------------------------------------------------------------------------------


def drain_regen_requests(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Process pending RegenRequest rows; returns how many were handled. Never raises.

    Requests are coalesced (the union of their stations is regenerated once: ten approvals in a
    row cost one regeneration, not ten) in three committed steps: today for emergencies (so an
    emergency reaches agents first), today for the rest, then the ``days_ahead`` following days.
    If a step fails it is retried request by request, so the failure is recorded on the request
    that causes it (``error``) and the others still go through.
    """
    now = now or datetime.now(UTC)
    try:
        pending = session.execute(
            select(RegenRequest.id, RegenRequest.station_codes, RegenRequest.emergency)
            .where(RegenRequest.done_at.is_(None))
            .order_by(RegenRequest.id)
        ).all()
        known = _known_codes(session, {c for r in pending for c in (r.station_codes or ())})
        session.commit()
    except Exception:
        session.rollback()
        log.exception("regen: cannot read the outbox")
        return 0
    if not pending:
        return 0
    today = now.astimezone(zone(settings.timezone)).date()
    later = [today + timedelta(days=i) for i in range(1, max(settings.days_ahead, 0) + 1)]

    def codes_of(reqs: Sequence[Any]) -> list[str] | None:
        if any(r.station_codes is None for r in reqs):
            return None
        return sorted({c for r in reqs for c in r.station_codes} & known)

    def regenerate(codes: list[str] | None, days: list[date], emergency: bool) -> None:
        if codes is not None and not codes:
            return
        for attempt in range(2):
            try:
                generate_playlists(session, settings, days, codes, emergency=emergency, now=now)
                session.commit()
                return
            except IntegrityError:
                # Another process stored the same version first: read its work and try again.
                session.rollback()
                if attempt:
                    raise

    errors: dict[int, list[str]] = {r.id: [] for r in pending}
    steps = [
        ([r for r in pending if r.emergency], [today], True),
        ([r for r in pending if not r.emergency], [today], False),
        (list(pending), later, False),
    ]
    for reqs, days, emergency in steps:
        if not reqs or not days:
            continue
        try:
            regenerate(codes_of(reqs), days, emergency)
            continue
        except Exception:
            session.rollback()
            log.exception("regen: %d requests together failed, retrying one by one", len(reqs))
        for r in reqs:
            try:
                regenerate(codes_of([r]), days, emergency)
            except Exception as exc:  # one bad request must not stop the others
                session.rollback()
                log.exception("regen request %s failed", r.id)
                errors[r.id].append(f"{type(exc).__name__}: {exc}")
    handled = 0
    for r in pending:
        missing = [c for c in (r.station_codes or ()) if c not in known]
        parts = (["Không có đài mã: " + ", ".join(missing) + "."] if missing else []) + errors[r.id]
        try:
            session.execute(
                update(RegenRequest)
                .where(RegenRequest.id == r.id)
                .values(done_at=now, error=" ".join(parts)[:2000])
            )
            session.commit()
            handled += 1
        except Exception:
            session.rollback()
            log.exception("regen request %s: cannot record the result", r.id)
    return handled


def _known_codes(session: Session, codes: set[str]) -> set[str]:
    known: set[str] = set()
    for part in _chunks(sorted(codes)):
        known.update(session.scalars(select(Station.code).where(Station.code.in_(part))))
    return known
