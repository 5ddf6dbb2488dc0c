"""The chain's building blocks, each on signals whose right answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as settings_
from hypothesis import strategies as st

from pipeline.audio.dsp import Compressor, Highpass, LevelTracker, Resampler, SilenceTrimmer, to_mono
from pipeline.audio.limiter import TruePeakLimiter, predicted_gain_db
from pipeline.audio.meter import LoudnessMeter, measure

FS = 44_100


def tone(freq: float, seconds: float, dbfs: float = -20.0, fs: int = FS) -> np.ndarray:
    t = np.arange(int(seconds * fs)) / fs
    return (10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def rms_db(x: np.ndarray) -> float:
    return 10 * math.log10(float(np.mean(np.asarray(x, np.float64) ** 2)))


def in_blocks(process, x: np.ndarray, sizes=(1, 7, 1000, 4096, 333)) -> np.ndarray:
    out, i, k = [], 0, 0
    while i < len(x):
        n = sizes[k % len(sizes)]
        out.append(process(x[i : i + n]))
        i, k = i + n, k + 1
    return np.concatenate(out)


def test_to_mono_averages_channels() -> None:
    stereo = np.stack([np.ones(4), np.zeros(4)], axis=1)
    assert to_mono(stereo).tolist() == [0.5] * 4
    assert to_mono(np.ones(3)).dtype == np.float32


def test_resampler_keeps_level_and_length() -> None:
    x = tone(440, 2.0, fs=8000)
    r = Resampler(8000, FS)
    y = np.concatenate([in_blocks(lambda b: r.process(b), x), r.process(np.zeros(0, np.float32), last=True)])
    assert len(y) == pytest.approx(2.0 * FS, abs=2)
    assert rms_db(y[FS // 2 : -FS // 2]) == pytest.approx(rms_db(x), abs=0.05)


@pytest.mark.parametrize(("freq", "low", "high"), [(60, -60, -35), (90, -30, -20), (180, -3.5, -2.5),
                                                   (1000, -0.1, 0.1)])
def test_highpass_response(freq: float, low: float, high: float) -> None:
    x = tone(freq, 2.0)
    y = Highpass(180.0, FS).process(x)
    gain = rms_db(y[FS:]) - rms_db(x[FS:])
    assert low <= gain <= high  # 4th-order Butterworth: -3 dB at 180 Hz, 24 dB/octave below


def test_highpass_carries_state_across_blocks() -> None:
    x = (np.random.default_rng(0).standard_normal(20_000) * 0.1).astype(np.float32)
    whole = Highpass(180.0, FS).process(x)
    hpf = Highpass(180.0, FS)
    np.testing.assert_allclose(in_blocks(hpf.process, x), whole, atol=1e-6)


def test_highpass_must_be_at_least_second_order() -> None:
    with pytest.raises(ValueError):
        Highpass(180.0, FS, order=1)


def test_compressor_static_curve() -> None:
    comp = Compressor(FS, ratio=2.5, knee_db=6.0)
    over = np.array([-10.0, -3.0, 0.0, 3.0, 12.0])
    np.testing.assert_allclose(comp.gain_reduction_db(over), [0.0, 0.0, 0.45, 1.8, 7.2], atol=1e-9)


def test_compressor_on_steady_tones() -> None:
    # Mean-square detector: a sine at -20 dBFS peak reads -23 dB; threshold -35 dB -> 12 dB over.
    comp = Compressor(FS, ratio=2.5)
    loud = comp.process(tone(1000, 2.0), threshold_db=-35.0)
    assert rms_db(loud[FS:]) - rms_db(tone(1000, 2.0)[FS:]) == pytest.approx(-7.2, abs=0.3)
    comp = Compressor(FS)
    quiet = np.concatenate([comp.process(tone(1000, 2.0, dbfs=-50), threshold_db=-35.0), comp.flush()])
    np.testing.assert_allclose(quiet, tone(1000, 2.0, dbfs=-50), atol=1e-7)


def test_compressor_is_independent_of_block_size() -> None:
    rng = np.random.default_rng(2)
    x = (rng.standard_normal(30_000) * np.repeat(rng.uniform(0.01, 0.5, 30), 1000)).astype(np.float32)
    comp = Compressor(FS)
    whole = np.concatenate([comp.process(x, -30.0), comp.flush()])
    comp = Compressor(FS)
    parts = np.concatenate([in_blocks(lambda b: comp.process(b, -30.0), x, sizes=(4096, 1, 1000, 4801)),
                            comp.flush()])
    assert len(parts) == len(x)
    np.testing.assert_allclose(parts, whole, atol=1e-6)
    assert comp.max_reduction_db > 3.0


def test_compressor_gain_has_no_steps() -> None:
    x = np.concatenate([tone(1000, 0.5, dbfs=-40), tone(1000, 0.5, dbfs=-6)])
    comp = Compressor(FS)
    y = np.concatenate([comp.process(x, -30.0), comp.flush()])
    gain = y[x != 0] / x[x != 0]
    assert np.max(np.abs(np.diff(gain))) < 0.01


def test_level_tracker_ignores_pauses() -> None:
    tracker = LevelTracker(FS)
    speech = tone(300, 1.0, dbfs=-20)
    for _ in range(5):
        tracker.update(speech)
        tracker.update(np.zeros(FS, np.float32))
        tracker.update(tone(300, 1.0, dbfs=-60))  # room noise between sentences
    assert tracker.level_db == pytest.approx(-23.0, abs=0.1)


def test_silence_trimmer() -> None:
    trimmer = SilenceTrimmer(FS, margin_s=0.1)
    x = np.concatenate([np.zeros(FS, np.float32), tone(500, 1.0), np.zeros(FS, np.float32)])
    y = in_blocks(trimmer.process, x, sizes=(3000,))
    assert len(y) == pytest.approx(len(x) - FS + int(0.1 * FS), abs=2)  # head trimmed to the margin
    assert trimmer.last_sound_end == pytest.approx(int(0.1 * FS) + FS, abs=2)
    assert trimmer.started


def run_limiter(x: np.ndarray, ceiling: float, sizes=(4096, 777, 10_000)) -> tuple[np.ndarray, TruePeakLimiter]:
    lim = TruePeakLimiter(FS, ceiling)
    out = np.concatenate([in_blocks(lim.process, x, sizes), lim.flush()])
    return out, lim


def test_limiter_holds_true_peak_under_ceiling() -> None:
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(FS * 3) * 0.3).astype(np.float32)
    x[::5000] = 1.0  # clicks
    out, lim = run_limiter(x, -1.5)
    assert len(out) == len(x)
    assert measure(out, FS).true_peak_dbtp <= -1.5 + 0.1
    assert lim.min_gain < 0.9


def test_limiter_leaves_quiet_signals_alone() -> None:
    x = tone(1000, 1.0, dbfs=-10)
    out, lim = run_limiter(x, -1.5)
    np.testing.assert_allclose(out, x, atol=1e-6)
    assert lim.min_gain == pytest.approx(1.0)


def test_limiter_gain_is_smooth_and_anticipates_peaks() -> None:
    x = np.full(FS, 0.2, np.float32)
    x[FS // 2] = 1.0  # one isolated peak
    out, lim = run_limiter(x, -6.0)
    gain = out / x
    dip = int(np.argmin(gain))
    assert abs(dip - FS // 2) <= 1
    assert gain[FS // 2] * 1.0 <= 10 ** (-6 / 20) + 1e-3
    assert gain[FS // 2 - lim.lookahead - 2] == pytest.approx(1.0)  # untouched before the lookahead
    assert gain[FS // 2 - lim.lookahead // 2] < 1.0  # ramping down ahead of the peak
    assert np.max(np.abs(np.diff(gain))) <= 1.0 / lim.lookahead + 1e-3  # no steps


def test_predicted_gain_reaches_target_after_limiting() -> None:
    rng = np.random.default_rng(9)
    x = (rng.standard_normal(FS * 10) * np.repeat(rng.uniform(0.02, 0.3, 100), FS // 10)).astype(np.float32)
    x[::3000] *= 6  # peaks that the limiter will have to take
    meter = LoudnessMeter(FS, true_peak=False, keep_peaks=True)
    meter.add(x)
    naive = -16.0 - meter.integrated()
    gain = predicted_gain_db(meter.sub_energies, meter.sub_peaks, meter.sub, -16.0, -1.5, FS)
    assert gain > naive  # it compensates for what the limiter removes
    out, _ = run_limiter(x * np.float32(10 ** (gain / 20)), -1.5)
    assert measure(out, FS).integrated == pytest.approx(-16.0, abs=0.25)


@settings_(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), level_db=st.floats(-12.0, 12.0), ceiling=st.floats(-6.0, -0.5),
       cut=st.integers(1, 20_000))
def test_limiter_properties(seed: int, level_db: float, ceiling: float, cut: int) -> None:
    """For any level, ceiling and block split: same length, gain never above 1, true peak held,
    and the same output however the input is cut into blocks."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(FS // 2) * 0.2 * 10 ** (level_db / 20)).astype(np.float32)
    x[rng.integers(0, len(x), 5)] *= 4  # a few peaks
    a, lim = run_limiter(x, ceiling, sizes=(len(x),))
    b, _ = run_limiter(x, ceiling, sizes=(cut, 4096))
    assert len(a) == len(x)
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert np.all(np.abs(a) <= np.abs(x) + 1e-6)
    assert measure(a, FS).true_peak_dbtp <= ceiling + 0.15
