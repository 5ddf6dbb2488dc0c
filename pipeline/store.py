"""The content-addressed media store.

Files live at ``<root>/<sha[:2]>/<sha>.mp3``, named by the SHA-256 of their bytes, so a path never
changes meaning and any number of machines can share or mirror the folder. A second index,
``<root>/keys/<key[:2]>/<key>.json``, maps a render's *cache key* (a hash of everything that
decides its output) to the file it produced; that is what makes re-rendering unchanged input free.

Every write goes to a temporary file in the destination folder and is moved into place with
``os.replace``, so a reader never sees a partial file, whatever moment the writer dies at.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20
#: The one table of media types the store knows (fixed here: the OS's tables differ).
MIME_TYPES = {
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".webm": "audio/webm",
    ".wma": "audio/x-ms-wma",
}
UNKNOWN_MIME = "application/octet-stream"


def mime_for(ext: str) -> str:
    """The media type of a file extension (".ogg" → "audio/ogg"); octet-stream if unknown."""
    return MIME_TYPES.get(ext.lower(), UNKNOWN_MIME)
#: Temporary files older than this are leftovers of killed renders.
STALE_TMP_S = 6 * 3600


@dataclass(frozen=True)
class StoredMedia:
    sha256: str
    path: Path
    relpath: str
    size: int
    meta: dict[str, Any]


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


@contextlib.contextmanager
def atomic_path(final: Path, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``final``; on success move it into place, on error remove it."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=suffix, dir=final.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        tmp.chmod(0o644)  # mkstemp makes files private; what we deliver is meant to be read
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write_bytes(final: Path, data: bytes) -> None:
    with atomic_path(final) as tmp, tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


class MediaStore:
    """A folder of immutable media files, addressed by content and by render cache key."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def relpath_for(self, sha256: str, ext: str = ".mp3") -> str:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256: {sha256!r}")
        return f"{sha256[:2]}/{sha256}{ext}"

    def path_for(self, sha256: str, ext: str = ".mp3") -> Path:
        return self.root / self.relpath_for(sha256, ext)

    def _key_path(self, cache_key: str) -> Path:
        return self.root / "keys" / cache_key[:2] / f"{cache_key}.json"

    def temp_path(self, suffix: str = ".mp3") -> Path:
        """A fresh temporary file inside the store (same filesystem, so the final move is atomic)."""
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        self._sweep(tmp_dir)
        fd, name = tempfile.mkstemp(suffix=suffix, dir=tmp_dir)
        os.close(fd)
        return Path(name)

    @staticmethod
    def _sweep(tmp_dir: Path) -> None:
        """Remove what renders killed long ago left behind (a live render never takes this long)."""
        cutoff = time.time() - STALE_TMP_S
        for leftover in tmp_dir.iterdir():
            with contextlib.suppress(OSError):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()

    def lookup(self, cache_key: str) -> StoredMedia | None:
        """The file a previous render with this key produced, if it is still intact."""
        key_path = self._key_path(cache_key)
        try:
            record = json.loads(key_path.read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        path = self.path_for(record["sha256"])
        if not path.is_file() or path.stat().st_size != record.get("size"):
            return None
        return StoredMedia(record["sha256"], path, self.relpath_for(record["sha256"]), record["size"], record["meta"])

    def put_copy(self, src: Path) -> StoredMedia:
        """Copy ``src`` into the store as ``<sha[:2]>/<sha><ext>`` (its own extension when the
        store knows the type, else ``.bin``), atomically; a file already there is kept."""
        ext = src.suffix.lower() if src.suffix.lower() in MIME_TYPES else ".bin"
        sha = file_sha256(src)
        final = self.path_for(sha, ext)
        if not final.exists():
            with atomic_path(final) as tmp, src.open("rb") as fin, tmp.open("wb") as fout:
                for chunk in iter(lambda: fin.read(_CHUNK), b""):
                    fout.write(chunk)
        return StoredMedia(sha, final, self.relpath_for(sha, ext), final.stat().st_size, {})

    def put(self, tmp_file: Path, meta: dict[str, Any], cache_key: str | None = None) -> StoredMedia:
        """Move a finished file into the store (consuming ``tmp_file``) and index it under ``cache_key``."""
        sha = file_sha256(tmp_file)
        final = self.path_for(sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            tmp_file.unlink()
        else:
            tmp_file.chmod(0o644)
            os.replace(tmp_file, final)
        size = final.stat().st_size
        if cache_key:
            record = {"sha256": sha, "size": size, "meta": meta}
            atomic_write_bytes(self._key_path(cache_key), json.dumps(record, ensure_ascii=False).encode())
        return StoredMedia(sha, final, self.relpath_for(sha), size, meta)
