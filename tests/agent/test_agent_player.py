"""The real audio output (miniaudio, on its null backend so no sound card is needed) and the
--no-play stand-in honour the same contract: play it all, or stop the moment cancel fires."""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime

import miniaudio
import numpy as np
import pytest

from broadcast.agent.player import ClockPlayer, MiniaudioPlayer
from broadcast.agent.sources import file_chunks
from tests.agent.helpers import FakeClock

NULL = [miniaudio.Backend.NULL]


def tone(seconds: float, rate: int = 44_100) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16).reshape(-1, 1)


def test_miniaudio_player_plays_every_frame_through_the_device() -> None:
    samples = tone(0.3)
    outcome = MiniaudioPlayer("null", backends=NULL, buffer_ms=50).play(
        file_chunks(samples, 44_100), 44_100, threading.Event()
    )
    assert outcome.completed and outcome.frames == len(samples) and outcome.error == ""


def test_miniaudio_player_stops_when_cancelled() -> None:
    samples = tone(20.0)
    cancel = threading.Event()
    timer = threading.Timer(0.3, cancel.set)
    timer.start()
    outcome = MiniaudioPlayer(backends=NULL, buffer_ms=50).play(file_chunks(samples, 44_100), 44_100, cancel)
    timer.cancel()
    assert not outcome.completed and 0 < outcome.frames < len(samples)


def test_miniaudio_player_reports_a_source_that_breaks() -> None:
    def broken():  # type: ignore[no-untyped-def]
        yield tone(0.1)
        raise OSError("luồng đứt")

    outcome = MiniaudioPlayer(backends=NULL, buffer_ms=50).play(broken(), 44_100, threading.Event())
    assert not outcome.completed and "luồng đứt" in outcome.error


def test_an_unknown_output_device_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="Không tìm thấy thiết bị phát 'loa-khong-co'"):
        MiniaudioPlayer("loa-khong-co", backends=NULL)


def test_clock_player_takes_the_audio_duration_and_honours_cancel() -> None:
    clock = FakeClock(datetime(2026, 11, 26, tzinfo=UTC))
    outcome = ClockPlayer(clock).play(file_chunks(tone(1.5), 44_100), 44_100, threading.Event())
    assert outcome.completed and outcome.frames == 66_150
    assert clock.now() == datetime(2026, 11, 26, 0, 0, 1, 500_000, tzinfo=UTC)
    cancel = threading.Event()
    cancel.set()
    assert not ClockPlayer(clock).play(file_chunks(tone(1.0), 44_100), 44_100, cancel).completed


@pytest.mark.skipif(sys.platform == "win32", reason="WASAPI exists on Windows")
def test_a_device_that_cannot_open_raises_and_leaves_no_thread_behind() -> None:
    before = threading.active_count()
    with pytest.raises(miniaudio.MiniaudioError):
        MiniaudioPlayer(backends=[miniaudio.Backend.WASAPI]).play(
            file_chunks(tone(0.2), 44_100), 44_100, threading.Event()
        )
    assert threading.active_count() == before
