"""True-peak limiter and the loudness it is expected to take away.

The limiter looks at the 4x oversampled signal (soxr), turns every inter-sample peak above the
ceiling into a required gain, and builds a smooth gain curve that is guaranteed to be at or below
every requirement: a forward running minimum over the lookahead window followed by a moving average
of the same length (so the gain ramps down linearly over the lookahead before a peak instead of
jumping), then a one-pole release. All of it is vectorized (``minimum_filter1d``, ``cumsum``,
``lfilter``) with state carried across blocks; output lags input by the lookahead plus soxr's delay.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import soxr
from scipy import signal
from scipy.ndimage import minimum_filter1d

from pipeline.audio.meter import SUBS_PER_BLOCK, integrated_loudness

F32 = npt.NDArray[np.float32]


class TruePeakLimiter:
    def __init__(self, sample_rate: int, ceiling_dbtp: float, lookahead_ms: float = 5.0,
                 release_ms: float = 80.0) -> None:
        self.ceiling = 10.0 ** (ceiling_dbtp / 20.0)
        self.lookahead = max(2, 2 * round(lookahead_ms * sample_rate / 2000.0))  # even
        self._release = math.exp(-1000.0 / (release_ms * sample_rate))
        self._up = soxr.ResampleStream(sample_rate, 4 * sample_rate, 1, dtype="float32", quality="HQ")
        self._upbuf = np.zeros(0, np.float32)
        self._x = np.zeros(0, np.float32)  # input not yet emitted, from index ``_s``
        self._req = np.ones(self.lookahead)  # required gains from index _s - lookahead to _p
        self._prev_peak = 0.0
        self._zr = np.array([self._release])  # release filter state, gain 1.0
        self.min_gain = 1.0

    def process(self, x: F32) -> F32:
        x = np.asarray(x, dtype=np.float32)
        self._x = np.concatenate([self._x, x])
        self._upbuf = np.concatenate([self._upbuf, self._up.resample_chunk(x, last=False)])
        return self._emit(final=False)

    def flush(self) -> F32:
        self._upbuf = np.concatenate([self._upbuf, self._up.resample_chunk(np.zeros(0, np.float32), last=True)])
        return self._emit(final=True)

    def _emit(self, final: bool) -> F32:
        pending_peaks = len(self._x) - (len(self._req) - self.lookahead)  # inputs without a peak yet
        n_groups = min(len(self._upbuf) // 4, pending_peaks)
        groups = np.abs(self._upbuf[: 4 * n_groups]).reshape(-1, 4).max(axis=1)
        self._upbuf = self._upbuf[4 * n_groups :]
        if final and n_groups < pending_peaks:  # soxr may return a few samples fewer at the very end
            groups = np.concatenate([groups, np.zeros(pending_peaks - n_groups, np.float32)])
        first = len(self._req) - self.lookahead
        xs = np.abs(self._x[first : first + len(groups)])
        peak = np.maximum(groups, xs).astype(np.float64)
        # A sample's gain also shapes the curve just before it: cover (n-1, n+1).
        shifted = np.concatenate([[self._prev_peak], peak])[: len(peak)]
        if len(peak):
            self._prev_peak = float(peak[-1])
        need = np.minimum(1.0, self.ceiling / np.maximum(np.maximum(peak, shifted), 1e-12))
        req = np.concatenate([self._req, need])
        if final:
            req = np.concatenate([req, np.ones(self.lookahead)])
        la = self.lookahead
        n_out = len(req) - 2 * la  # samples whose whole window is known
        if n_out <= 0:
            self._req = req
            return np.zeros(0, np.float32)
        # gmin[t] = min(req[t .. t+la]) for t from -la (relative to the first output) onward.
        gmin = minimum_filter1d(req, size=la + 1, mode="nearest")[la // 2 : la // 2 + n_out + la]
        cs = np.concatenate([[0.0], np.cumsum(gmin)])
        gbox = (cs[la + 1 : la + 1 + n_out] - cs[:n_out]) / (la + 1)
        a = self._release
        rel, self._zr = signal.lfilter([1.0 - a], [1.0, -a], gbox, zi=self._zr)
        gain = np.minimum(gbox, rel)
        self.min_gain = min(self.min_gain, float(gain.min()))
        out = (self._x[:n_out] * gain).astype(np.float32)
        self._x = self._x[n_out:]
        self._req = req[n_out:] if not final else req[n_out : n_out + 0]
        return out


def predicted_gain_db(sub_energies: npt.NDArray[np.floating], sub_peaks: npt.NDArray[np.floating], sub: int,
                      target_lufs: float, ceiling_dbtp: float, sample_rate: int,
                      release_ms: float = 80.0, iterations: int = 6) -> float:
    """Gain that brings the signal to ``target_lufs`` after the limiter has shaved its peaks.

    Works on 10 ms sub-blocks: for a trial gain, each sub-block's limiter gain is estimated from its
    sample peak (widened by one sub-block for the lookahead, with the same release), the gated
    loudness of the limited signal is computed, and the gain is corrected until it converges.
    Sample peaks slightly under-read true peaks, which the final measurement reports honestly.
    """
    energies = np.asarray(sub_energies, dtype=np.float64)
    peaks = np.asarray(sub_peaks, dtype=np.float64)
    if len(energies) < SUBS_PER_BLOCK:
        mean = float(energies.sum()) / max(1, len(energies) * sub)
        level = -0.691 + 10.0 * math.log10(mean) if mean > 0 else -math.inf
        return target_lufs - level if math.isfinite(level) else 0.0
    base = integrated_loudness(energies, sub)
    if not math.isfinite(base):
        return 0.0
    gain_db = target_lufs - base
    ceiling = 10.0 ** (ceiling_dbtp / 20.0)
    a = math.exp(-1000.0 * sub / (release_ms * sample_rate))
    peaks = np.maximum.reduce([peaks, np.roll(peaks, 1), np.roll(peaks, -1)])
    for _ in range(iterations):
        g = 10.0 ** (gain_db / 20.0)
        need = np.minimum(1.0, ceiling / np.maximum(peaks * g, 1e-12))
        rel = signal.lfilter([1.0 - a], [1.0, -a], need, zi=[a])[0]
        lim = np.minimum(need, rel)
        level = integrated_loudness(energies * (g * lim) ** 2, sub)
        step = target_lufs - level
        gain_db += step
        if abs(step) < 0.005:
            break
    return gain_db
