"""The MP3 encoder and its teed decoder: what the chain meters is exactly what the file holds."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from pipeline.audio.ffmpeg import Mp3Encoder, ffmpeg_exe, probe
from pipeline.types import PipelineError


def decode_file(path: Path) -> np.ndarray:
    out = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(out, "<f4")


@pytest.mark.parametrize("rate", [22_050, 44_100, 48_000])
def test_teed_decode_equals_decoding_the_file(rate: int, tmp_path: Path) -> None:
    x = (np.random.default_rng(rate).standard_normal(rate * 2) * 0.1).astype(np.float32)
    got: list[np.ndarray] = []
    dest = tmp_path / "a.mp3"
    encoder = Mp3Encoder(dest, rate, 64, on_decoded=got.append)
    for start in range(0, len(x), 7_777):
        encoder.write(x[start : start + 7_777])
    encoder.close()
    teed = np.concatenate(got)
    assert len(teed) == len(x)  # LAME's delay and padding removed, as a file decoder does
    np.testing.assert_allclose(teed, decode_file(dest), atol=2e-4)  # dr_mp3 vs ffmpeg decoder


def test_awkward_file_names(tmp_path: Path) -> None:
    dest = tmp_path / "bản tin [sáng] | 'xã' .mp3"
    got: list[np.ndarray] = []
    encoder = Mp3Encoder(dest, 44_100, 64, on_decoded=got.append)
    encoder.write(np.zeros(44_100, np.float32))
    encoder.close()
    assert probe(dest).duration_s == pytest.approx(1.0, abs=0.1)
    assert sum(len(g) for g in got) == 44_100
    assert sorted(p.name for p in tmp_path.iterdir()) == [dest.name]


def test_callback_error_surfaces_at_close_without_hanging(tmp_path: Path) -> None:
    def broken(block: np.ndarray) -> None:
        raise ValueError("meter broke")

    encoder = Mp3Encoder(tmp_path / "a.mp3", 44_100, 64, on_decoded=broken)
    for _ in range(20):  # far more than any pipe buffer: the reader must keep draining
        encoder.write(np.zeros(44_100, np.float32))
    with pytest.raises(ValueError, match="meter broke"):
        encoder.close()


def test_encoder_failure_is_a_pipeline_error(tmp_path: Path) -> None:
    encoder = Mp3Encoder(tmp_path / "no-such-dir" / "a.mp3", 44_100, 64)
    with pytest.raises(PipelineError, match="MP3"):
        for _ in range(50):
            encoder.write(np.zeros(44_100, np.float32))
        encoder.close()
