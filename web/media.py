"""Serving files from the content-addressed media store: the local folder, or an S3 bucket.

A file's name is its SHA-256, so it never changes: it gets the hash as its ETag, a year-long
immutable cache lifetime, and byte ranges (for agents resuming a download and for ``<audio>``
seeking). Only 64 lowercase hex characters are accepted, so no path can escape the store.
With ``media_url = "s3://…"`` the object is streamed through (Range passed on to S3), or, with
``media_presign_s``, the answer is a redirect to a presigned URL and the bytes never cross
``loa serve``. A missing object is a 404; a store that is down is a 503 with ``Retry-After``
(the agent retries), never a 500.
"""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Response, abort, jsonify, request, send_file

from broadcast.media import media_backend
from pipeline.storage import StorageMissing, StorageUnavailable, parse_range
from pipeline.store import MediaStore
from web.db import settings

log = logging.getLogger(__name__)
bp = Blueprint("media", __name__, url_prefix="/media")

_SHA256 = re.compile(r"[0-9a-f]{64}")
ONE_YEAR = 365 * 24 * 3600
#: Seconds an agent is told to wait when the object store is down.
RETRY_AFTER_S = 10


def _cacheable(response: Response, sha256: str) -> Response:
    response.set_etag(sha256)
    response.cache_control.public = True
    response.cache_control.immutable = True
    response.cache_control.max_age = ONE_YEAR
    return response


def _unavailable(exc: Exception) -> Response:
    log.warning("media store unavailable: %s", exc)
    response = jsonify({"error": "Kho tệp âm thanh tạm thời không truy cập được, hãy thử lại sau.",
                        "code": "storage_unavailable"})  # fmt: skip
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def _from_bucket(sha256: str, relpath: str, mime: str) -> Response:
    cfg = settings()
    backend = media_backend(cfg)
    if request.if_none_match.contains(sha256):
        return _cacheable(Response(status=304), sha256)
    try:
        if cfg.media_presign_s > 0:
            url = backend.presigned_url(relpath, cfg.media_presign_s)
            if url:
                # A redirect, not cacheable for a year: the presigned address expires.
                response = Response(status=302, headers={"Location": url})
                response.cache_control.private = True
                response.cache_control.max_age = max(0, cfg.media_presign_s - 60)
                return response
        byte_range = request.headers.get("Range")
        if byte_range:
            parse_range(byte_range, 1 << 62)  # a malformed header is refused here, not by S3
        body = backend.open(relpath, byte_range)
    except StorageMissing:
        abort(404)
    except ValueError:
        abort(416)
    except StorageUnavailable as exc:
        return _unavailable(exc)
    response = Response(body.chunks, status=206 if body.content_range else 200, mimetype=mime,
                        direct_passthrough=True)  # fmt: skip
    response.content_length = body.length
    response.headers["Accept-Ranges"] = "bytes"
    if body.content_range:
        response.headers["Content-Range"] = body.content_range
    return _cacheable(response, sha256)


def send_media(sha256: str, relpath: str | None = None, mime: str = "audio/mpeg") -> Response:
    """The stored file for ``sha256`` (404 for anything else), with ETag, Range and caching.
    ``relpath``/``mime``: where and what the file is, from its MediaFile row (default: an MP3)."""
    if not _SHA256.fullmatch(sha256):
        abort(404)
    rel = relpath or MediaStore(settings().media_dir).relpath_for(sha256)
    path = media_backend(settings()).local_path(rel)
    if path is None:  # a bucket
        return _from_bucket(sha256, rel, mime)
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
