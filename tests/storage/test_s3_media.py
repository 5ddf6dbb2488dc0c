"""Media in S3 (moto on loopback): a render goes to the bucket, agents fetch it through the API,
streamed or redirected to a presigned URL, and verify it; a missing object is a 404; a store that
is down is a 503 to retry, never a 500."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date
from pathlib import Path

import boto3
import pytest
import requests

from broadcast import bulletins as bl
from broadcast import rendering
from broadcast.agent.cache import Cache
from broadcast.db import session_scope
from broadcast.media import local_copy, media_backend
from broadcast.models import MediaFile
from pipeline.storage import StorageMissing, StorageUnavailable, parse_range, parse_s3_url

from .conftest import BUCKET, Live, free_port, live_app, s3_settings


def _render(live: Live) -> MediaFile:
    with session_scope(live.app.extensions["loa_sessions"]) as s:
        b = bl.create_bulletin(
            s, title="Cắt điện", body="Thông báo: sáng mai cắt điện từ 7 giờ đến 9 giờ.",
            valid_from=date(2026, 12, 1), valid_to=date(2026, 12, 2), actor="e", station_codes=["hiep-an"],
            settings=live.settings,
        )  # fmt: skip
        mf = rendering.render_bulletin(s, b, live.settings)
        s.expunge(mf)
    return mf


def _object(moto_url: str, key: str) -> bytes:
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    return bytes(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def test_a_render_is_stored_in_s3_and_an_agent_downloads_and_verifies_it(
    live: Live, moto_url: str, tmp_path: Path
) -> None:
    mf = _render(live)
    stored = _object(moto_url, f"district/{mf.path}")  # content-addressed key under the prefix
    assert hashlib.sha256(stored).hexdigest() == mf.sha256 and len(stored) == mf.size
    (live.settings.media_dir / mf.path).unlink()  # served from the bucket, not from this disk
    url = f"{live.url}/api/v1/media/{mf.sha256}"
    path = Cache(tmp_path / "agent").download(requests.Session(), url, mf.sha256, mf.size)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == mf.sha256
    head = requests.get(url, headers={"Range": "bytes=0-9"}, timeout=5)
    assert head.status_code == 206 and head.content == stored[:10]
    assert head.headers["Content-Range"] == f"bytes 0-9/{mf.size}"
    assert requests.get(url, headers={"If-None-Match": f'"{mf.sha256}"'}, timeout=5).status_code == 304


def test_with_presigning_the_api_redirects_and_the_agent_follows(
    tmp_path: Path, bucket: str, moto_url: str
) -> None:
    settings = s3_settings(tmp_path, moto_url, media_presign_s=600)
    app, _token, server = live_app(settings)
    live = Live(app, f"http://127.0.0.1:{server.server_port}", settings, "")
    try:
        mf = _render(live)
        url = f"{live.url}/api/v1/media/{mf.sha256}"
        first = requests.get(url, allow_redirects=False, timeout=5)
        assert first.status_code == 302 and first.headers["Location"].startswith(moto_url)
        assert "X-Amz-Signature" in first.headers["Location"]
        path = Cache(tmp_path / "agent").download(requests.Session(), url, mf.sha256, mf.size)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == mf.sha256
    finally:
        server.shutdown()


def test_a_missing_object_is_a_clear_404(live: Live) -> None:
    resp = requests.get(f"{live.url}/api/v1/media/{'ab' * 32}", timeout=5)
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"


def test_s3_down_is_a_503_to_retry_never_a_500(tmp_path: Path, bucket: str) -> None:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = s3_settings(tmp_path, dead, s3_timeout_s=0.5)
    app, _token, server = live_app(settings)
    try:
        resp = requests.get(f"http://127.0.0.1:{server.server_port}/api/v1/media/{'cd' * 32}", timeout=20)
        assert resp.status_code == 503 and resp.headers["Retry-After"]
        assert resp.json()["code"] == "storage_unavailable"
        # and a render cannot be recorded: the bulletin says why, nothing half-written
        live = Live(app, "", settings, "")
        with pytest.raises(rendering.RenderFailed, match="Kho tệp âm thanh chưa sẵn sàng"):
            _render(live)
        with session_scope(app.extensions["loa_sessions"]) as s:
            assert s.query(MediaFile).count() == 0
    finally:
        server.shutdown()


def test_a_missing_bucket_or_endpoint_is_unavailable_not_missing(live: Live) -> None:
    # NoSuchBucket is the operator's to fix: agents are told to retry, not that the file is gone
    backend = media_backend(replace(live.settings, media_url="s3://no-such-bucket/x"))
    with pytest.raises(StorageUnavailable, match="NoSuchBucket"):
        backend.open("ab/" + "ab" * 32 + ".mp3")
    with pytest.raises(StorageMissing):
        media_backend(live.settings).open("ab/" + "ab" * 32 + ".mp3")
    with pytest.raises(StorageUnavailable):
        media_backend(replace(live.settings, s3_endpoint_url="http://127.0.0.1:1", s3_timeout_s=0.3)).open("x")


def test_a_recording_stored_by_another_machine_is_fetched_to_render(live: Live, tmp_path: Path) -> None:
    wav = tmp_path / "ghi-am.wav"
    wav.write_bytes(b"RIFF" + b"\x01" * 64)
    with session_scope(live.app.extensions["loa_sessions"]) as s:
        upload = bl.store_upload(s, wav, live.settings.media_dir, 1.0, live.settings)
        rel, sha = upload.path, upload.sha256
    (live.settings.media_dir / rel).unlink()  # this machine never had it
    path = local_copy(live.settings, rel)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha


def test_the_s3_address_and_ranges_are_parsed_strictly() -> None:
    assert parse_s3_url("s3://b/p/q/") == parse_s3_url("s3://b/p/q")
    assert parse_s3_url("s3://b").key("ab/x.mp3") == "ab/x.mp3"
    with pytest.raises(ValueError):
        parse_s3_url("http://b/p")
    assert parse_range("bytes=5-", 10) == (5, 9) and parse_range("bytes=-3", 10) == (7, 9)
    for bad in ("bytes=9-2", "bytes=20-", "items=0-1", "bytes=0-1,3-4"):
        with pytest.raises(ValueError):
            parse_range(bad, 10)
