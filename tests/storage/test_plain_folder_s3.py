"""A plain-folder export (``loa playlist generate --plain-folder``) with media on S3 (moto on loopback):
the files come from the bucket, through the storage backend, since this machine's media folder is
only a cache of it. Each lands whole or not at all; a missing or corrupt object is skipped; a store
that is down stops the export with a Vietnamese message."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import boto3
import pytest
from sqlalchemy.orm import Session, sessionmaker

from broadcast.db import init_db, session_factory, session_scope
from broadcast.media import MediaStoreDown, media_backend, store_file
from broadcast.playlist_export import FolderExport
from loa import config

from .conftest import BUCKET, free_port

AUDIO = b"ID3\x04\x00" + bytes(range(256)) * 400  # ~100 kB: several chunks of the download


def _settings(tmp: Path, endpoint: str) -> config.Settings:
    env = {"LOA_DATA_DIR": str(tmp / "data"), "LOA_MEDIA_URL": f"s3://{BUCKET}/district",
           "LOA_S3_ENDPOINT_URL": endpoint, "LOA_S3_TIMEOUT_S": "2"}
    if os.environ.get("LOA_DATABASE_URL"):  # the PostgreSQL run (tests/conftest.py)
        env["LOA_DATABASE_URL"] = os.environ["LOA_DATABASE_URL"]
    return config.load(env=env)


def _stored_in_bucket_only(settings: config.Settings, tmp: Path) -> tuple[sessionmaker[Session], str, str]:
    """A media file recorded and uploaded to the bucket, then gone from this machine's folder (as on
    a server that did not render it). Returns the session factory, its sha256 and relpath."""
    factory = session_factory(init_db(settings.db_url))
    src = tmp / "render.mp3"
    src.write_bytes(AUDIO)
    with session_scope(factory) as s:
        mf = store_file(s, src, settings.media_dir, backend=media_backend(settings))
        sha, relpath = mf.sha256, mf.path
    (settings.media_dir / relpath).unlink()
    return factory, sha, relpath


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".*")) if folder.exists() else []


def test_plain_folder_media_come_from_the_bucket(tmp_path: Path, bucket: str, moto_url: str) -> None:
    settings = _settings(tmp_path, moto_url)
    factory, sha, _relpath = _stored_in_bucket_only(settings, tmp_path)
    out = tmp_path / "usb"
    export = FolderExport.for_settings(out, settings)
    with session_scope(factory) as s:
        names = export.names_for(s, {"items": [{"sha256": sha}, {"url": "http://stream/VOV1"}]})
    assert names == {sha: f"{sha}.mp3"}
    placed = out / "media" / f"{sha}.mp3"
    assert placed.read_bytes() == AUDIO and hashlib.sha256(placed.read_bytes()).hexdigest() == sha
    assert placed.stat().st_mode & 0o777 == 0o644 and _leftovers(out / "media") == []
    # the local folder is no help here: the old code looked only there and found nothing
    assert not (settings.media_dir / _relpath).exists()
    with session_scope(factory) as s:  # placed once: a second station's manifest reuses it
        assert FolderExport.for_settings(out, settings).names_for(s, {"items": [{"sha256": sha}]}) == names


def test_a_missing_or_corrupt_object_is_skipped_and_leaves_no_file(
    tmp_path: Path, bucket: str, moto_url: str
) -> None:
    settings = _settings(tmp_path, moto_url)
    factory, sha, relpath = _stored_in_bucket_only(settings, tmp_path)
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    s3.put_object(Bucket=bucket, Key=f"district/{relpath}", Body=AUDIO[:-10])  # truncated upload
    out = tmp_path / "usb"
    with session_scope(factory) as s:
        assert FolderExport.for_settings(out, settings).names_for(s, {"items": [{"sha256": sha}]}) == {}
    assert list((out / "media").iterdir()) == []
    s3.delete_object(Bucket=bucket, Key=f"district/{relpath}")
    with session_scope(factory) as s:
        assert FolderExport.for_settings(out, settings).names_for(s, {"items": [{"sha256": sha}]}) == {}
    assert list((out / "media").iterdir()) == []


def test_a_store_that_is_down_stops_the_export_in_vietnamese(tmp_path: Path, bucket: str, moto_url: str) -> None:
    settings = _settings(tmp_path, moto_url)
    factory, sha, _relpath = _stored_in_bucket_only(settings, tmp_path)
    down = _settings(tmp_path, f"http://127.0.0.1:{free_port()}")
    out = tmp_path / "usb"
    with session_scope(factory) as s, pytest.raises(MediaStoreDown, match="Kho tệp âm thanh chưa sẵn sàng"):
        FolderExport.for_settings(out, down).names_for(s, {"items": [{"sha256": sha}]})
    assert list((out / "media").iterdir()) == []


def test_a_local_store_still_links_from_the_media_folder(tmp_path: Path) -> None:
    settings = config.load()  # no media_url: the media folder (tests/conftest.py sets the data folder)
    factory = session_factory(init_db(settings.db_url))
    src = tmp_path / "render.mp3"
    src.write_bytes(AUDIO)
    with session_scope(factory) as s:
        mf = store_file(s, src, settings.media_dir, backend=media_backend(settings))
        sha, relpath = mf.sha256, mf.path
        out = tmp_path / "usb"
        assert FolderExport.for_settings(out, settings).names_for(s, {"items": [{"sha256": sha}]}) == {
            sha: f"{sha}.mp3"}
    placed = out / "media" / f"{sha}.mp3"
    assert os.path.samefile(placed, settings.media_dir / relpath)  # a hard link, no copy
