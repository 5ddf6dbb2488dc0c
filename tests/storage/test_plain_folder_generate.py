"""End to end (needs broadcast/generate.py to build its export with FolderExport.for_settings):
`generate_playlists(plain_folder=True)` with media on S3 puts the bucket's file into <out>/media."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from broadcast import stations
from broadcast.db import init_db, session_factory, session_scope
from broadcast.generate import generate_playlists
from broadcast.media import media_backend
from broadcast.models import MediaFile
from tests.scheduler.seed import approved_bulletin

from .conftest import CSV
from .test_plain_folder_s3 import _settings

DAY = date(2026, 12, 2)
#: The night before DAY: the whole day is still to come, whatever the clock says when the test runs.
NIGHT = datetime(2026, 12, 1, 23, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def test_generate_plain_folder_with_media_on_s3(tmp_path: Path, bucket: str, moto_url: str) -> None:
    settings = _settings(tmp_path, moto_url)
    factory = session_factory(init_db(settings.db_url))
    with session_scope(factory) as s:
        stations.import_stations(s, stations.parse_stations_csv(CSV.read_text("utf-8")))
        b = approved_bulletin(s, settings, "Cắt điện", valid_from=DAY, valid_to=DAY, station_codes=["hiep-an"])
        mf = s.get(MediaFile, b.media_sha256)
        assert mf is not None
        sha, rel = mf.sha256, mf.path
        data = (settings.media_dir / rel).read_bytes()
        media_backend(settings).put_file(settings.media_dir / rel, rel, "audio/mpeg")
    (settings.media_dir / rel).unlink()  # on the bucket only, as on a server that did not render it
    out = tmp_path / "usb"
    with session_scope(factory) as s:
        generate_playlists(s, settings, [DAY], ["hiep-an"], out, plain_folder=True, now=NIGHT)
    manifest = json.loads((out / "hiep-an" / f"{DAY.isoformat()}.json").read_text("utf-8"))
    assert any(it.get("url") == f"../media/{sha}.mp3" for it in manifest["items"]), manifest["items"]
    assert (out / "media" / f"{sha}.mp3").read_bytes() == data
