"""True-peak limiter and the loudness it is expected to take away.

The limiter looks at the 4x oversampled signal (soxr), turns every inter-sample peak above the
ceiling into a required gain, and builds a smooth gain curve that is at or below every
requirement: a running minimum over a window reaching ``lookahead`` ahead and ``hold`` behind,
then a moving average as long as the lookahead (so the gain ramps down linearly before a peak
instead of jumping), then a one-pole release that slows the way back up. All of it is vectorized
(``minimum_filter1d``, ``cumsum``, ``lfilter``) with state carried across blocks. The output is the
input times that gain, sample for sample; it just comes out ``lookahead`` (plus soxr's delay) later.
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
#: The most gain the limiter may be asked to absorb beyond plain normalization.
MAX_EXTRA_GAIN_DB = 12.0
#: When the target is out of reach, stop where a dB of gain buys less than this many LU.
MIN_SLOPE = 0.35


class TruePeakLimiter:
    """Streaming look-ahead true-peak limiter (see the module docstring for how the gain is built)."""

    def __init__(self, sample_rate: int, ceiling_dbtp: float, lookahead_ms: float = 5.0, hold_ms: float = 20.0,
                 release_ms: float = 60.0) -> None:
        self.ceiling = 10.0 ** (ceiling_dbtp / 20.0)
        self.lookahead = max(2, round(lookahead_ms * sample_rate / 1000.0))
        # lookahead + hold even, so the running-minimum window (their sum + 1) has a centre sample.
        self.hold = max(0, round(hold_ms * sample_rate / 1000.0))
        self.hold += (self.lookahead + self.hold) % 2
        self._release = math.exp(-1000.0 / (release_ms * sample_rate))
        self._up = soxr.ResampleStream(sample_rate, 4 * sample_rate, 1, dtype="float32", quality="HQ")
        self._upbuf = np.zeros(0, np.float32)
        self._x = np.zeros(0, np.float32)  # input not yet emitted, from index s
        self._req = np.ones(self.lookahead + self.hold)  # required gains, index s - lookahead - hold .. p
        self._prev_peak = 0.0
        self._zr = np.array([self._release])  # release filter state, at gain 1.0
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
        la, span = self.lookahead, self.lookahead + self.hold
        known = len(self._req) - span  # inputs (from s) whose required gain is known
        pending = len(self._x) - known
        n_groups = min(len(self._upbuf) // 4, pending)
        up = np.abs(self._upbuf[: 4 * n_groups])
        groups = np.maximum(np.maximum(up[0::4], up[1::4]), np.maximum(up[2::4], up[3::4]))
        self._upbuf = self._upbuf[4 * n_groups :]
        if final and n_groups < pending:  # soxr may return a few samples fewer at the very end
            groups = np.concatenate([groups, np.zeros(pending - n_groups, np.float32)])
        # Oversampled values 4n..4n+3 lie in [n, n+1); a sample's gain also shapes (n-1, n).
        peak = np.maximum(groups, np.abs(self._x[known : known + len(groups)]))
        shifted = np.concatenate([np.array([self._prev_peak], np.float32), peak])[: len(peak)]
        if len(peak):
            self._prev_peak = float(peak[-1])
        worst = np.maximum(peak, shifted)
        if len(worst) and float(worst.max()) > self.ceiling:
            need = np.minimum(1.0, self.ceiling / np.maximum(worst.astype(np.float64), 1e-12))
        else:
            need = np.ones(len(worst))
        req = np.concatenate([self._req, need, np.ones(la) if final else np.zeros(0)])
        n_out = len(req) - span - la  # outputs whose whole window is known
        if n_out <= 0:
            self._req = req
            return np.zeros(0, np.float32)
        if float(req.min()) == 1.0 and self._zr[0] >= self._release * (1.0 - 1e-7):
            # Nothing to limit anywhere in the window and the release has settled: unity gain.
            out = self._x[:n_out]
            self._zr[0] = self._release
            self._x = self._x[n_out:]
            self._req = req[n_out:]
            return out
        # fwd[u] = min(req[u .. u + span]); gmin[t] = fwd[t - hold] = min(req[t - hold .. t + la]).
        centre = span // 2
        fwd = minimum_filter1d(req, size=span + 1, mode="nearest")[centre : centre + n_out + la]
        cs = np.concatenate([[0.0], np.cumsum(fwd)])
        gbox = (cs[la + 1 : la + 1 + n_out] - cs[:n_out]) / (la + 1)
        a = self._release
        rel, self._zr = signal.lfilter([1.0 - a], [1.0, -a], gbox, zi=self._zr)
        gain = np.minimum(gbox, rel)
        self.min_gain = min(self.min_gain, float(gain.min()))
        out = (self._x[:n_out] * gain).astype(np.float32)
        self._x = self._x[n_out:]
        self._req = req[n_out:]
        return out


class LimiterModel:
    """Predicts the loudness of the limited signal for a trial make-up gain, from 10 ms sub-blocks.

    Each sub-block's limiter gain is estimated from its sample peak, held for the limiter's hold
    time and released the same way; the gated loudness of the energies under that gain is the
    prediction. Sample peaks slightly under-read true peaks, and a sub-block is coarser than the
    real gain curve, so the chain checks the delivered file and corrects (using ``slope``).
    """

    def __init__(self, sub_energies: npt.NDArray[np.floating], sub_peaks: npt.NDArray[np.floating], sub: int,
                 ceiling_dbtp: float, sample_rate: int, release_ms: float = 60.0) -> None:
        self.energies = np.asarray(sub_energies, dtype=np.float64)
        peaks = np.asarray(sub_peaks, dtype=np.float64)
        # A peak holds the gain down from just before its sub-block to two after (lookahead + hold).
        self.peaks = np.maximum.reduce([peaks, np.roll(peaks, 1), np.roll(peaks, 2)]) if len(peaks) else peaks
        self.sub = sub
        self.ceiling = 10.0 ** (ceiling_dbtp / 20.0)
        self._a = math.exp(-1000.0 * sub / (release_ms * sample_rate))

    def loudness(self, gain_db: float) -> float:
        g = 10.0 ** (gain_db / 20.0)
        need = np.minimum(1.0, self.ceiling / np.maximum(self.peaks * g, 1e-12))
        a = self._a
        rel = signal.lfilter([1.0 - a], [1.0, -a], need, zi=[a])[0]
        energies = self.energies * (g * np.minimum(need, rel)) ** 2
        if len(energies) >= SUBS_PER_BLOCK:
            return integrated_loudness(energies, self.sub)
        mean = float(energies.sum()) / max(1, len(energies) * self.sub)  # under 400 ms: ungated mean
        return -0.691 + 10.0 * math.log10(mean) if mean > 0 else -math.inf

    def slope(self, gain_db: float) -> float:
        """LU of output per dB of gain here: 1 without limiting, less the harder the limiter works."""
        return (self.loudness(gain_db + 0.25) - self.loudness(gain_db - 0.25)) / 0.5

    def gain_for(self, target_lufs: float) -> tuple[float, bool]:
        """Make-up gain (dB) predicted to read ``target_lufs`` after limiting, and whether it can.

        Loudness only grows with gain, so this is a bisection. Recorded speech with hard transients
        may need a lot of limiting on its peaks and gets it. But material whose every pitch pulse
        stands far above its loudness (the limiter would be working all the time) saturates below
        the target: there the gain stops where each further dB buys less than ``MIN_SLOPE`` LU,
        and the second value is False.
        """
        base = self.loudness(0.0)
        if not math.isfinite(base):
            return 0.0, False
        low, high = target_lufs - base - 1.0, target_lufs - base + MAX_EXTRA_GAIN_DB
        reachable = self.loudness(high) >= target_lufs
        for _ in range(24):
            mid = (low + high) / 2
            ok = self.loudness(mid) < target_lufs if reachable else self.slope(mid) >= MIN_SLOPE
            low, high = (mid, high) if ok else (low, mid)
        return (low + high) / 2, reachable


def predicted_gain_db(sub_energies: npt.NDArray[np.floating], sub_peaks: npt.NDArray[np.floating], sub: int,
                      target_lufs: float, ceiling_dbtp: float, sample_rate: int) -> float:
    """Gain that brings the signal to ``target_lufs`` after the limiter has shaved its peaks."""
    return LimiterModel(sub_energies, sub_peaks, sub, ceiling_dbtp, sample_rate).gain_for(target_lufs)[0]
