"""ID3v2.4 tags written with mutagen and read back with mutagen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from pipeline.audio import read_tags, write_tags
from pipeline.audio.ffmpeg import Mp3Encoder

TAGS = {
    "title": "Thông báo lịch tiêm phòng cho trâu bò",
    "issuer": "UBND xã Hiệp Thạnh",
    "category": "Thông báo",
    "date": "2026-11-26",
    "LOA_SOURCE_SHA256": "ab" * 32,
    "LOA_ENGINE": "piper",
    "LOA_VOICE": "vi_VN-vais1000-medium",
    "LOA_LOUDNESS_LUFS": "-16.0",
    "LOA_TRUE_PEAK_DBTP": "-1.8",
    "LOA_CACHE_KEY": "c0ffee",
}


@pytest.fixture
def mp3(tmp_path: Path) -> Path:
    dest = tmp_path / "a.mp3"
    encoder = Mp3Encoder(dest, 44_100, 64)
    encoder.write(np.zeros(44_100, np.float32))
    encoder.close()
    return dest


def test_encoder_writes_untagged_mp3(mp3: Path) -> None:
    with pytest.raises(Exception, match="ID3"):
        ID3(mp3)
    info = MP3(mp3).info
    assert info is not None
    assert info.sample_rate == 44_100 and info.channels == 1
    assert info.bitrate == pytest.approx(64_000, abs=100)


def test_round_trip_as_id3v24(mp3: Path) -> None:
    write_tags(mp3, TAGS)
    id3 = ID3(mp3)
    assert id3.version == (2, 4, 0)
    assert str(id3["TIT2"]) == TAGS["title"]
    assert str(id3["TPE1"]) == str(id3["TPUB"]) == TAGS["issuer"]
    assert str(id3["TALB"]) == str(id3["TCON"]) == TAGS["category"]
    assert str(id3["TDRC"]) == "2026-11-26"
    assert str(id3["TLAN"]) == "vie"
    assert str(id3["TXXX:LOA_SOURCE_SHA256"]) == "ab" * 32
    assert str(id3["TXXX:LOA_LOUDNESS_LUFS"]) == "-16.0"
    back = read_tags(mp3)
    assert back == {**TAGS, "language": "vie"}
    info = MP3(mp3).info
    assert info is not None and info.length == pytest.approx(1.0, abs=0.1)  # audio untouched


def test_rewriting_replaces_old_tags(mp3: Path) -> None:
    write_tags(mp3, TAGS)
    write_tags(mp3, {"title": "Bản tin mới", "loa_engine": "espeak"})
    back = read_tags(mp3)
    assert back == {"title": "Bản tin mới", "language": "vie", "LOA_ENGINE": "espeak"}
