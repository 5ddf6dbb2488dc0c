"""Audio output behind one small interface, so playout logic never depends on a sound card.

``Player.play`` takes chunks of int16 samples shaped (frames, channels), their sample rate and a
cancel event; it returns when the audio has been played out or the event fires (an emergency).
``MiniaudioPlayer`` is the real output (miniaudio's wheel carries its own audio stack: WASAPI/DirectSound
on Windows, PulseAudio/ALSA on Linux). ``ClockPlayer`` is the ``--no-play`` stand-in: it takes the
same time and honours cancellation, but makes no sound.
"""

from __future__ import annotations

import json
import logging
import math
import queue
import threading
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import miniaudio
import numpy as np

from broadcast.agent.clock import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlayOutcome:
    completed: bool  # False when cancelled (or the source broke)
    frames: int  # frames of real audio handed to the output
    error: str = ""


class Player(Protocol):
    def play(
        self, chunks: Iterable[np.ndarray], sample_rate: int, cancel: threading.Event
    ) -> PlayOutcome: ...


class ClockPlayer:
    """Spends the audio's duration on the clock, chunk by chunk, without producing sound."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def play(self, chunks: Iterable[np.ndarray], sample_rate: int, cancel: threading.Event) -> PlayOutcome:
        frames = 0
        try:
            for chunk in chunks:
                if cancel.is_set() or self.clock.wait(len(chunk) / sample_rate, cancel):
                    return PlayOutcome(False, frames)
                frames += len(chunk)
        except Exception as exc:  # a relay source that broke mid-way
            return PlayOutcome(False, frames, str(exc))
        return PlayOutcome(True, frames)


class RecordingSink(ClockPlayer):
    """``--record-to FILE``: plays like ``ClockPlayer`` (no sound) and appends one JSON line per
    play to FILE: when, how long, and the level (peak and RMS in dBFS), so a rehearsal, or a
    test of a real ``loa agent`` process, can see what would have gone to the amplifier."""

    def __init__(self, clock: Clock, path: Path) -> None:
        super().__init__(clock)
        self.path = path

    def play(self, chunks: Iterable[np.ndarray], sample_rate: int, cancel: threading.Event) -> PlayOutcome:
        kept: list[np.ndarray] = []

        def keep() -> Iterator[np.ndarray]:
            for chunk in chunks:
                kept.append(chunk)
                yield chunk

        started = self.clock.now()
        outcome = super().play(keep(), sample_rate, cancel)
        audio = np.concatenate(kept).astype(np.float64) / 32768.0 if kept else np.zeros(1)
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        rms = float(np.sqrt(np.mean(audio**2))) if audio.size else 0.0
        line = {
            "at": started.isoformat(), "frames": outcome.frames, "sample_rate": sample_rate,
            "completed": outcome.completed,
            "peak_dbfs": round(20 * math.log10(peak), 2) if peak > 0 else None,
            "rms_dbfs": round(20 * math.log10(rms), 2) if rms > 0 else None,
        }  # fmt: skip
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")
        return outcome


def playback_devices() -> list[str]:
    return [str(d["name"]) for d in miniaudio.Devices().get_playbacks()]


_END = object()


class MiniaudioPlayer:
    """Plays through miniaudio. A reader thread pulls chunks (which may block, e.g. on a relay's ffmpeg)
    into a bounded queue; the audio callback only takes from the queue, never blocks, and plays silence
    on an underrun."""

    def __init__(
        self, device_name: str | None = None, *, backends: list[miniaudio.Backend] | None = None,
        buffer_ms: int = 200,
    ) -> None:  # fmt: skip
        self.backends = backends
        self.buffer_ms = buffer_ms
        self.device_id: Any = None
        if device_name:
            devices = miniaudio.Devices(backends=backends).get_playbacks()
            matches = [d for d in devices if device_name.lower() in str(d["name"]).lower()]
            if not matches:
                names = ", ".join(str(d["name"]) for d in devices) or "không có"
                raise ValueError(f"Không tìm thấy thiết bị phát '{device_name}'. Các thiết bị: {names}")
            self.device_id = matches[0]["id"]

    def play(self, chunks: Iterable[np.ndarray], sample_rate: int, cancel: threading.Event) -> PlayOutcome:
        source = iter(chunks)
        try:
            first = next(source, None)
        except Exception as exc:
            return PlayOutcome(False, 0, str(exc))
        if first is None:
            return PlayOutcome(True, 0)
        channels = int(first.shape[1])
        buffered: queue.Queue[Any] = queue.Queue(maxsize=32)
        stop_reader = threading.Event()
        errors: list[str] = []

        def put(item: Any) -> bool:
            while not stop_reader.is_set():
                try:
                    buffered.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def reader() -> None:
            item: Any = first
            try:
                while put(item) and item is not _END:
                    item = next(source, _END)
            except Exception as exc:  # the source broke (relay dropped)
                errors.append(str(exc))
                put(_END)

        drained = threading.Event()
        frames_out = [0]

        def callback() -> Generator[bytes, int, None]:
            required = yield b""
            pending = np.zeros((0, channels), dtype=np.int16)
            ended = False
            while True:
                while len(pending) < required and not ended:
                    try:
                        got = buffered.get_nowait()
                    except queue.Empty:
                        break
                    if got is _END:
                        ended = True
                    else:
                        pending = np.concatenate([pending, got])
                out, pending = pending[:required], pending[required:]
                frames_out[0] += len(out)
                if ended and not len(pending):
                    drained.set()
                if len(out) < required:
                    out = np.concatenate([out, np.zeros((required - len(out), channels), dtype=np.int16)])
                required = yield out.tobytes()

        device = miniaudio.PlaybackDevice(
            output_format=miniaudio.SampleFormat.SIGNED16,
            nchannels=channels,
            sample_rate=sample_rate,
            buffersize_msec=self.buffer_ms,
            device_id=self.device_id,
            backends=self.backends,
            app_name="Loa",
        )
        thread = threading.Thread(target=reader, name="loa-audio-reader", daemon=True)
        thread.start()
        gen = callback()
        next(gen)
        try:
            device.start(gen)
            while not drained.wait(0.05):
                if cancel.is_set():
                    return PlayOutcome(False, frames_out[0])
            # let the device's own buffer play out before closing it
            if cancel.wait(self.buffer_ms / 1000.0):
                return PlayOutcome(False, frames_out[0])
            if errors:
                return PlayOutcome(False, frames_out[0], errors[0])
            return PlayOutcome(True, frames_out[0])
        finally:
            stop_reader.set()
            device.close()
            thread.join(timeout=0.5)  # a stalled relay read ends when the caller closes it
