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
#: Columns of a PlaylistItem row, the playlist's id first (``StoredItems``).
_ITEM_COLUMNS = (
    "playlist_id", "position", "start", "duration_s", "kind", "title", "priority", "bulletin_id", "relay_id",
    "media_sha256", "size", "url", "language",
)


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


def _item_row(pos: int, it: PlannedItem) -> dict[str, Any]:
    media = it.media
    return {
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


class StoredItems:
    """A planned day's items as PlaylistItem rows of any playlist: the values (and, for COPY, their
    text) are made once for all the stations that air the same day, only the playlist id differs."""

    def __init__(self, planned: Sequence[PlannedItem]) -> None:
        self.planned = planned
        self._rows: list[dict[str, Any]] | None = None
        self._lines: list[str] | None = None

    def rows(self, playlist_id: int) -> list[dict[str, Any]]:
        """The rows for executemany."""
        if self._rows is None:
            self._rows = [_item_row(pos, it) for pos, it in enumerate(self.planned)]
        return [{"playlist_id": playlist_id, **row} for row in self._rows]

    def copy_text(self, session: Session, playlist_id: int) -> str:
        """The rows in COPY's text format, in ``_ITEM_COLUMNS`` order."""
        if self._lines is None:
            names = _ITEM_COLUMNS[1:]
            procs = bulk.bind_processors(session, _ITEMS, names)
            self._lines = [
                "\t".join(
                    bulk.copy_field(v if p is None or v is None else p(v))
                    for p, v in zip(procs, (row[n] for n in names), strict=True)
                )
                for row in (_item_row(pos, it) for pos, it in enumerate(self.planned))
            ]
        if not self._lines:
            return ""
        prefix = f"{playlist_id}\t"
        return prefix + ("\n" + prefix).join(self._lines) + "\n"


#: A new version: its Playlist row's values, and its items.
NewVersion = tuple[dict[str, Any], StoredItems]


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
    ids_items = [(by_key[(row["station_id"], row["version"])], stored) for row, stored in rows]
    if bulk.copies(session):
        for batch in chunks(ids_items, 250):
            text = "".join(stored.copy_text(session, playlist_id) for playlist_id, stored in batch)
            bulk.copy_text(session, _ITEMS, _ITEM_COLUMNS, text)
        return
    items: list[dict[str, Any]] = []
    for playlist_id, stored in ids_items:
        items.extend(stored.rows(playlist_id))
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
