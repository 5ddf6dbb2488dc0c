"""Where media files live once rendered or uploaded: a local folder, or S3-compatible object storage.

Both backends hold the same content-addressed names (``<sha[:2]>/<sha><ext>``, the store's
``relpath``), so a file's name never changes meaning wherever it is kept. The local folder
(:class:`pipeline.store.MediaStore`) is always where a render or an upload is first written, atomically;
with S3 it is a write-through cache, and the object in the bucket is what every server serves. An
S3 object appears whole or not at all, so no reader sees a partial file there either.

Plain parameters only (no settings): ``broadcast/media.py`` builds the backend from ``Settings``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from pipeline.store import atomic_path

log = logging.getLogger(__name__)

_CHUNK = 1 << 16


class StorageMissing(LookupError):
    """The object is not in the store (a clear 404, never a traceback)."""


class StorageUnavailable(OSError):
    """The store cannot be reached or answered with a server error: retry later."""


@dataclass(frozen=True)
class ObjectBody:
    """An open object: its bytes as an iterator of chunks, and what the HTTP answer needs."""

    chunks: Iterator[bytes]
    length: int
    total: int
    content_range: str | None = None


class MediaBackend(Protocol):
    """What every writer and reader of media goes through."""

    kind: str

    def put_file(self, src: Path, relpath: str, mime: str) -> None:
        """Store ``src`` under ``relpath`` (kept if already there: the name is its content)."""

    def local_path(self, relpath: str) -> Path | None:
        """The file on this machine's disk, if the backend is a folder; None for a remote one."""

    def fetch_to(self, relpath: str, dest: Path) -> Path:
        """Make the object available at ``dest`` (atomically) and return it."""

    def open(self, relpath: str, byte_range: str | None = None) -> ObjectBody:
        """The object's bytes (``byte_range``: an HTTP Range header value)."""

    def presigned_url(self, relpath: str, expires_s: int) -> str | None:
        """A time-limited address clients may fetch the object from directly; None if none."""


class LocalBackend:
    """The media folder itself (the one-PC default): nothing to copy, files served from disk."""

    kind = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def put_file(self, src: Path, relpath: str, mime: str) -> None:
        final = self.root / relpath
        if final.exists() or Path(src).resolve() == final.resolve():
            return
        with atomic_path(final) as tmp, Path(src).open("rb") as fin, tmp.open("wb") as fout:
            for chunk in iter(lambda: fin.read(1 << 20), b""):
                fout.write(chunk)

    def local_path(self, relpath: str) -> Path | None:
        return self.root / relpath

    def fetch_to(self, relpath: str, dest: Path) -> Path:
        """The folder's own file (``dest`` is where it would be copied; here it already is)."""
        src = self.root / relpath
        if not src.is_file():
            raise StorageMissing(relpath)
        return src

    def open(self, relpath: str, byte_range: str | None = None) -> ObjectBody:
        path = self.root / relpath
        try:
            total = path.stat().st_size
        except FileNotFoundError:
            raise StorageMissing(relpath) from None
        start, end = parse_range(byte_range, total)
        return ObjectBody(_read_span(path, start, end), end - start + 1, total,
                          f"bytes {start}-{end}/{total}" if byte_range else None)  # fmt: skip

    def presigned_url(self, relpath: str, expires_s: int) -> str | None:
        return None


def parse_range(header: str | None, total: int) -> tuple[int, int]:
    """One ``bytes=a-b`` / ``bytes=a-`` / ``bytes=-n`` range → (first, last) byte; the whole file without
    a header. ValueError for a range that cannot be satisfied (the HTTP layer answers 416)."""
    if not header:
        return 0, total - 1
    unit, _, spec = header.partition("=")
    first, _, last = spec.strip().partition("-")
    if unit.strip() != "bytes" or "," in spec or not (first or last):
        raise ValueError(header)
    if not first:
        start, end = max(0, total - int(last)), total - 1
    else:
        start, end = int(first), min(int(last), total - 1) if last else total - 1
    if start > end or start >= total:
        raise ValueError(header)
    return start, end


def _read_span(path: Path, start: int, end: int) -> Iterator[bytes]:
    with path.open("rb") as fh:
        fh.seek(start)
        left = end - start + 1
        while left > 0:
            chunk = fh.read(min(_CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str

    def key(self, relpath: str) -> str:
        return f"{self.prefix}/{relpath}" if self.prefix else relpath


def parse_s3_url(url: str) -> S3Location:
    """``s3://bucket/prefix`` → its bucket and key prefix (no leading or trailing slash)."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"media_url must look like s3://bucket/prefix, not {url!r}")
    return S3Location(parsed.netloc, parsed.path.strip("/"))


#: S3 error codes that mean "no such object" (HEAD answers a bare 404).
_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3Backend:
    """An S3-compatible bucket (AWS, MinIO, Ceph, Garage…) through boto3."""

    kind = "s3"

    def __init__(self, location: S3Location, client: Any) -> None:
        self.location = location
        self.client = client

    @contextlib.contextmanager
    def _errors(self, relpath: str) -> Iterator[None]:
        """botocore's errors → StorageMissing (404) or StorageUnavailable (retry), never raw."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            if code in _MISSING:
                raise StorageMissing(relpath) from exc
            raise StorageUnavailable(f"S3 {code or 'error'}: {error.get('Message', '')}".strip()) from exc
        except BotoCoreError as exc:  # connection refused, timeouts, DNS: the store is down
            raise StorageUnavailable(f"S3: {exc}") from exc

    def _size(self, relpath: str) -> int | None:
        try:
            with self._errors(relpath):
                head = self.client.head_object(Bucket=self.location.bucket, Key=self.location.key(relpath))
        except StorageMissing:
            return None
        return int(head["ContentLength"])

    def put_file(self, src: Path, relpath: str, mime: str) -> None:
        size = Path(src).stat().st_size
        if self._size(relpath) == size:
            return
        sha = Path(relpath).stem
        with self._errors(relpath):
            self.client.upload_file(
                str(src), self.location.bucket, self.location.key(relpath),
                ExtraArgs={"ContentType": mime, "Metadata": {"sha256": sha}},
            )  # fmt: skip
        log.info("media %s → s3://%s/%s", sha[:12], self.location.bucket, self.location.key(relpath))

    def local_path(self, relpath: str) -> Path | None:
        return None

    def fetch_to(self, relpath: str, dest: Path) -> Path:
        with atomic_path(dest) as tmp, self._errors(relpath):
            self.client.download_file(self.location.bucket, self.location.key(relpath), str(tmp))
        return dest

    def open(self, relpath: str, byte_range: str | None = None) -> ObjectBody:
        extra = {"Range": byte_range} if byte_range else {}
        with self._errors(relpath):
            obj = self.client.get_object(Bucket=self.location.bucket, Key=self.location.key(relpath), **extra)
        body = obj["Body"]
        length = int(obj["ContentLength"])
        content_range = obj.get("ContentRange")
        total = int(content_range.rsplit("/", 1)[1]) if content_range else length
        return ObjectBody(self._chunks(body, relpath), length, total, content_range)

    def _chunks(self, body: Any, relpath: str) -> Iterator[bytes]:
        try:
            with self._errors(relpath):
                yield from body.iter_chunks(_CHUNK)
        finally:
            body.close()

    def presigned_url(self, relpath: str, expires_s: int) -> str | None:
        with self._errors(relpath):
            url: str = self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.location.bucket, "Key": self.location.key(relpath)},
                ExpiresIn=expires_s,
            )  # fmt: skip
        return url


def s3_client(
    *, endpoint_url: str, region: str, access_key_id: str, secret_access_key: str, timeout_s: float
) -> Any:
    """A boto3 S3 client. Empty credentials leave boto3 to its own chain (``AWS_ACCESS_KEY_ID`` and
    ``AWS_SECRET_ACCESS_KEY`` in the environment, ``~/.aws``, an instance role). Bounded time and
    retries, so a store that is down answers "try later" within seconds, not minutes."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=timeout_s, read_timeout=timeout_s, retries={"max_attempts": 2, "mode": "standard"},
        signature_version="s3v4", s3={"addressing_style": "path"},
    )  # fmt: skip
    creds = {"aws_access_key_id": access_key_id, "aws_secret_access_key": secret_access_key} if access_key_id else {}
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url or None, region_name=region or None, config=config, **creds
    )
