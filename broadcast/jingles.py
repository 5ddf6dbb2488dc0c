"""Jingles (station IDs) uploaded for one station or one group, and which one a station airs.

A station's own jingle wins over one of its groups' (the group first by name), which wins over the
configured ``station_id_jingle``. Uploading checks the file is audio (ffmpeg reads it, it has a
length, it is not too long) before anything is stored; the file enters the store through
``broadcast.media`` and the stations concerned get new playlists (the outbox), in the caller's
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast.changes import audit, request_regen
from broadcast.errors import BroadcastError
from broadcast.media import store_file
from broadcast.models import MediaFile, Station, StationGroup, StationJingle, station_group_members
from broadcast.stations import get_group, get_station
from pipeline.store import MIME_TYPES
from pipeline.types import PipelineError

ROLE = "jingle"


def check_jingle_file(path: Path, filename: str, max_seconds: float) -> float:
    """The jingle's length in seconds; a Vietnamese BroadcastError for anything that is not audio
    the agents can play (unknown type, no audio stream, empty, unknown or too long a length)."""
    if Path(filename).suffix.lower() not in MIME_TYPES:
        raise BroadcastError("Tệp '%(f)s' không phải tệp âm thanh (nhận .mp3, .wav, .ogg, .flac, .m4a…).",
                             f=filename)
    from pipeline.audio.decode import validate_recording  # numpy/scipy: only when a jingle is uploaded

    try:
        info = validate_recording(path, max_seconds)
    except PipelineError as exc:
        raise BroadcastError("Tệp '%(f)s' không phải âm thanh dùng được: %(e)s", f=filename, e=str(exc)) from None
    if not info.duration_s:
        raise BroadcastError("Không đọc được thời lượng của tệp '%(f)s'.", f=filename)
    return info.duration_s


def upload_jingle(
    session: Session, src: Path, *, filename: str, media_dir: Path, max_seconds: float,
    station_code: str | None = None, group: str | None = None, actor: str,
) -> StationJingle:
    """Store ``src`` as the jingle of one station (``station_code``) or one group (``group``),
    replacing the one it had. ``src`` carries the upload's suffix (the store names files by it)."""
    if (station_code is None) == (group is None):
        raise BroadcastError("Hãy chọn một đài hoặc một nhóm đài cho nhạc hiệu.")
    station = get_station(session, station_code) if station_code is not None else None
    grp = get_group(session, group) if group is not None else None
    duration = check_jingle_file(src, filename, max_seconds)
    target = station.name if station is not None else grp.name if grp is not None else ""
    mf = store_file(session, src, media_dir, duration_s=duration,
                    meta={"role": ROLE, "name": Path(filename).name, "for": target})
    where = (StationJingle.station_id == station.id) if station is not None else (
        StationJingle.group_id == (grp.id if grp is not None else None))
    row = session.scalar(select(StationJingle).where(where))
    if row is None:
        row = StationJingle(station_id=station.id if station else None, group_id=grp.id if grp else None,
                            media_sha256=mf.sha256, actor=actor)
        session.add(row)
    else:
        row.media_sha256, row.actor = mf.sha256, actor
    session.flush()
    codes = [station.code] if station is not None else [s.code for s in grp.stations] if grp is not None else []
    audit(session, actor, "media.jingle", station.code if station is not None else target,
          name=Path(filename).name, sha256=mf.sha256[:12])
    request_regen(session, "jingle changed", codes)
    return row


def jingles_for(session: Session, station_ids: Iterable[int]) -> dict[int, MediaFile]:
    """The uploaded jingle each station airs (its own, else its first group's by name); stations
    with neither are left out (they air the configured one)."""
    wanted = set(station_ids)
    if not wanted:
        return {}
    rows = session.execute(select(StationJingle, MediaFile).join(MediaFile)).all()
    own = {j.station_id: mf for j, mf in rows if j.station_id is not None}
    by_group = {j.group_id: mf for j, mf in rows if j.group_id is not None}
    out = {sid: mf for sid, mf in own.items() if sid in wanted}
    if by_group:
        members = session.execute(
            select(station_group_members.c.station_id, station_group_members.c.group_id)
            .join(StationGroup, StationGroup.id == station_group_members.c.group_id)
            .where(station_group_members.c.group_id.in_(list(by_group)))
            .order_by(StationGroup.name)
        ).all()
        for sid, gid in members:
            if sid in wanted and sid not in out:
                out[sid] = by_group[gid]
    return out


def jingle_targets(session: Session) -> dict[str, list[str]]:
    """For the library: each uploaded jingle's sha256 → the station and group names it is set for."""
    out: dict[str, list[str]] = {}
    rows = session.execute(select(StationJingle, Station.name, StationGroup.name)
                           .outerjoin(Station, Station.id == StationJingle.station_id)
                           .outerjoin(StationGroup, StationGroup.id == StationJingle.group_id)).all()
    for j, station_name, group_name in rows:
        out.setdefault(j.media_sha256, []).append(station_name or group_name or "")
    return out
