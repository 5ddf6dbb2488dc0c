"""From the database to playlists: the orchestration of a generation.

For each day: load what the stations need (``playlist_loading``), plan every station
(``broadcast.planner``; once for all the stations that plan alike, ``plan_cache``), store a new
Playlist version only when what airs has changed (``playlist_store``), and have the files agents
read written once the caller commits (``playlist_export``). The regeneration outbox that calls this lives in ``broadcast.outbox``.

Re-running is idempotent: a playlist whose manifest (minus version and time stamp) is unchanged
keeps its version, so agents polling with If-None-Match see nothing new.

Today is replanned from ``now`` on: what the published version has before ``now`` (and an
emergency block it has put on air) stays as it was. Rows go into the caller's transaction
(flushed, not committed; only ``drain_regen_requests`` commits, step by step).
"""

from __future__ import annotations

import gc
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from broadcast import bulk
from broadcast.batches import chunks
from broadcast.day_order import apply_order
from broadcast.manifest import ManifestError
from broadcast.media import media_url
from broadcast.outbox import drain_regen_requests
from broadcast.plan_cache import PlanCache, SharedPlan
from broadcast.planner import JingleInput, PlannedItem, PlanResult, StationPlanInput, plan_day, zone
from broadcast.playlist_export import FolderExport, export_version, file_version, sweep_temp_files
from broadcast.playlist_files import (
    PlaylistPaths,
    canonical_json,
    check_writable,
    items_from_manifest,
    paths_for,
    shared_manifest,
    stored_json,
)
from broadcast.playlist_loading import (
    DayData,
    PlanStation,
    day_orders,
    load_day,
    load_stations,
    station_jingle,
    uploaded_jingles,
)
from broadcast.playlist_store import (
    Latest,
    NewVersion,
    latest_playlist,
    latest_versions,
    previous_with_past,
    store_playlists,
)
from loa.config import Settings

__all__ = [
    "GeneratedPlaylist",
    "drain_regen_requests",
    "emergency_block_end",
    "file_version",
    "generate_playlists",
    "latest_playlist",
    "media_url",
    "station_jingle",
    "sweep_temp_files",
]

log = logging.getLogger(__name__)

#: Stations planned, stored and written per batch.
_BATCH = 500
ProgressFn = Callable[[int, int], None]


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


class _Pending(NamedTuple):
    station: PlanStation
    manifest: dict[str, Any]
    canonical: bytes | None
    etag: str
    changed: bool
    #: The M3U8 and XSPF track sections, shared with the stations that air the same.
    tracks: tuple[str, str]


def _published(
    st: PlanStation, day: date, previous: dict[str, Any] | None
) -> tuple[Sequence[PlannedItem], dict[str, Any] | None]:
    """The published version's items (kept on replanning) and manifest; one that does not
    validate (not this Loa's writing) counts as none: replanned as if nothing was published."""
    if previous is None:
        return (), None
    try:
        return items_from_manifest(previous), previous
    except ManifestError as exc:
        log.error("station %s %s: the published manifest does not validate (%s)", st.code, day, exc)
        return (), None


def _plan_station(
    st: PlanStation,
    day: date,
    data: DayData,
    jingle: JingleInput | None,
    *,
    now: datetime | None,
    emergency: bool,
    previous: dict[str, Any] | None,
) -> tuple[PlanResult, bool]:
    """The plan, and whether it has an emergency block still to come (the version's flag)."""
    station = StationPlanInput(st.id, st.code, st.timezone, languages=data.languages.get(st.id, ()))
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
    kept, previous = _published(st, day, previous)
    if previous is not None:
        hold = emergency_block_end(previous)
        if hold is not None and hold > floor:
            floor, held = hold, True
    else:
        regular = plan_day(*args, jingle=jingle, overrides=overrides)
        if not emergency and (not regular.items or regular.items[0].start >= now):
            return regular, False  # nothing in the past (the usual nightly run just after midnight)
        # no version was published (or none readable): nothing has aired
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


def _version(
    st: PlanStation, day: date, shared: SharedPlan, prev: tuple[int, int, str] | None, now: datetime
) -> tuple[_Pending, NewVersion | None]:
    """A station's planned day as a manifest, and the row to store if what airs has changed.
    What the stations airing the same share is encoded once (``SharedPlan``); only the parts that
    name the station are encoded here."""
    manifest = shared_manifest(
        st.code, day, (prev[1] + 1) if prev else 1, now, shared.items, shared.unplaced,
        timezone=st.timezone, emergency=shared.emergency,
    )
    canonical = canonical_json(manifest, shared.canonical_parts())
    etag = hashlib.sha256(canonical).hexdigest()
    if prev is not None and prev[2] == etag:
        manifest["version"] = prev[1]
        return _Pending(st, manifest, canonical, etag, False, shared.tracks()), None
    row = {
        "station_id": st.id,
        "date": day,
        "version": manifest["version"],
        "generated_at": now,
        "manifest": bulk.Encoded(manifest, partial(stored_json, manifest, shared.stored_parts())),
        "etag": etag,
        "emergency": shared.emergency,
    }
    return _Pending(st, manifest, canonical, etag, True, shared.tracks()), (row, shared.rows)


def _export(
    session: Session, out: Path, day: date, pending: list[_Pending], latest: Latest, folder: FolderExport | None
) -> list[GeneratedPlaylist]:
    results = []
    for st, manifest, canonical, etag, changed, tracks in pending:
        paths = paths_for(out, st.code, day)
        committed = None if changed else latest[st.id][:2]
        manifest = export_version(
            session, out, paths, manifest, canonical, changed=changed, committed=committed, folder=folder,
            tracks=tracks,
        )
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


def _now_ms(now: datetime | None) -> datetime:
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.replace(microsecond=now.microsecond // 1000 * 1000)  # the planner counts in ms


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
    now = _now_ms(now)
    out = Path(out_dir) if out_dir is not None else settings.playlists_dir
    folder = FolderExport.for_settings(out, settings) if plain_folder else None
    stations = load_stations(session, station_codes, settings.timezone)
    run = _Run(
        session, out, folder, stations, station_codes is None, station_jingle(session, settings),
        uploaded_jingles(session, stations), now, emergency, on_progress, len(stations) * len(set(days)),
    )
    sweep_temp_files(out, [s.code for s in stations])
    check_writable(out)  # refuse an unwritable folder now, while nothing is stored
    results: list[GeneratedPlaylist] = []
    # Hundreds of thousands of long-lived objects a night and no cycles among them: the collector
    # would walk them again and again (about a tenth of the time); the young are collected per batch.
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        for day in sorted(set(days)):
            results.extend(_generate_day(run, day))
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()
    from broadcast.events import announce_emergencies  # push10: tell connected agents at commit

    announce_emergencies(session, settings, results)
    return results


@dataclass
class _Run:
    """What a generation's days share."""

    session: Session
    out: Path
    folder: FolderExport | None
    stations: list[PlanStation]
    all_stations: bool
    jingle: JingleInput | None
    own_jingles: dict[int, JingleInput]
    now: datetime
    emergency: bool
    on_progress: ProgressFn | None
    total: int
    done: int = 0


def _generate_day(run: _Run, day: date) -> list[GeneratedPlaylist]:
    """One day of every station: planned (once per set of stations that plan alike), stored and
    exported a batch at a time (bounded memory, few statements, files right after their rows)."""
    session, now = run.session, run.now
    data = load_day(session, day, run.stations, run.all_stations)
    latest = latest_versions(session, day, None if run.all_stations else [s.id for s in run.stations])
    today_ids = [
        s.id for s in run.stations if s.id in latest and now.astimezone(zone(s.timezone)).date() == day
    ]
    previous = previous_with_past(session, [latest[i][0] for i in today_ids], now)
    orders = day_orders(session, day)
    cache = PlanCache(data, partial(_plan_ordered, day=day, data=data, now=now, emergency=run.emergency))
    results: list[GeneratedPlaylist] = []
    for batch in chunks(run.stations, _BATCH):
        new_rows: list[NewVersion] = []
        pending: list[_Pending] = []
        for st in batch:
            shared = cache.get(st, run.own_jingles.get(st.id, run.jingle), previous.get(st.id), orders.get(st.id))
            item, row = _version(st, day, shared, latest.get(st.id), now)
            pending.append(item)
            if row is not None:
                new_rows.append(row)
            run.done += 1
            if run.on_progress is not None:
                run.on_progress(run.done, run.total)
        store_playlists(session, new_rows)
        results.extend(_export(session, run.out, day, pending, latest, run.folder))
        gc.collect(0)
    log.info("%s: %d stations, %d plans", day, len(run.stations), cache.planned)
    return results


def _plan_ordered(
    st: PlanStation,
    jingle: JingleInput | None,
    previous: dict[str, Any] | None,
    order: Sequence[int] | None,
    *,
    day: date,
    data: DayData,
    now: datetime,
    emergency: bool,
) -> tuple[PlanResult, bool]:
    """``_plan_station``, then the operator's order of the day's bulletins (week view)."""
    plan, is_emergency = _plan_station(st, day, data, jingle, now=now, emergency=emergency, previous=previous)
    if order is not None:
        plan = PlanResult(apply_order(plan.items, list(order), now), plan.unplaced)
    return plan, is_emergency
