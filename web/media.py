"""Serving files from the content-addressed media store.

A file's name is its SHA-256, so it never changes: it gets the hash as its ETag, a year-long
immutable cache lifetime, and byte ranges (for agents resuming a download and for ``<audio>``
seeking). Only 64 lowercase hex characters are accepted, so no path can escape the store.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, send_file

from pipeline.store import MediaStore
from web.db import settings

bp = Blueprint("media", __name__, url_prefix="/media")

_SHA256 = re.compile(r"[0-9a-f]{64}")
ONE_YEAR = 365 * 24 * 3600


def send_media(sha256: str, relpath: str | None = None, mime: str = "audio/mpeg") -> Response:
    """The stored file for ``sha256`` (404 for anything else), with ETag, Range and caching.
    ``relpath``/``mime``: where and what the file is, from its MediaFile row (default: an MP3)."""
    if not _SHA256.fullmatch(sha256):
        abort(404)
    store = MediaStore(settings().media_dir)
    path = store.root / relpath if relpath else store.path_for(sha256)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=mime, conditional=True, etag=sha256, max_age=ONE_YEAR)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


@bp.get("/<sha256>")
def media(sha256: str) -> Response:
    """As its MediaFile row says (an uploaded .wav plays in the editor's page before any render)."""
    from broadcast.models import MediaFile
    from web.db import session

    row = session().get(MediaFile, sha256) if _SHA256.fullmatch(sha256) else None
    return send_media(sha256, row.path, row.mime) if row else send_media(sha256)
