"""Storing playlists: the Playlist and PlaylistItem rows, a version per change.

Thousands of playlists and hundreds of thousands of items a night go in with a few executemany
statements (Core, not the ORM unit of work), into the caller's transaction (flushed, not
committed). Reading back: the latest version of each station's day, and the manifests whose past
a replanning of today keeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, and_, func, select
from sqlalchemy.orm import Session

from broadcast import bulk
from broadcast.batches import CHUNK, by_station, chunks
from broadcast.models import Playlist, PlaylistItem, Station
from broadcast.planner import PlannedItem

_PLAYLISTS = cast(Table, Playlist.__table__)
_ITEMS = cast(Table, PlaylistItem.__table__)

#: station id → (playlist id, version, etag) of a stored version.
Latest = dict[int, tuple[int, int, str]]
#: A new version: its Playlist row's values, and its planned items.
NewVersion = tuple[dict[str, Any], Sequence[PlannedItem]]


def latest_versions(session: Session, day: date, station_ids: list[int] | None) -> Latest:
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
        for r in by_station(q, Playlist.station_id, station_ids, session)
    }


def previous_with_past(session: Session, playlist_ids: list[int], now: datetime) -> dict[int, dict[str, Any]]:
    """station id → manifest, for the given playlists that have something starting by ``now``
    (that past is kept on replanning). The first items are looked at first, so the nightly run just
    after midnight does not load and parse every station's manifest for nothing."""
    with_past: list[int] = []
    for part in chunks(playlist_ids):
        q = select(PlaylistItem.playlist_id, PlaylistItem.start).where(
            PlaylistItem.position == 0, PlaylistItem.playlist_id.in_(part)
        )
        with_past.extend(r.playlist_id for r in session.execute(q) if r.start <= now)
    previous: dict[int, dict[str, Any]] = {}
    for part in chunks(with_past):
        q2 = select(Playlist.station_id, Playlist.manifest).where(Playlist.id.in_(part))
        previous.update((r.station_id, r.manifest) for r in session.execute(q2))
    return previous


def stored_manifest(session: Session, playlist_id: int) -> dict[str, Any] | None:
    """The manifest a stored version keeps."""
    return session.scalar(select(Playlist.manifest).where(Playlist.id == playlist_id))


def _item_row(playlist_id: int, pos: int, it: PlannedItem) -> dict[str, Any]:
    media = it.media
    return {
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
        "language": it.language,
    }


def store_playlists(session: Session, rows: list[NewVersion]) -> None:
    """Insert new versions (all of one day) and their items."""
    if not rows:
        return
    for part in chunks([r for r, _ in rows], 1000):
        bulk.insert_rows(session, _PLAYLISTS, part)
    # Ids back by the unique (station, date, version): RETURNING in parameter order would make
    # SQLite insert one row at a time.
    day = rows[0][0]["date"]
    q = select(Playlist.id, Playlist.station_id, Playlist.version).where(Playlist.date == day)
    ids = None if len(rows) > CHUNK else [r["station_id"] for r, _ in rows]
    by_key = {(r.station_id, r.version): r.id for r in by_station(q, Playlist.station_id, ids, session)}
    items: list[dict[str, Any]] = []
    for row, planned in rows:
        playlist_id = by_key[(row["station_id"], row["version"])]
        items.extend(_item_row(playlist_id, pos, it) for pos, it in enumerate(planned))
    for part in chunks(items, 10_000):
        bulk.insert_rows(session, _ITEMS, part)


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
