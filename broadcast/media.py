"""The one way a file enters the media store with its MediaFile row.

Uploads, rendered bulletins and the station-ID jingle all come through here, so every row carries
the file's real type (one MIME table, ``pipeline.store.MIME_TYPES``) and the API serves it as such.
Every file is written first into the local media folder, then, when ``media_url`` names S3, copied
to the bucket before its row is flushed: a committed row always names an object that exists.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, cast

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from broadcast.errors import BroadcastError
from broadcast.models import MediaFile
from loa.config import Settings
from pipeline.storage import (
    LocalBackend,
    MediaBackend,
    S3Backend,
    StorageUnavailable,
    parse_s3_url,
    s3_client,
)
from pipeline.store import MediaStore, StoredMedia, mime_for


def media_url(sha256: str) -> str:
    """Where the API serves a media file; manifests and playlist files use the same url."""
    return f"/api/v1/media/{sha256}"
class MediaStoreDown(BroadcastError):
    """The object store cannot be reached: nothing was recorded; try again later."""


def media_backend(settings: Settings) -> MediaBackend:
    """The backend ``media_url`` names: the media folder (empty) or an S3 bucket."""
    if not settings.media_url:
        return LocalBackend(settings.media_dir)
    try:
        location = parse_s3_url(settings.media_url)
    except ValueError as exc:
        raise BroadcastError("Cấu hình media_url không hợp lệ: %(e)s", e=str(exc)) from exc
    return S3Backend(location, _client(settings.s3_endpoint_url, settings.s3_region, settings.s3_access_key_id,
                                       settings.s3_secret_access_key, settings.s3_timeout_s))  # fmt: skip


@functools.lru_cache(maxsize=8)
def _client(endpoint: str, region: str, key_id: str, secret: str, timeout_s: float) -> Any:
    """One boto3 client per configuration (they are thread-safe and costly to build)."""
    return s3_client(endpoint_url=endpoint, region=region, access_key_id=key_id,
                     secret_access_key=secret, timeout_s=timeout_s)  # fmt: skip


def _put(backend: MediaBackend | None, stored: StoredMedia, mime: str) -> None:
    if backend is None:  # the local folder, where the store already put the file
        return
    try:
        backend.put_file(stored.path, stored.relpath, mime)
    except StorageUnavailable as exc:
        raise MediaStoreDown("Kho tệp âm thanh chưa sẵn sàng, hãy thử lại sau: %(e)s", e=str(exc)) from exc


def local_copy(settings: Settings, relpath: str) -> Path:
    """The stored file on this machine's disk, fetched from the bucket into the media folder if it
    was stored by another machine (a recording rendered by a worker elsewhere)."""
    path = settings.media_dir / relpath
    if path.is_file():
        return path
    try:
        return media_backend(settings).fetch_to(relpath, path)
    except StorageUnavailable as exc:
        raise MediaStoreDown("Kho tệp âm thanh chưa sẵn sàng, hãy thử lại sau: %(e)s", e=str(exc)) from exc
    except LookupError:
        return path  # not stored anywhere: the caller says the file is missing


def record_media(
    session: Session, stored: StoredMedia, *, duration_s: float | None = None, meta: dict[str, Any] | None = None,
    backend: MediaBackend | None = None,
) -> MediaFile:
    """The MediaFile row of a file already in the local store: created, or brought up to date.
    ``backend``: where it is served from (default: the local folder, where it already is)."""
    mime = mime_for(Path(stored.relpath).suffix)
    _put(backend, stored, mime)
    mf = session.get(MediaFile, stored.sha256)
    if mf is None:
        values = {"sha256": stored.sha256, "path": stored.relpath, "size": stored.size,
                  "duration_s": duration_s or 0.0, "mime": mime, "meta": meta}  # fmt: skip
        added = _insert_unless_there(session, values)
        mf = session.get(MediaFile, stored.sha256, populate_existing=True)
        assert mf is not None
        if added:
            return mf
    mf.path, mf.size, mf.mime = stored.relpath, stored.size, mime
    if duration_s is not None:
        mf.duration_s = duration_s
    if meta is not None and (mf.meta is None or meta.get("cache_key")):
        mf.meta = meta
    session.flush()
    return mf


def _insert_unless_there(session: Session, values: dict[str, Any]) -> bool:
    """Insert the row unless one with its sha256 exists; True if this call added it.

    Two renders of the same text make the same file at the same moment, on one machine or two.
    Looking first and inserting after loses that race on either database (SQLite's driver reads
    outside the write transaction), so the insert itself skips a row that is already there."""
    dialect = session.get_bind().dialect.name
    insert: Any = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}[dialect]
    stmt = insert(MediaFile).values(**values).on_conflict_do_nothing(
        index_elements=["sha256"]
    )
    result = cast("CursorResult[Any]", session.execute(stmt))
    return result.rowcount == 1


def store_file(
    session: Session, src: Path, media_dir: Path, *, duration_s: float | None = None,
    meta: dict[str, Any] | None = None, backend: MediaBackend | None = None,
) -> MediaFile:
    """Copy ``src`` into the store (content-addressed, atomic) and record it. A file already
    stored keeps its row's metadata. ``backend``: as in :func:`record_media`."""
    stored = MediaStore(media_dir).put_copy(src)
    existing = session.get(MediaFile, stored.sha256)
    if existing is not None and existing.path == stored.relpath:
        _put(backend, stored, existing.mime)  # a row from before the bucket: the object too
        return existing
    return record_media(session, stored, duration_s=duration_s, meta=meta, backend=backend)
