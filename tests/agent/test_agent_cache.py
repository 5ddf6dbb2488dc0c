"""Media cache against a real HTTP server: resume, verification, atomic placement, pruning."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
import requests

from broadcast.agent.cache import Cache, ChecksumMismatch, file_sha256
from tests.agent.helpers import StationServer, Tone, make_item, make_manifest


def test_a_broken_download_resumes_with_range_and_verifies(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    tone = tones["long"]
    server.add_media(tone)
    server.cut_after[tone.sha256] = 10_000  # the link drops after 10 kB
    cache = Cache(cache_dir)
    url = f"{server.url}/api/v1/media/{tone.sha256}"
    http = requests.Session()
    with pytest.raises(requests.RequestException):
        cache.download(http, url, tone.sha256, len(tone.data))
    assert cache.part_path(tone.sha256).stat().st_size == 10_000
    assert not cache.media_path(tone.sha256).exists()  # nothing unverified under the final name

    path = cache.download(http, url, tone.sha256, len(tone.data))
    gets = server.requests_for(tone.sha256)
    assert [g[2].get("Range") for g in gets] == [None, "bytes=10000-"]
    assert path.read_bytes() == tone.data and file_sha256(path) == tone.sha256
    assert not cache.part_path(tone.sha256).exists()
    assert cache.available() == {tone.sha256}


def test_wrong_bytes_are_deleted_not_cached(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    tone = tones["b"]
    server.add_media(tone)
    server.wrong[tone.sha256] = tones["c"].data
    cache = Cache(cache_dir)
    with pytest.raises(ChecksumMismatch, match="sha256"):
        cache.download(requests.Session(), f"{server.url}/api/v1/media/{tone.sha256}", tone.sha256, 0)
    assert not cache.part_path(tone.sha256).exists() and not cache.media_path(tone.sha256).exists()
    assert cache.available() == set()


def test_a_server_that_ignores_range_restarts_the_file(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    tone = tones["b"]
    server.add_media(tone)
    cache = Cache(cache_dir)
    cache.part_path(tone.sha256).write_bytes(b"garbage that is not the start of the file")

    class NoRange(requests.Session):
        def get(self, url, **kw):  # type: ignore[no-untyped-def, override]
            kw.get("headers", {}).pop("Range", None)  # a server without Range support answers 200
            return super().get(url, **kw)

    cache.download(NoRange(), f"{server.url}/api/v1/media/{tone.sha256}", tone.sha256, len(tone.data))
    assert cache.media_path(tone.sha256).read_bytes() == tone.data


def test_a_corrupt_partial_file_is_caught_at_the_end_and_refetched(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    tone = tones["b"]
    server.add_media(tone)
    cache = Cache(cache_dir)
    cache.part_path(tone.sha256).write_bytes(b"\0" * 100)  # wrong first 100 bytes; resume appends the rest
    url = f"{server.url}/api/v1/media/{tone.sha256}"
    with pytest.raises(ChecksumMismatch):
        cache.download(requests.Session(), url, tone.sha256, len(tone.data))
    cache.download(requests.Session(), url, tone.sha256, len(tone.data))
    assert file_sha256(cache.media_path(tone.sha256)) == tone.sha256


def test_prune_keeps_recent_manifests_and_their_media(tones: dict[str, Tone], cache_dir: Path) -> None:
    cache = Cache(cache_dir)
    old = make_manifest("XA", "2026-11-20", 1, [make_item(_t("2026-11-20"), tones["a"], "cũ")])
    new = make_manifest("XA", "2026-11-26", 1, [make_item(_t("2026-11-26"), tones["b"], "mới")])
    for m in (old, new):
        cache.save_manifest(date.fromisoformat(m["date"]), json.dumps(m).encode(), None, "http://x/")
    for tone in (tones["a"], tones["b"]):
        cache.media_path(tone.sha256).write_bytes(tone.data)
    cache.part_path("f" * 64).write_bytes(b"stale")
    cache.prune(date(2026, 11, 24), "XA")
    assert cache.manifest_days() == [date(2026, 11, 26)]
    assert cache.available() == {tones["b"].sha256}
    assert not cache.part_path("f" * 64).exists()


def _t(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T05:30:00+07:00")
