"""One writer puts files into the media store with their real type; the API serves that type."""

from __future__ import annotations

from pathlib import Path

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
