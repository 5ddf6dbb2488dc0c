"""One writer puts files into the media store with their real type; the API serves that type."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from broadcast import generate
from broadcast.media import store_file
from broadcast.models import MediaFile
from loa import config

from .conftest import Env

JINGLE = Path(__file__).resolve().parents[3] / "media" / "jingles" / "station-id.ogg"


def test_the_ogg_station_jingle_is_served_as_ogg(env: Env) -> None:
    settings = config.load(env={"LOA_DATA_DIR": str(env.settings.data_dir)}, station_id_jingle="station-id.ogg")
    with env.session() as s:
        jingle = generate.station_jingle(s, settings)
        assert jingle is not None
        sha = jingle.media.sha256
    resp = env.client.get(f"/api/v1/media/{sha}")
    assert resp.status_code == 200 and resp.mimetype == "audio/ogg"
    assert resp.data == JINGLE.read_bytes()


def test_store_file_records_the_real_type_once(env: Env, tmp_path: Path) -> None:
    wav = tmp_path / "ghi-am.WAV"
    wav.write_bytes(b"RIFF" + b"\x00" * 100)
    with env.session() as s:
        first = store_file(s, wav, env.settings.media_dir, meta={"kind": "upload"})
        again = store_file(s, wav, env.settings.media_dir, meta={"kind": "other"})
        assert first is again and first.mime == "audio/wav" and first.path.endswith(".wav")
        assert s.get(MediaFile, first.sha256) is first and first.meta == {"kind": "upload"}
        sha = first.sha256
    resp = env.client.get(f"/api/v1/media/{sha}")
    assert resp.status_code == 200 and resp.mimetype == "audio/wav"
    assert env.client.get("/api/v1/media/" + "0" * 64).status_code == 404


def test_the_same_file_stored_by_two_renders_at_once_keeps_one_row(env: Env, tmp_path: Path) -> None:
    """Two renders of one text make one file: the second to look found nothing, the first then
    committed its row, and the second's insert must take that row, not fail (CI's render #2)."""
    mp3 = tmp_path / "ban-tin.mp3"
    mp3.write_bytes(b"ID3" + b"\x01" * 200)
    with env.session() as late:
        real_get = late.get
        looked: list[str] = []

        def get_before_the_other_commits(entity: Any, key: Any, **kw: Any) -> Any:
            if entity is not MediaFile or kw.get("populate_existing"):
                return real_get(entity, key, **kw)
            if not looked:
                with env.session() as first:  # the other render wins the race meanwhile
                    store_file(first, mp3, env.settings.media_dir, duration_s=1.5, meta={"by": "first"})
            looked.append(key)
            return None  # what this session saw before the other committed

        late.get = get_before_the_other_commits  # type: ignore[method-assign]
        row = store_file(late, mp3, env.settings.media_dir, duration_s=1.5, meta={"by": "second"})
        assert set(looked) == {row.sha256} and row.meta == {"by": "first"} and row.duration_s == 1.5
    with env.session() as s:
        assert s.query(MediaFile).filter_by(sha256=row.sha256).count() == 1


def test_renders_storing_one_file_on_threads_all_succeed(env: Env, tmp_path: Path) -> None:
    mp3 = tmp_path / "ban-tin.mp3"
    mp3.write_bytes(b"ID3" + b"\x02" * 200)
    start = threading.Barrier(4)

    def render(_: int) -> str:
        start.wait()
        with env.session() as s:
            return store_file(s, mp3, env.settings.media_dir, meta={"kind": "render"}).sha256

    with ThreadPoolExecutor(4) as pool:
        shas = set(pool.map(render, range(4)))
    with env.session() as s:
        assert len(shas) == 1 and s.query(MediaFile).count() == 1
