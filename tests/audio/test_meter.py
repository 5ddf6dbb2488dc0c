"""The meter against EBU Tech 3341 (loudness, true peak) and Tech 3342 (loudness range).

Signals are synthesized exactly as the documents define them (1 kHz sines, stereo unless noted, 48 kHz).
Steady-state cases are shortened (a constant sine has the same integrated loudness at 3 s as at 20 s);
cases whose answer depends on segment durations keep the documented durations.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pipeline.audio.ffmpeg import ffmpeg_exe
from pipeline.audio.meter import LoudnessMeter, k_weighting_sos, measure, measure_file_ebur128
from tests.audio.helpers import read_wav
from tests.conftest import SPEECH

FS = 48_000


def sine(dbfs: float, seconds: float, freq: float = 1000.0, fs: int = FS, phase_deg: float = 0.0) -> np.ndarray:
    t = np.arange(int(round(seconds * fs))) / fs
    return (10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t + np.deg2rad(phase_deg))).astype(np.float32)


def stereo(*segments: tuple[float, float]) -> np.ndarray:
    x = np.concatenate([sine(db, s) for db, s in segments])
    return np.stack([x, x], axis=1)


def test_k_weighting_matches_bs1770_table_at_48k() -> None:
    sos = k_weighting_sos(48_000)
    np.testing.assert_allclose(sos[0], [1.53512485958697, -2.69169618940638, 1.19839281085285,
                                        1.0, -1.69065929318241, 0.73248077421585], atol=1e-9)
    np.testing.assert_allclose(sos[1], [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621], atol=1e-9)


@pytest.mark.parametrize(("case", "signal", "expected"), [
    ("3341-1", lambda: stereo((-23, 3)), -23.0),
    ("3341-2", lambda: stereo((-33, 3)), -33.0),
    ("3341-3", lambda: stereo((-36, 10), (-23, 60), (-36, 10)), -23.0),
    ("3341-4", lambda: stereo((-72, 10), (-36, 10), (-23, 60), (-36, 10), (-72, 10)), -23.0),
    ("3341-5", lambda: stereo((-26, 20), (-20, 20.1), (-26, 20)), -23.0),
    ("mono -20 dBFS", lambda: sine(-20, 3), -23.0),
    ("mono -26 dBFS", lambda: sine(-26, 3), -29.0),
    ("mono -40 dBFS", lambda: sine(-40, 3), -43.0),
])
def test_tech3341_integrated(case: str, signal, expected: float) -> None:
    assert measure(signal(), FS).integrated == pytest.approx(expected, abs=0.1), case


def test_tech3341_case6_five_channels() -> None:
    # L, R at -28 dBFS, C at -24 dBFS, Ls, Rs at -30 dBFS (surrounds weighted 1.41).
    x = np.stack([sine(-28, 3), sine(-28, 3), sine(-24, 3), sine(-30, 3), sine(-30, 3)], axis=1)
    assert measure(x, FS).integrated == pytest.approx(-23.0, abs=0.1)


@pytest.mark.parametrize(("case", "freq", "amplitude", "phase", "expected"), [
    ("3341-15", FS / 4, 0.50, 0.0, -6.0),
    ("3341-16", FS / 4, 0.50, 45.0, -6.0),
    ("3341-17", FS / 6, 0.50, 60.0, -6.0),
    ("3341-18", FS / 8, 0.50, 67.5, -6.0),
    ("3341-19", FS / 4, 1.41, 45.0, 3.0),
])
def test_tech3341_true_peak(case: str, freq: float, amplitude: float, phase: float, expected: float) -> None:
    # The cases are about inter-sample peaks of steady tones. A tone switched on at 60 degrees is a
    # step, whose band-limited reconstruction really does overshoot, so fade it in and out (10 ms).
    x = sine(20 * math.log10(amplitude), 1.0, freq, phase_deg=phase)
    ramp = np.sin(np.linspace(0, np.pi / 2, 480)) ** 2
    x[:480] *= ramp
    x[-480:] *= ramp[::-1]
    tp = measure(np.stack([x, x], axis=1), FS).true_peak_dbtp
    assert expected - 0.4 <= tp <= expected + 0.2, (case, tp)


def test_true_peak_sees_what_sample_peak_misses() -> None:
    x = sine(20 * math.log10(0.5), 1.0, FS / 4, phase_deg=45.0)
    result = measure(x, FS)
    assert result.sample_peak == pytest.approx(-9.03, abs=0.05)
    assert result.true_peak_dbtp == pytest.approx(-6.02, abs=0.1)


@pytest.mark.parametrize(("case", "segments", "expected"), [
    ("3342-1", [(-20, 20), (-30, 20)], 10.0),
    ("3342-2", [(-20, 20), (-15, 20)], 5.0),
    ("3342-3", [(-40, 20), (-20, 20)], 20.0),
    ("3342-4", [(-50, 20), (-35, 20), (-20, 20), (-35, 20), (-50, 20)], 15.0),
])
def test_tech3342_loudness_range(case: str, segments, expected: float) -> None:
    assert measure(stereo(*segments), FS).lra == pytest.approx(expected, abs=1.0), case


def test_gates_silence_and_short_signals() -> None:
    assert measure(np.zeros(FS * 2, np.float32), FS).integrated == -math.inf
    assert measure(sine(-20, 0.3), FS).integrated == -math.inf  # shorter than one 400 ms block
    # A -80 dBFS passage is below the absolute gate and must not drag the result down.
    x = np.concatenate([sine(-80, 10), sine(-20, 30)])
    assert measure(x, FS).integrated == pytest.approx(-23.0, abs=0.1)


def test_streaming_is_independent_of_block_size() -> None:
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(FS * 6) * np.repeat(rng.uniform(0.01, 0.3, 60), FS // 10)).astype(np.float32)
    whole = measure(x, FS)
    meter = LoudnessMeter(FS)
    cuts = np.sort(rng.choice(len(x), 40, replace=False))
    for block in np.split(x, cuts):
        meter.add(block)
    meter.finish()
    parts = meter.result()
    assert parts.integrated == pytest.approx(whole.integrated, abs=1e-6)
    assert parts.lra == pytest.approx(whole.lra, abs=1e-6)
    assert parts.true_peak_dbtp == pytest.approx(whole.true_peak_dbtp, abs=0.01)


@pytest.mark.parametrize("name", ["vi-speech-01.wav", "vi-speech-07.wav", "vi-speech-09.wav"])
def test_agrees_with_ffmpeg_ebur128_on_speech(name: str) -> None:
    x, fs = read_wav(SPEECH / name)
    ours = measure(x, fs)
    theirs = measure_file_ebur128(SPEECH / name)
    assert ours.integrated == pytest.approx(theirs.integrated, abs=0.1)
    assert ours.sample_peak == pytest.approx(theirs.sample_peak, abs=0.1)
    assert ours.true_peak_dbtp == pytest.approx(theirs.true_peak_dbtp, abs=0.3)


def test_ebur128_wrapper_reads_a_known_tone(tmp_path: Path) -> None:
    dest = tmp_path / "tone.wav"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=f=1000:d=3:r=48000",
                    "-af", "volume=-20dB", str(dest)], check=True)
    result = measure_file_ebur128(dest)
    # lavfi's sine is at 1/8 full scale (-18.06 dBFS) before the -20 dB: a -38.06 dBFS mono sine.
    assert result.integrated == pytest.approx(-41.1, abs=0.1)
    assert result.sample_peak == pytest.approx(-38.1, abs=0.1)
