"""Uploaded recordings: every format ffmpeg reads decodes; every kind of bad file is refused clearly."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from loa.config import Settings
from pipeline.audio import decode_file
from pipeline.audio.decode import wav_is_truncated
from pipeline.types import PipelineError
from tests.audio.helpers import read_wav, transcode, write_wav
from tests.conftest import SPEECH

WAV16 = SPEECH / "vi-speech-01.wav"  # 16 kHz, 6.9 s
WAV8 = SPEECH / "vi-speech-08.wav"  # 8 kHz telephone, 2.8 s


def decoded(path: Path, settings: Settings) -> tuple[np.ndarray, int]:
    blocks, rate = decode_file(path, settings.max_recording_s)
    return np.concatenate(list(blocks)), rate


@pytest.mark.parametrize(("suffix", "args"), [
    (".wav", []), (".mp3", ["-c:a", "libmp3lame", "-b:a", "48k"]), (".m4a", ["-c:a", "aac"]),
    (".ogg", ["-c:a", "libvorbis"]), (".flac", []), (".opus", ["-c:a", "libopus"]),
])
@pytest.mark.parametrize("source", [WAV16, WAV8], ids=["16k", "8k"])
def test_decodes_common_formats(source: Path, suffix: str, args: list[str], tmp_path: Path,
                                settings: Settings) -> None:
    path = transcode(source, tmp_path / f"rec{suffix}", *args)
    x, rate = decoded(path, settings)
    ref, ref_rate = read_wav(source)
    assert x.dtype == np.float32 and x.ndim == 1
    assert len(x) / rate == pytest.approx(len(ref) / ref_rate, abs=0.1)
    assert 0.05 < float(np.max(np.abs(x))) <= 1.0


def test_stereo_comes_as_two_columns(tmp_path: Path, settings: Settings) -> None:
    t = np.arange(16_000) / 16_000
    path = write_wav(tmp_path / "st.wav", np.stack([np.sin(2 * np.pi * 440 * t), np.zeros_like(t)], axis=1) * 0.5,
                     16_000)
    x, rate = decoded(path, settings)
    assert x.shape == (16_000, 2) and rate == 16_000
    assert np.max(np.abs(x[:, 1])) == 0.0


def expect_refusal(path: Path, settings: Settings, words: str) -> None:
    with pytest.raises(PipelineError, match=words):
        blocks, _ = decode_file(path, settings.max_recording_s)
        for _ in blocks:
            pass


def test_zero_byte_file(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "empty.wav").write_bytes(b"")
    expect_refusal(tmp_path / "empty.wav", settings, "0 byte")


@pytest.mark.parametrize("content", [b"Xin chao, day la van ban.\n" * 50, bytes(range(256)) * 40],
                         ids=["text", "binary"])
def test_not_audio(content: bytes, tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "upload.mp3").write_bytes(content)
    expect_refusal(tmp_path / "upload.mp3", settings, "Không đọc được tệp âm thanh")


def test_image_is_not_audio(tmp_path: Path, settings: Settings) -> None:
    png = transcode(WAV8, tmp_path / "x.png", "-filter_complex", "showwavespic=s=64x32", "-frames:v", "1")
    expect_refusal(png, settings, "không chứa âm thanh")


def test_missing_file(tmp_path: Path, settings: Settings) -> None:
    expect_refusal(tmp_path / "nope.wav", settings, "Không tìm thấy")


def test_truncated_wav(tmp_path: Path, settings: Settings) -> None:
    data = WAV16.read_bytes()
    (tmp_path / "half.wav").write_bytes(data[: len(data) // 2])
    assert wav_is_truncated(tmp_path / "half.wav")
    assert not wav_is_truncated(WAV16)
    expect_refusal(tmp_path / "half.wav", settings, "cắt cụt")


@pytest.mark.parametrize(("suffix", "args"), [(".mp3", ["-c:a", "libmp3lame", "-b:a", "64k"]), (".flac", [])])
def test_truncated_compressed(suffix: str, args: list[str], tmp_path: Path, settings: Settings) -> None:
    full = transcode(WAV16, tmp_path / f"full{suffix}", *args)
    data = full.read_bytes()
    (tmp_path / f"half{suffix}").write_bytes(data[: len(data) // 2])
    expect_refusal(tmp_path / f"half{suffix}", settings, "cắt cụt|hỏng")


def test_truncated_m4a(tmp_path: Path, settings: Settings) -> None:
    full = transcode(WAV16, tmp_path / "full.m4a", "-c:a", "aac")
    data = full.read_bytes()
    (tmp_path / "half.m4a").write_bytes(data[: len(data) // 2])
    expect_refusal(tmp_path / "half.m4a", settings, "Không đọc được|cắt cụt|hỏng")


def test_too_long_is_refused_before_decoding(tmp_path: Path, settings: Settings) -> None:
    short = dataclasses.replace(settings, max_recording_s=5.0)
    with pytest.raises(PipelineError, match="quá dài"):
        decode_file(WAV16, short.max_recording_s)  # raises at once, from the header: no iteration needed
    decoded(WAV8, short)  # 2.8 s is fine


def test_too_long_without_duration_in_header(tmp_path: Path, settings: Settings,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Streams whose header gives no duration are cut off while decoding, past the limit."""
    import pipeline.audio.decode as decode

    real_probe = decode.probe
    monkeypatch.setattr(decode, "probe", lambda path: dataclasses.replace(real_probe(path), duration_s=None))
    expect_refusal(WAV16, dataclasses.replace(settings, max_recording_s=3.0), "quá dài")
