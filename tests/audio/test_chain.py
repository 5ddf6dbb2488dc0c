"""The chain end to end: what comes out of the MP3, measured by ffmpeg's own ebur128 meter."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from loa.config import PROJECT_MEDIA_DIR, Settings
from loa.params import audio_params
from pipeline.audio import decode_file, measure_file_ebur128, process_to_mp3
from pipeline.types import PipelineError
from tests.audio.helpers import read_wav
from tests.conftest import SPEECH

SPEECH_FILES = sorted(SPEECH.glob("*.wav"))


def check_delivery(mp3: Path, settings: Settings, report) -> None:
    independent = measure_file_ebur128(mp3)
    assert abs(independent.integrated - settings.loudness_target_lufs) <= 0.5, independent
    assert independent.true_peak_dbtp <= -1.0, independent
    # The report describes the delivered file, so it agrees with the independent meter.
    assert report.integrated_lufs == pytest.approx(independent.integrated, abs=0.15)
    assert report.true_peak_dbtp == pytest.approx(independent.true_peak_dbtp, abs=0.3)


@pytest.mark.parametrize("wav", SPEECH_FILES, ids=lambda p: p.name)
def test_real_speech_meets_loudness_and_true_peak(wav: Path, tmp_path: Path, settings: Settings) -> None:
    blocks, rate = decode_file(wav, settings.max_recording_s)
    dest = tmp_path / "out.mp3"
    report = process_to_mp3(blocks, rate, dest, audio_params(settings))
    check_delivery(dest, settings, report)
    x, fs = read_wav(wav)
    assert report.duration_s <= len(x) / fs + 0.1
    assert report.duration_s > 0.5 * len(x) / fs
    assert report.input_lufs is not None and math.isfinite(report.input_lufs)


def tts_like(rate: int, seconds: float, seed: int = 0, f0: float = 210.0) -> np.ndarray:
    """Speech-like test signal: a gliding harmonic voice (random harmonic phases, as a real glottal
    source through a vocal tract gives, not a phase-aligned sawtooth), breath noise, a 4 Hz
    syllable envelope and pauses between words."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    pitch = f0 + 25 * np.sin(2 * np.pi * 0.3 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    voice = sum(np.sin(k * phase + rng.uniform(0, 2 * np.pi)) / k for k in range(1, 30) if k * (f0 + 25) < rate / 2)
    syllables = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) ** 2
    words = np.repeat(rng.uniform(0, 1, int(seconds) + 1) > 0.2, rate)[: len(t)]
    noise = rng.standard_normal(len(t)) * 0.05
    return ((voice + noise) * syllables * words * 0.05).astype(np.float32)


@pytest.mark.parametrize(("rate", "target", "ceiling"), [(22_050, -16.0, -1.5), (16_000, -18.0, -2.0)])
def test_synthetic_tts_blocks(rate: int, target: float, ceiling: float, tmp_path: Path) -> None:
    settings = Settings(loudness_target_lufs=target, true_peak_ceiling_dbtp=ceiling)
    x = tts_like(rate, 12.0)
    x = np.concatenate([np.zeros(rate, np.float32), x, np.zeros(2 * rate, np.float32)])  # 1 s + 2 s of silence
    dest = tmp_path / "tts.mp3"
    report = process_to_mp3(np.array_split(x, 37), rate, dest, audio_params(settings))
    independent = measure_file_ebur128(dest)
    assert abs(independent.integrated - target) <= 0.5
    assert independent.true_peak_dbtp <= ceiling + 0.5
    assert report.duration_s < len(x) / rate - 2.0  # silence trimmed at both ends
    assert any("leading silence" in note for note in report.notes)


def test_unreachable_target_is_reported_not_forced(tmp_path: Path, settings: Settings) -> None:
    """A phase-aligned buzz whose fundamental the high-pass removes has a peak-to-loudness ratio
    near 20 dB: -16 LUFS under -1.5 dBTP would mean limiting every pitch pulse. The chain must keep
    the ceiling, not distort, and say so."""
    rate = 22_050
    t = np.arange(rate * 8) / rate
    phase = 2 * np.pi * np.cumsum(140 + 30 * np.sin(2 * np.pi * 0.3 * t)) / rate
    buzz = sum(np.sin(k * phase) / k for k in range(1, 25)) * np.clip(np.sin(2 * np.pi * 4 * t), 0, None) ** 2
    dest = tmp_path / "buzz.mp3"
    report = process_to_mp3([(0.05 * buzz).astype(np.float32)], rate, dest, audio_params(settings))
    independent = measure_file_ebur128(dest)
    assert independent.true_peak_dbtp <= -1.0
    assert independent.integrated < -17.0
    assert any("not reached" in note for note in report.notes)


def test_full_scale_clicks_are_limited(tmp_path: Path, settings: Settings) -> None:
    """A tone with full-scale clicks (stereo, 48 kHz): after gain to -16 LUFS the clicks sit far above
    the ceiling, and single-sample clicks overshoot most between samples."""
    rate = 48_000
    t = np.arange(rate * 6) / rate
    tone = 0.1 * np.sin(2 * np.pi * 997 * t)
    tone[:: rate // 7] = 1.0
    tone[rate // 14 :: rate // 7] = -1.0
    stereo = np.stack([tone, 0.8 * tone], axis=1).astype(np.float32)
    dest = tmp_path / "clicks.mp3"
    report = process_to_mp3([stereo[i : i + 10_000] for i in range(0, len(stereo), 10_000)], rate, dest, audio_params(settings))
    check_delivery(dest, settings, report)
    assert any("limiter" in note for note in report.notes)


def test_result_does_not_depend_on_block_size(tmp_path: Path, settings: Settings) -> None:
    x = tts_like(22_050, 8.0, seed=3)
    a = process_to_mp3([x], 22_050, tmp_path / "a.mp3", audio_params(settings))
    b = process_to_mp3(np.array_split(x, 101), 22_050, tmp_path / "b.mp3", audio_params(settings))
    assert a.integrated_lufs == pytest.approx(b.integrated_lufs, abs=0.05)
    assert a.true_peak_dbtp == pytest.approx(b.true_peak_dbtp, abs=0.1)
    assert a.duration_s == pytest.approx(b.duration_s, abs=0.01)


def test_jingles_frame_the_speech(tmp_path: Path, settings: Settings) -> None:
    settings = dataclasses.replace(settings, jingle_gap_ms=500)
    intro = settings.jingle_path("intro-chime.ogg")
    outro = settings.jingle_path("outro-chime.ogg")
    x = tts_like(22_050, 6.0)
    plain = process_to_mp3([x], 22_050, tmp_path / "plain.mp3", audio_params(settings))
    framed = process_to_mp3([x], 22_050, tmp_path / "framed.mp3", audio_params(settings), intro=intro, outro=outro)
    assert intro is not None and intro.parent == PROJECT_MEDIA_DIR / "jingles"
    # 2.6 s chime + 0.5 s gap on each side.
    assert framed.duration_s - plain.duration_s == pytest.approx(2 * (2.6 + 0.5), abs=0.1)
    check_delivery(tmp_path / "framed.mp3", settings, framed)


@pytest.mark.parametrize("bad", [np.zeros(22_050 * 3, np.float32), np.full(100, np.nan, np.float32)],
                         ids=["silence", "nan"])
def test_unusable_input_writes_nothing(bad: np.ndarray, tmp_path: Path, settings: Settings) -> None:
    dest = tmp_path / "out.mp3"
    with pytest.raises(PipelineError):
        process_to_mp3([bad], 22_050, dest, audio_params(settings))
    assert list(tmp_path.iterdir()) == []  # no MP3, no temp folder


def test_failure_mid_stream_leaves_nothing(tmp_path: Path, settings: Settings) -> None:
    def blocks():
        yield tts_like(16_000, 2.0)
        raise PipelineError("Tệp âm thanh bị hỏng")

    with pytest.raises(PipelineError):
        process_to_mp3(blocks(), 16_000, tmp_path / "out.mp3", audio_params(settings))
    assert list(tmp_path.iterdir()) == []


def test_progress_is_reported_in_order(tmp_path: Path, settings: Settings) -> None:
    seen: list[float] = []
    process_to_mp3([tts_like(16_000, 4.0)], 16_000, tmp_path / "p.mp3", audio_params(settings), on_progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert seen == sorted(seen)


def test_background_consumer_keeps_order_and_surfaces_errors() -> None:
    from pipeline.audio.chain import BackgroundConsumer

    seen: list[int] = []
    with BackgroundConsumer(seen.append, depth=2) as worker:
        for i in range(50):
            worker.put(i)
    assert seen == list(range(50))

    def fail_on_three(item: int) -> None:
        if item == 3:
            raise PipelineError("hỏng")

    with pytest.raises(PipelineError, match="hỏng"), BackgroundConsumer(fail_on_three, depth=1) as worker:
        for i in range(1000):
            worker.put(i)

    done: list[int] = []
    with pytest.raises(KeyboardInterrupt), BackgroundConsumer(done.append, depth=100) as worker:
        worker.put(1)
        raise KeyboardInterrupt
    assert done in ([], [1])  # the producer's interruption wins; the worker just stops


def test_very_short_speech_is_levelled_by_its_plain_mean(tmp_path: Path, settings: Settings) -> None:
    """Under one 400 ms gating block there is no gated loudness; the chain still levels it."""
    t = np.arange(int(0.3 * 22_050)) / 22_050
    x = (0.05 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    report = process_to_mp3([x], 22_050, tmp_path / "short.mp3", audio_params(settings))
    assert math.isfinite(report.integrated_lufs)
    assert report.integrated_lufs == pytest.approx(-16.0, abs=1.0)
