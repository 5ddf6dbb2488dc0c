"""The one way a file enters the media store with its MediaFile row.

Uploads, rendered bulletins and the station-ID jingle all come through here, so every row carries
the file's real type (one MIME table, ``pipeline.store.MIME_TYPES``) and the API serves it as such.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from broadcast.models import MediaFile
from pipeline.store import MediaStore, StoredMedia, mime_for


def media_url(sha256: str) -> str:
    """Where the API serves a media file; manifests and playlist files use the same url."""
    return f"/api/v1/media/{sha256}"


def record_media(
    session: Session, stored: StoredMedia, *, duration_s: float | None = None, meta: dict[str, Any] | None = None
) -> MediaFile:
    """The MediaFile row of a file already in the store: created, or brought up to date."""
    mime = mime_for(Path(stored.relpath).suffix)
    mf = session.get(MediaFile, stored.sha256)
    if mf is None:
        mf = MediaFile(sha256=stored.sha256, path=stored.relpath, size=stored.size,
                       duration_s=duration_s or 0.0, mime=mime, meta=meta)
        if session.get_bind().dialect.name == "sqlite":  # one writer at a time: no race to lose
            session.add(mf)
            session.flush()
            return mf
        try:
            with session.begin_nested():  # another worker may add the same file at the same moment
                session.add(mf)
            return mf
        except IntegrityError:  # it did: bring its row up to date as below
            mf = session.get(MediaFile, stored.sha256, populate_existing=True)
            if mf is None:
                raise
    mf.path, mf.size, mf.mime = stored.relpath, stored.size, mime
    if duration_s is not None:
        mf.duration_s = duration_s
    if meta is not None and (mf.meta is None or meta.get("cache_key")):
        mf.meta = meta
    session.flush()
    return mf


def store_file(
    session: Session, src: Path, media_dir: Path, *, duration_s: float | None = None,
    meta: dict[str, Any] | None = None,
) -> MediaFile:
    """Copy ``src`` into the store (content-addressed, atomic) and record it. A file already
    stored keeps its row's metadata."""
    stored = MediaStore(media_dir).put_copy(src)
    existing = session.get(MediaFile, stored.sha256)
    if existing is not None and existing.path == stored.relpath:
        return existing
    return record_media(session, stored, duration_s=duration_s, meta=meta)
