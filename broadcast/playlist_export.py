"""Export: the files a stored version becomes (JSON manifest, M3U8, XSPF, by
``broadcast.playlist_files``), written once the caller commits, and the housekeeping around them.

Files are written only from committed rows. A caller that dies between its commit and the files
(or a version whose files were removed, or a new ``--out``) leaves files naming a version other
than the committed one: the next generation rewrites those from the stored copy, and first sweeps
the ``.tmp`` files dead writers left behind. A plain-folder export also puts the media files into
``<out>/media`` so agents can read it without the API: linked from the media folder, or, when media
is on S3 (``media_url``), downloaded from the bucket, since this machine's folder is only a cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast.batches import chunks
from broadcast.media import MediaStoreDown, media_backend
from broadcast.models import MediaFile
from broadcast.playlist_files import PlaylistPaths, folder_manifest, playlist_file_bytes
from broadcast.playlist_store import stored_manifest
from broadcast.staged_files import stage_files
from loa.config import Settings
from pipeline.storage import MediaBackend, StorageMissing, StorageUnavailable

log = logging.getLogger(__name__)


class FolderExport:
    """Media for a plain-folder export: each file placed once into ``<out>/media``, whole or not at
    all (written beside its final name, then renamed). ``backend``: where media lives; without one,
    or with the local folder, files are linked (or copied) from ``media_dir``; from a remote store
    (S3) they are downloaded through it and checked against their content address."""

    def __init__(self, out: Path, media_dir: Path, backend: MediaBackend | None = None) -> None:
        self.dir = out / "media"
        self.media_dir = media_dir
        self.backend = backend
        self.names: dict[str, str] = {}

    @classmethod
    def for_settings(cls, out: Path, settings: Settings) -> FolderExport:
        """The export for the store ``media_url`` names (the bucket, when media is on S3)."""
        return cls(out, settings.media_dir, media_backend(settings))

    def names_for(self, session: Session, manifest: dict[str, Any]) -> dict[str, str]:
        shas = {it["sha256"] for it in manifest["items"] if it.get("sha256")}
        todo = sorted(shas - self.names.keys())
        for part in chunks(todo):
            for sha, path in session.execute(
                select(MediaFile.sha256, MediaFile.path).where(MediaFile.sha256.in_(part))
            ):
                name = sha + (Path(path).suffix or ".mp3")
                if self._place(sha, path, self.dir / name):
                    self.names[sha] = name
        return {sha: self.names[sha] for sha in shas if sha in self.names}

    def _place(self, sha: str, relpath: str, dst: Path) -> bool:
        if dst.exists():
            return True
        remote = self.backend is not None and self.backend.local_path(relpath) is None
        src = self.media_dir / relpath
        if not remote and not src.is_file():
            log.error("plain folder: media file missing: %s", src)
            return False
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")  # the name sweep_temp_files knows
        try:
            if remote:
                if not self._download(sha, relpath, tmp):
                    return False
            else:
                try:
                    os.link(src, tmp)  # same filesystem: no copy
                except OSError:
                    shutil.copyfile(src, tmp)
            os.replace(tmp, dst)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        return True

    def _download(self, sha: str, relpath: str, tmp: Path) -> bool:
        """The object into ``tmp``; False (logged) if the store has no such object or its bytes are
        not the ones its name promises. A store that cannot be reached stops the export."""
        assert self.backend is not None
        digest = hashlib.sha256()
        try:
            body = self.backend.open(relpath)
            with tmp.open("wb") as fh:
                for chunk in body.chunks:
                    digest.update(chunk)
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
        except StorageMissing:
            log.error("plain folder: media object missing from the store: %s", relpath)
            return False
        except StorageUnavailable as exc:
            raise MediaStoreDown("Kho tệp âm thanh chưa sẵn sàng, hãy thử lại sau: %(e)s", e=str(exc)) from exc
        if digest.hexdigest() != sha:
            log.error("plain folder: media object %s does not match its content address; skipped", relpath)
            return False
        tmp.chmod(0o644)
        return True


def export_version(
    session: Session,
    out: Path,
    paths: PlaylistPaths,
    manifest: dict[str, Any],
    canonical: bytes | None,
    *,
    changed: bool,
    committed: tuple[int, int] | None,
    folder: FolderExport | None,
    tracks: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Have the files of a station's day written after the caller commits, if they need to be;
    returns the manifest they hold. ``committed``: (playlist id, version) of the stored latest
    version, when ``changed`` is False (what airs is unchanged, so nothing new is stored).
    ``tracks``: the manifest's M3U8 and XSPF track sections, if the caller has them."""
    if not changed and committed is not None and file_version(paths.json) != committed[1]:
        # Unchanged, but not in this folder yet (new --out, files removed) or the file names a
        # version the database never committed (a run killed or rolled back): the stored copy.
        stored = stored_manifest(session, committed[0])
        manifest = stored if stored is not None else manifest
        canonical = tracks = None
    if changed or canonical is None:
        # Files only from committed rows: written now under temporary names, renamed once the
        # caller commits, removed on rollback. Its folder is made now, so a station whose folder
        # cannot be fails in the transaction.
        paths.json.parent.mkdir(parents=True, exist_ok=True)
        if folder is not None:
            exported = folder_manifest(manifest, folder.names_for(session, manifest))
            stage_files(session, partial(playlist_file_bytes, exported, paths))
        else:
            stage_files(session, partial(playlist_file_bytes, manifest, paths, canonical, tracks))
    return manifest


def file_version(path: Path) -> int | None:
    """The version a manifest file names, read from its first bytes (``manifest_json`` writes the
    version first), or None if there is no readable file."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError:
        return None
    prefix = b'{"version":'
    if not head.startswith(prefix):
        return None
    digits = head[len(prefix) :].split(b",", 1)[0]
    return int(digits) if digits.isdigit() else None


def sweep_temp_files(out: Path, codes: Iterable[str]) -> int:
    """Remove ``.tmp`` files a killed writer left in the stations' folders (and ``<out>/media``);
    returns how many. Temporary names carry their writer's process id: the files of a live
    process (this one included: it may have staged files for a transaction not yet committed,
    ``broadcast.staged_files``) are left alone."""
    removed = 0
    folders = [out / "media", *(out / c for c in codes if c and "/" not in c and "\\" not in c)]
    for folder in folders:
        try:
            names = [e.name for e in os.scandir(folder) if e.name.startswith(".") and e.name.endswith(".tmp")]
        except (FileNotFoundError, NotADirectoryError):
            continue
        for name in names:
            parts = name.split(".")  # .NAME.PID.SEQ.tmp (files) or .NAME.PID.tmp (media)
            pid = parts[-3] if len(parts) > 3 and parts[-3].isdigit() else parts[-2]
            if pid.isdigit() and (int(pid) == os.getpid() or _alive(int(pid))):
                continue  # a live process is writing it, or waits for its commit to rename it
            with contextlib.suppress(FileNotFoundError):
                (folder / name).unlink()
                removed += 1
    if removed:
        log.warning("removed %d temporary files left by an interrupted generation in %s", removed, out)
    return removed


def _alive(pid: int) -> bool:
    if os.name != "posix":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
