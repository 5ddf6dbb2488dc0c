"""Streaming building blocks of the chain. Each keeps its own state so blocks can be any size and
the result does not depend on where the block boundaries fall."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import soxr
from scipy import signal

F32 = npt.NDArray[np.float32]


def to_mono(block: npt.ArrayLike) -> F32:
    """Average the channels of (frames, channels) audio; pass mono through as float32."""
    x = np.asarray(block, dtype=np.float32)
    if x.ndim == 2:
        x = x.mean(axis=1, dtype=np.float32) if x.shape[1] > 1 else x[:, 0]
    elif x.ndim != 1:
        raise ValueError(f"audio block must be 1-D or 2-D, got shape {x.shape}")
    return np.ascontiguousarray(x)


class Resampler:
    """soxr streaming resampler (or a pass-through when the rates already match)."""

    def __init__(self, in_rate: int, out_rate: int) -> None:
        self._stream = None if in_rate == out_rate else soxr.ResampleStream(
            in_rate, out_rate, 1, dtype="float32", quality="HQ")

    def process(self, x: F32, last: bool = False) -> F32:
        if self._stream is None:
            return x
        return np.asarray(self._stream.resample_chunk(x, last=last), dtype=np.float32)


class Highpass:
    """Butterworth high-pass (SOS, state carried across blocks): horn drivers cannot reproduce the
    low end, and feeding it to them only costs headroom and intelligibility."""

    def __init__(self, cutoff_hz: float, sample_rate: int, order: int = 4) -> None:
        if order < 2:
            raise ValueError("high-pass must be at least 2nd order")
        self._sos = signal.butter(order, cutoff_hz, btype="highpass", fs=sample_rate, output="sos")
        self._zi = np.zeros((self._sos.shape[0], 2))

    def process(self, x: F32) -> F32:
        y, self._zi = signal.sosfilt(self._sos, x, zi=self._zi)
        return y.astype(np.float32)


class SilenceTrimmer:
    """Drops leading silence on the fly and remembers where the last sound was.

    Silence is every sample below ``threshold_dbfs``; ``margin_s`` of it is kept before the first
    sound (and the caller keeps as much after the last) so that soft onsets are not clipped.
    """

    def __init__(self, sample_rate: int, threshold_dbfs: float = -60.0, margin_s: float = 0.1) -> None:
        self.threshold = np.float32(10.0 ** (threshold_dbfs / 20.0))
        self.margin = int(margin_s * sample_rate)
        self.started = False
        self._held = np.zeros(0, np.float32)
        self.emitted = 0  # samples passed on so far
        self.last_sound_end = 0  # index (in emitted samples) just after the last loud sample

    def process(self, x: F32) -> F32:
        loud = np.flatnonzero(np.abs(x) > self.threshold)
        if not self.started:
            if not len(loud):
                self._held = np.concatenate([self._held, x])[-self.margin :] if self.margin else x[:0]
                return x[:0]
            self.started = True
            start = max(0, len(self._held) + int(loud[0]) - self.margin)
            loud = loud + len(self._held) - start
            x = np.concatenate([self._held, x])[start:]
            self._held = np.zeros(0, np.float32)
        if len(loud):
            self.last_sound_end = self.emitted + int(loud[-1]) + 1
        self.emitted += len(x)
        return x


class LevelTracker:
    """Running speech level (mean square, dBFS) that ignores pauses, for the compressor threshold.

    Levels are taken per 100 ms hop; hops below -70 dBFS or more than 20 dB under the current
    estimate do not count. The estimate follows the speech with a ``time_constant_s`` memory, so a
    quiet phone recording and a hot TTS voice are compressed alike, and a recording whose level
    drifts is followed. Updated once per block, vectorized over its hops.
    """

    def __init__(self, sample_rate: int, time_constant_s: float = 10.0) -> None:
        self.hop = max(1, sample_rate // 10)
        self._tau = time_constant_s
        self._rate = sample_rate
        self._pending = np.zeros(0, np.float32)
        self.level_db: float | None = None

    def update(self, x: F32) -> float | None:
        buf = np.concatenate([self._pending, x])
        n = len(buf) // self.hop * self.hop
        self._pending = buf[n:]
        if n:
            hop_ms = np.mean(buf[:n].astype(np.float64).reshape(-1, self.hop) ** 2, axis=1)
            with np.errstate(divide="ignore"):
                hop_db = 10.0 * np.log10(hop_ms)
            floor = -70.0 if self.level_db is None else max(-70.0, self.level_db - 20.0)
            active = hop_ms[hop_db > floor]
            if len(active):
                block_db = 10.0 * float(np.log10(active.mean()))
                if self.level_db is None:
                    self.level_db = block_db
                else:
                    weight = 1.0 - float(np.exp(-len(active) * self.hop / (self._tau * self._rate)))
                    self.level_db += weight * (block_db - self.level_db)
        return self.level_db


class Compressor:
    """Gentle feed-forward compressor with a soft knee, vectorized.

    The level detector is the larger of two one-pole smoothings of the squared signal (fast for
    attack, slow for release), both run with ``lfilter`` so no per-sample Python is involved; the
    gain reduction is smoothed once more (a few ms) to keep detector ripple out of the audio. The
    detector runs on 16-sample mean-square frames (0.4 ms at 44.1 kHz, far finer than any of its
    time constants): 16x less filtering. Within a frame the gain moves linearly from the previous
    frame's value to this one's, so it has no steps. Only whole frames are emitted; ``flush`` emits
    the rest at the end of the stream.
    """

    FRAME = 16

    def __init__(self, sample_rate: int, ratio: float = 2.5, knee_db: float = 6.0, attack_ms: float = 10.0,
                 release_ms: float = 150.0, smooth_ms: float = 3.0) -> None:
        self.slope = 1.0 - 1.0 / ratio
        self.knee = knee_db
        frame_rate = sample_rate / self.FRAME
        self._fast = self._one_pole(attack_ms, frame_rate)
        self._slow = self._one_pole(release_ms, frame_rate)
        self._smooth = self._one_pole(smooth_ms, frame_rate)
        self._zf = np.zeros(1)
        self._zs = np.zeros(1)
        self._zg = np.zeros(1)
        self._pending = np.zeros(0, np.float32)
        self._last_gain = 1.0
        self._ramp = (np.arange(self.FRAME) + 1.0) / self.FRAME
        self.max_reduction_db = 0.0

    @staticmethod
    def _one_pole(ms: float, rate: float) -> float:
        return float(np.exp(-1000.0 / (ms * rate)))

    def gain_reduction_db(self, over_db: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Static curve: reduction for a detector level ``over_db`` above the threshold."""
        half = self.knee / 2.0
        knee = self.slope * (over_db + half) ** 2 / (2.0 * self.knee) if self.knee > 0 else 0.0
        return np.where(over_db <= -half, 0.0, np.where(over_db >= half, self.slope * over_db, knee))

    def process(self, x: F32, threshold_db: float) -> F32:
        d = self.FRAME
        buf = np.concatenate([self._pending, x]) if len(self._pending) else x
        k = len(buf) // d
        self._pending = buf[k * d :]
        if not k:
            return buf[:0]
        frames = buf[: k * d].reshape(k, d)
        power = np.mean(frames.astype(np.float64) ** 2, axis=1)
        af, as_, ag = self._fast, self._slow, self._smooth
        fast, self._zf = signal.lfilter([1 - af], [1, -af], power, zi=self._zf)
        slow, self._zs = signal.lfilter([1 - as_], [1, -as_], power, zi=self._zs)
        level_db = 10.0 * np.log10(np.maximum(np.maximum(fast, slow), 1e-12))
        gr, self._zg = signal.lfilter([1 - ag], [1, -ag], self.gain_reduction_db(level_db - threshold_db),
                                      zi=self._zg)
        self.max_reduction_db = max(self.max_reduction_db, float(gr.max()))
        gains = np.concatenate([[self._last_gain], 10.0 ** (-gr / 20.0)])
        self._last_gain = float(gains[-1])
        ramps = gains[:-1, None] + np.diff(gains)[:, None] * self._ramp[None, :]
        return (frames * ramps).astype(np.float32).ravel()

    def flush(self) -> F32:
        """The last partial frame, at the last gain."""
        out = (self._pending * np.float32(self._last_gain)).astype(np.float32)
        self._pending = np.zeros(0, np.float32)
        return out
