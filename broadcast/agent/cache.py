"""The agent's local cache: manifests by day and media by sha256, written so a crash never leaves a
half-file where a good one is expected.

Media arrive in ``<sha256>.part``; a broken download resumes from the part's size (HTTP Range). Only a
file whose sha256 matches is moved into place (``os.replace``), so anything under its final name has
been verified and may be aired.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import requests
import urllib3

from broadcast.agent.manifest import Manifest, ManifestError, parse_manifest
from pipeline.store import atomic_write_bytes as atomic_write
from pipeline.store import file_sha256

log = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024


class DownloadError(RuntimeError):
    """A media download did not complete; what was received is kept for resuming."""


class ChecksumMismatch(DownloadError):
    """The bytes received do not hash to the expected sha256; they were deleted."""


@dataclass(frozen=True)
class CachedManifest:
    manifest: Manifest
    etag: str | None
    url: str


class Cache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.media_dir = root / "media"
        self.manifest_dir = root / "manifests"
        self.media_dir.mkdir(parents=True, exist_ok=True)
        self.manifest_dir.mkdir(parents=True, exist_ok=True)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # --- media -------------------------------------------------------------------------
    def media_path(self, sha256: str) -> Path:
        return self.media_dir / f"{sha256}.mp3"

    def part_path(self, sha256: str) -> Path:
        return self.media_dir / f"{sha256}.part"

    def available(self) -> set[str]:
        return {p.stem for p in self.media_dir.glob("*.mp3")}

    def download(
        self, http: requests.Session, url: str, sha256: str, size: int, *, timeout: float = 30.0
    ) -> Path:
        """Fetch ``url`` into the cache, resuming a previous partial download; verify, then move into place.
        Safe to call from several threads: one file is fetched by one thread at a time."""
        with self._locks_guard:
            lock = self._locks.setdefault(sha256, threading.Lock())
        with lock:
            return self._download(http, url, sha256, size, timeout)

    def _download(self, http: requests.Session, url: str, sha256: str, size: int, timeout: float) -> Path:
        final = self.media_path(sha256)
        if final.exists():
            return final
        part = self.part_path(sha256)
        offset = part.stat().st_size if part.exists() else 0
        if size and offset > size:
            part.unlink()
            offset = 0
        if not size or offset < size:
            self._receive(http, url, part, offset, timeout)
        actual = file_sha256(part)
        if actual != sha256:
            part.unlink(missing_ok=True)
            raise ChecksumMismatch(
                f"tệp tải về từ {url} có sha256 {actual}, cần {sha256}: đã xoá, sẽ tải lại"
            )
        os.replace(part, final)
        return final

    @staticmethod
    def _receive(http: requests.Session, url: str, part: Path, offset: int, timeout: float) -> None:
        headers = {"Accept-Encoding": "identity"}  # byte ranges and the checksum are about raw bytes
        if offset:
            headers["Range"] = f"bytes={offset}-"
        with http.get(url, headers=headers, stream=True, timeout=timeout) as resp:
            if resp.status_code == 416 and offset:
                return  # we already hold every byte; the checksum decides
            if resp.status_code == 206:
                content_range = resp.headers.get("Content-Range", "")
                if not content_range.startswith(f"bytes {offset}-"):
                    raise DownloadError(f"{url}: máy chủ trả về đoạn không khớp ({content_range!r})")
                mode = "ab"
            elif resp.status_code == 200:
                mode = "wb"  # the server ignored Range: start over
            else:
                raise DownloadError(f"{url}: HTTP {resp.status_code}")
            if offset and mode == "ab":
                log.info("tiếp tục tải %s từ byte %d", url, offset)
            with part.open(mode) as fh:
                try:
                    # read1 hands over whatever arrived, so a dropped link loses nothing already received
                    while block := resp.raw.read1(CHUNK_BYTES):
                        fh.write(block)
                except urllib3.exceptions.HTTPError as exc:
                    raise requests.ConnectionError(f"{url}: kết nối bị ngắt ({exc})") from exc
                finally:
                    fh.flush()
                    os.fsync(fh.fileno())

    # --- manifests ---------------------------------------------------------------------
    def _manifest_file(self, day: date) -> Path:
        return self.manifest_dir / f"{day.isoformat()}.json"

    def save_manifest(self, day: date, body: bytes, etag: str | None, url: str) -> None:
        wrapper = {"etag": etag, "url": url, "manifest": json.loads(body)}
        atomic_write(self._manifest_file(day), json.dumps(wrapper, ensure_ascii=False).encode("utf-8"))

    def load_manifest(self, day: date, station: str) -> CachedManifest | None:
        path = self._manifest_file(day)
        if not path.exists():
            return None
        try:
            wrapper = json.loads(path.read_bytes())
            manifest = parse_manifest(wrapper["manifest"], station=station, day=day)
        except (ValueError, KeyError, TypeError, ManifestError) as exc:
            log.error("bỏ qua lịch phát lưu tạm hỏng %s: %s", path, exc)
            return None
        return CachedManifest(manifest, wrapper.get("etag"), str(wrapper.get("url") or ""))

    def manifest_days(self) -> list[date]:
        days = []
        for p in self.manifest_dir.glob("*.json"):
            try:
                days.append(date.fromisoformat(p.stem))
            except ValueError:
                continue
        return sorted(days)

    # --- pruning -----------------------------------------------------------------------
    def prune(self, oldest_kept: date, station: str) -> list[Path]:
        """Drop manifests before ``oldest_kept`` and media no kept manifest refers to."""
        removed: list[Path] = []
        keep: set[str] = set()
        for day in self.manifest_days():
            if day < oldest_kept:
                path = self._manifest_file(day)
                path.unlink(missing_ok=True)
                removed.append(path)
                continue
            cached = self.load_manifest(day, station)
            if cached is not None:
                keep.update(it.sha256 for it in cached.manifest.items if it.sha256)
        for path in list(self.media_dir.glob("*.mp3")) + list(self.media_dir.glob("*.part")):
            if path.stem not in keep:
                try:
                    path.unlink(missing_ok=True)
                except OSError as exc:  # e.g. Windows: still open; try again at the next prune
                    log.warning("chưa xoá được %s: %s", path, exc)
                    continue
                removed.append(path)
        return removed
