"""The media library: every audio file in the store, what kind it is and where it is used.

Kinds: ``jingle`` (uploaded for a station or a group), ``station_id`` (the configured station-ID
jingle), ``recording`` (a bulletin's uploaded audio), ``render`` (a bulletin's broadcast MP3);
``other`` for anything else (a file no longer referenced). Uses: the bulletins that read or
carry it, the stations and groups it is set for, and the playlists (today on) that play it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast.jingles import jingle_targets
from broadcast.models import Bulletin, MediaFile, Playlist, PlaylistItem, Station

KINDS = ("jingle", "station_id", "recording", "render", "other")
KIND_LABELS = {"jingle": "Nhạc hiệu đài / nhóm", "station_id": "Nhạc hiệu chung", "recording": "Bản ghi âm",
               "render": "Bản đọc", "other": "Khác"}
#: Most playlists named per file (a jingle airs everywhere; the count says the rest).
MAX_PLAYLISTS_SHOWN = 12


@dataclass
class LibraryEntry:
    media: MediaFile
    kind: str
    name: str
    bulletins: list[tuple[int, str]] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    playlists: list[tuple[str, date]] = field(default_factory=list)
    playlist_count: int = 0


def _kind(mf: MediaFile, rendered: set[str], uploaded: set[str], jingles: set[str]) -> str:
    role = (mf.meta or {}).get("role")
    if mf.sha256 in jingles or role == "jingle":
        return "jingle"
    if role == "station_id_jingle":
        return "station_id"
    if mf.sha256 in uploaded:
        return "recording"
    if mf.sha256 in rendered:
        return "render"
    return "other"


def list_library(session: Session, *, text: str = "", kind: str = "") -> list[LibraryEntry]:
    """Every audio file, newest first, with its kind and the bulletins and targets that use it;
    ``text`` matches the file name, a bulletin's title, a station or group, or the sha256 start."""
    files = session.scalars(select(MediaFile).where(MediaFile.mime.like("audio/%"))
                            .order_by(MediaFile.created_at.desc(), MediaFile.sha256)).all()
    users: dict[str, list[tuple[int, str]]] = {}
    rendered: set[str] = set()
    uploaded: set[str] = set()
    for bid, title, media, upload in session.execute(
            select(Bulletin.id, Bulletin.title, Bulletin.media_sha256, Bulletin.upload_sha256)):
        for sha, bucket in ((media, rendered), (upload, uploaded)):
            if sha:
                bucket.add(sha)
                users.setdefault(sha, []).append((bid, title))
    targets = jingle_targets(session)
    out = []
    needle = text.strip().casefold()
    for mf in files:
        entry = LibraryEntry(mf, _kind(mf, rendered, uploaded, set(targets)),
                             str((mf.meta or {}).get("name") or (mf.meta or {}).get("title") or ""),
                             sorted(set(users.get(mf.sha256, []))), targets.get(mf.sha256, []))
        if not entry.name and entry.bulletins:
            entry.name = entry.bulletins[0][1]
        if kind and entry.kind != kind:
            continue
        if needle and not _matches(entry, needle):
            continue
        out.append(entry)
    return out


def _matches(entry: LibraryEntry, needle: str) -> bool:
    words = [entry.name, entry.media.sha256, *(t for _i, t in entry.bulletins), *entry.targets]
    return any(needle in w.casefold() for w in words)


def add_playlist_uses(session: Session, entries: Sequence[LibraryEntry], since: date) -> None:
    """Fill in, for the entries given (one page), the station playlists from ``since`` on that play them."""
    by_sha = {e.media.sha256: e for e in entries}
    if not by_sha:
        return
    rows = session.execute(
        select(PlaylistItem.media_sha256, Station.code, Playlist.date).distinct()
        .join(Playlist, Playlist.id == PlaylistItem.playlist_id).join(Station, Station.id == Playlist.station_id)
        .where(PlaylistItem.media_sha256.in_(list(by_sha)), Playlist.date >= since)
        .order_by(Playlist.date, Station.code)
    ).all()
    for sha, code, day in rows:
        e = by_sha[str(sha)]
        e.playlist_count += 1
        if len(e.playlists) < MAX_PLAYLISTS_SHOWN:
            e.playlists.append((code, day))
