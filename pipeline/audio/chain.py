"""The horn-loudspeaker chain, from speech blocks to an untagged MP3, in bounded memory.

Two passes over the audio, none holding more than a block in memory:

1. stream the input through mono -> soxr resample -> high-pass -> silence trim -> compressor into
   a raw float32 file next to the destination, metering it (10 ms K-weighted energies and peaks)
   and remembering where the sound ends. Silence is judged after the high-pass, so a DC offset or
   mains hum does not count as sound (for the audio kept, filtering before or after trimming is
   the same, less the filter's start-up transient). The compressor threshold follows the running
   speech level, so it acts the same on a quiet phone recording and on a hot TTS voice;
2. stream that file through the make-up gain and the true-peak limiter into ffmpeg's MP3 encoder,
   with the optional intro and outro jingles (levelled to the same target) around it.

The make-up gain is chosen so that the result lands on target *after* the limiter (predicted from
the 10 ms energies and peaks, see ``LimiterModel``) and after the MP3 encoder's own loudness
loss (measured on a trial encode of excerpts, see ``_codec_loss_db``). The MP3 is decoded and
metered while it is being encoded, and that measurement is what the report says; if it still
misses the target by more than 0.2 LU, pass 2 runs again with the error corrected.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import queue
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from loa.config import Settings
from pipeline.audio.decode import decode_file
from pipeline.audio.dsp import Compressor, Highpass, LevelTracker, Resampler, SilenceTrimmer, to_mono
from pipeline.audio.ffmpeg import Mp3Encoder
from pipeline.audio.limiter import LimiterModel, TruePeakLimiter
from pipeline.audio.meter import Loudness, LoudnessMeter, measure
from pipeline.types import AudioReport, PipelineError

log = logging.getLogger(__name__)

CHUNK = 1 << 16
#: Compressor threshold relative to the running speech level (mean square), and its ratio.
COMPRESSOR_THRESHOLD_DB = 2.0
COMPRESSOR_RATIO = 2.5
#: Silence kept after the last sound.
TAIL_MARGIN_S = 0.2
#: A gain above this means a very quiet (probably noisy) recording: say so in the report.
LARGE_GAIN_DB = 30.0
#: Excerpts encoded to measure the codec's loudness loss; a larger loss is not believed.
CALIBRATION_EXCERPTS = 8
MAX_CODEC_LOSS_DB = 2.0
#: If the delivered MP3 still reads further than this from target, pass 2 runs again (at most
#: CORRECTION_ATTEMPTS more times) with the make-up gain corrected by the error.
CORRECTION_THRESHOLD_LU = 0.2
CORRECTION_ATTEMPTS = 2


F32 = npt.NDArray[np.float32]


class BackgroundConsumer:
    """Feeds items to ``work`` on a worker thread through a short queue (bounded memory).

    Errors in ``work`` surface in the producer at its next ``put`` or at exit; if the producer
    fails (or is interrupted), the worker drops what is left and stops.
    """

    _DONE = object()

    def __init__(self, work: Callable[[Any], None], depth: int = 4) -> None:
        self._work = work
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._cancelled = False
        self._thread = threading.Thread(target=self._run, name="loa-audio-worker", daemon=True)

    def __enter__(self) -> BackgroundConsumer:
        self._thread.start()
        return self

    def _run(self) -> None:
        while (item := self._queue.get()) is not self._DONE:
            if self._error is None and not self._cancelled:
                try:
                    self._work(item)
                except BaseException as exc:  # handed to the producer
                    self._error = exc

    def put(self, item: Any) -> None:
        self._raise()
        self._queue.put(item)

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._cancelled = exc_type is not None
        self._queue.put(self._DONE)
        self._thread.join()
        if exc_type is None:
            self._raise()


def _first_pass(blocks: Iterable[npt.ArrayLike], in_rate: int, raw: Path, settings: Settings,
                ) -> tuple[int, LoudnessMeter, float, int, Compressor]:
    """Resample, high-pass, trim and compress into ``raw``.

    Returns (samples to keep, meter of the compressed signal, input loudness, samples trimmed at
    the head, the compressor).
    """
    fs = settings.sample_rate
    resampler = Resampler(in_rate, fs)
    hpf = Highpass(settings.highpass_hz, fs)
    trimmer = SilenceTrimmer(fs)
    tracker = LevelTracker(fs)
    comp = Compressor(fs, ratio=COMPRESSOR_RATIO)
    meter_in = LoudnessMeter(in_rate, true_peak=False)  # input loudness, for the report only
    meter = LoudnessMeter(fs, true_peak=False, keep_peaks=True)
    seen = 0

    def push(y: F32, fh: BinaryIO, last: bool = False) -> None:
        y = trimmer.process(hpf.process(y))
        if len(y):
            level = tracker.update(y)
            # Until the first 100 ms of sound have set a level, nothing to compress against.
            y = comp.process(y, level + COMPRESSOR_THRESHOLD_DB) if level is not None else y
        if last:
            y = np.concatenate([y, comp.flush()])
        if len(y):
            meter.add(y)
            fh.write(y.tobytes())

    def take(block: npt.ArrayLike, fh: BinaryIO) -> None:
        nonlocal seen
        x = to_mono(block)
        if not np.all(np.isfinite(x)):
            raise PipelineError("Âm thanh đầu vào hỏng: có giá trị không hợp lệ (NaN/vô cực).")
        seen += len(x)
        meter_in.add(x)
        push(resampler.process(x), fh)

    with raw.open("wb") as fh:
        # The caller's iterator (TTS synthesis, or a decoder) runs in this thread, the DSP on a
        # worker: both spend their time in C code that releases the GIL, so they overlap on 2 cores.
        with BackgroundConsumer(functools.partial(take, fh=fh)) as worker:
            for block in blocks:
                worker.put(block)
        push(resampler.process(np.zeros(0, np.float32), last=True), fh, last=True)
    if not trimmer.started:
        raise PipelineError("Âm thanh trống: chỉ có im lặng, không có gì để phát.")
    keep = min(trimmer.emitted, trimmer.last_sound_end + int(TAIL_MARGIN_S * fs))
    head_trim = max(0, round(seen * fs / in_rate) - trimmer.emitted)
    return keep, meter, _loudness(meter_in), head_trim, comp


def _loudness(meter: LoudnessMeter) -> float:
    """Gated loudness, or for sound shorter than one 400 ms gating block its plain mean."""
    level = meter.integrated()
    if math.isfinite(level):
        return level
    e = meter.sub_energies
    mean = float(e.sum()) / max(1, len(e) * meter.sub)
    return -0.691 + 10.0 * math.log10(mean) if mean > 0 else -math.inf


def load_jingle(path: Path, settings: Settings) -> F32:
    """A jingle as mono float32 at the chain's rate, levelled to the loudness target."""
    blocks, rate = decode_file(path, settings)
    resampler = Resampler(rate, settings.sample_rate)
    parts = [resampler.process(to_mono(b)) for b in blocks]
    parts.append(resampler.process(np.zeros(0, np.float32), last=True))
    x = np.concatenate(parts)
    level = measure(x, settings.sample_rate).integrated
    if not math.isfinite(level):
        raise PipelineError(f"Nhạc hiệu {path.name} quá ngắn hoặc chỉ có im lặng.")
    return (x * 10.0 ** ((settings.loudness_target_lufs - level) / 20.0)).astype(np.float32)


def _read(fh: BinaryIO, count: int) -> F32:
    """``count`` float32 samples from the current position. Plain reads, not a memmap: mapped pages
    of an hour-long temp file would count against the process's resident memory."""
    return np.frombuffer(fh.read(4 * count), dtype=np.float32)


def _program(raw: Path, length: int, gain: float, settings: Settings, intro: F32 | None, outro: F32 | None,
             progress: Callable[[float], None]) -> Iterator[F32]:
    """Intro, gap, the gained speech (read back from ``raw``), gap, outro, in chunks."""
    gap = np.zeros(int(settings.jingle_gap_ms * settings.sample_rate / 1000), np.float32)
    if intro is not None:
        yield intro
        yield gap
    with raw.open("rb") as fh:
        for start in range(0, length, CHUNK):
            yield _read(fh, min(CHUNK, length - start)) * np.float32(gain)
            progress(start / length)
    if outro is not None:
        yield gap
        yield outro


def _encode(raw: Path, length: int, makeup_db: float, settings: Settings, intro: F32 | None,
            outro: F32 | None, dest: Path, progress: Callable[[float], None],
            ) -> tuple[TruePeakLimiter, Loudness, float]:
    """Pass 2: gain, true-peak limiter, MP3, and the MP3 itself decoded and metered as it is made
    (the numbers a station will actually get). Removes ``dest`` again if anything goes wrong."""
    limiter = TruePeakLimiter(settings.sample_rate, settings.true_peak_ceiling_dbtp)
    meter = LoudnessMeter(settings.sample_rate)
    encoder = Mp3Encoder(dest, settings.sample_rate, settings.mp3_bitrate_kbps, on_decoded=meter.add)
    try:
        for chunk in _program(raw, length, 10.0 ** (makeup_db / 20.0), settings, intro, outro, progress):
            encoder.write(limiter.process(chunk))
        encoder.write(limiter.flush())
        encoder.close()
    except BaseException:
        encoder.abort()
        dest.unlink(missing_ok=True)
        raise
    return limiter, _result(meter), meter.frames / settings.sample_rate


def _result(meter: LoudnessMeter) -> Loudness:
    meter.finish()
    return dataclasses.replace(meter.result(), integrated=_loudness(meter))  # finite even under 400 ms


def _codec_loss_db(raw: Path, length: int, makeup_db: float, settings: Settings, tmp: Path) -> float:
    """How much loudness the MP3 encoder will take away, measured on excerpts of this programme.

    LAME at low bitrates quantizes away a few tenths of a dB of energy (0.4-0.5 LU on speech at
    64 kbit/s, none at 320), so the make-up gain is raised by what a trial encode of up to
    ``CALIBRATION_EXCERPTS`` evenly spaced 3 s excerpts loses.
    """
    fs = settings.sample_rate
    span = 3 * fs
    starts = np.linspace(0, max(0, length - span), num=min(CALIBRATION_EXCERPTS, max(1, length // span)))
    gain = np.float32(10.0 ** (makeup_db / 20.0))
    with raw.open("rb") as fh:
        parts = []
        for a in starts:
            fh.seek(4 * int(a))
            parts.append(_read(fh, min(span, length - int(a))) * gain)
    excerpt = np.concatenate(parts)
    ceiling = np.float32(10.0 ** (settings.true_peak_ceiling_dbtp / 20.0))
    excerpt = np.clip(excerpt, -ceiling, ceiling)  # stands in for the limiter; only energy matters here
    trial = tmp / "calibration.mp3"
    decoded = LoudnessMeter(fs, true_peak=False)
    encoder = Mp3Encoder(trial, fs, settings.mp3_bitrate_kbps, on_decoded=decoded.add)
    encoder.write(excerpt)
    encoder.close()
    trial.unlink()
    loss = _loudness_of(excerpt, fs) - decoded.integrated()
    if not (math.isfinite(loss) and abs(loss) < MAX_CODEC_LOSS_DB):
        return 0.0
    log.debug("codec loss on %d excerpts: %.2f dB", len(starts), loss)
    return loss


def _loudness_of(x: F32, fs: int) -> float:
    meter = LoudnessMeter(fs, true_peak=False)
    meter.add(x)
    return meter.integrated()


def _scaled(report: Callable[[float], None], start: float, share: float, fraction: float) -> None:
    """Progress of one attempt of pass 2, mapped into its share of the whole."""
    report(start + share * fraction)


def _slope(tried: list[tuple[float, float]], predicted: float) -> float:
    """LU of output per dB of make-up gain: measured once two attempts exist, else the model's."""
    if len(tried) >= 2 and tried[-1][0] != tried[-2][0]:
        (g0, l0), (g1, l1) = tried[-2], tried[-1]
        predicted = (l1 - l0) / (g1 - g0)
    return min(1.0, max(0.25, predicted))

def process_to_mp3(blocks: Iterable[npt.ArrayLike], sample_rate: int, dest: Path, settings: Settings, *,
                   intro: Path | None = None, outro: Path | None = None,
                   on_progress: Callable[[float], None] | None = None) -> AudioReport:
    """Process speech (float32 blocks, mono or (frames, channels), any rate) into an untagged MP3.

    ``dest`` is written only in the last pass and removed again if anything fails. The report
    carries the loudness and true peak of the delivered MP3 itself, decoded and metered.
    ``on_progress`` gets fractions in [0, 1]: the first pass cannot know its length, so it reports
    only when done (0.4); the second reports as it goes.
    """
    dest = Path(dest)
    report = on_progress or (lambda _fraction: None)
    fs = settings.sample_rate
    target = settings.loudness_target_lufs
    intro_pcm = load_jingle(intro, settings) if intro else None
    outro_pcm = load_jingle(outro, settings) if outro else None
    report(0.0)
    try:
        with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".loa-audio-") as tmp:
            raw = Path(tmp) / "speech.f32"
            length, meter, input_lufs, head_trim, comp = _first_pass(blocks, sample_rate, raw, settings)
            report(0.4)
            model = LimiterModel(meter.sub_energies, meter.sub_peaks, meter.sub, settings.true_peak_ceiling_dbtp,
                                 fs)
            makeup_db, reachable = model.gain_for(target)
            codec_db = _codec_loss_db(raw, length, makeup_db, settings, Path(tmp))
            log.debug("input %.2f LUFS, make-up %.2f dB, codec loss %.2f dB", input_lufs, makeup_db, codec_db)
            makeup_db += codec_db
            tried: list[tuple[float, float]] = []  # (make-up gain, delivered loudness)
            for attempt in range(1 + CORRECTION_ATTEMPTS):
                share = 0.55 / (1 + CORRECTION_ATTEMPTS)
                limiter, result, duration_s = _encode(
                    raw, length, makeup_db, settings, intro_pcm, outro_pcm, dest,
                    functools.partial(_scaled, report, 0.4 + attempt * share, share))
                tried.append((makeup_db, result.integrated))
                error = target - result.integrated
                if abs(error) <= CORRECTION_THRESHOLD_LU or not math.isfinite(error) or not reachable:
                    break
                step = error / _slope(tried, model.slope(makeup_db - codec_db))
                makeup_db += float(np.clip(step, -3.0, 3.0))
                log.info("delivered MP3 reads %.2f LUFS; make-up gain now %.2f dB", result.integrated, makeup_db)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    notes = []
    if not reachable:
        notes.append(f"target {target:.1f} LUFS not reached without distorting: peaks stand too far above "
                     f"the speech level; delivered at {result.integrated:.1f} LUFS")
    if head_trim:
        notes.append(f"trimmed {head_trim / fs:.2f} s of leading silence")
    if limiter.min_gain < 1.0:
        notes.append(f"limiter reduced peaks by up to {-20 * math.log10(limiter.min_gain):.1f} dB")
    if comp.max_reduction_db > 0.0:
        notes.append(f"compressor reduced loud syllables by up to {comp.max_reduction_db:.1f} dB")
    total_gain = makeup_db
    if total_gain > LARGE_GAIN_DB:
        notes.append(f"very quiet input: raised by {total_gain:.0f} dB, noise is raised with it")
    report(1.0)
    return AudioReport(integrated_lufs=result.integrated, true_peak_dbtp=result.true_peak_dbtp,
                       duration_s=duration_s, input_lufs=input_lufs, gain_db=total_gain, notes=notes)
