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

Each pass is its list of steps (``PASS_1``, ``PASS_2``), functions taking a block and the pass's
state and returning a block, applied in order as LibreTime's analyzer applies its steps; a last
call with an empty block and ``state.last`` set flushes what the filters still hold.

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

from pipeline.audio.decode import decode_file
from pipeline.audio.dsp import Compressor, Highpass, LevelTracker, Resampler, SilenceTrimmer, to_mono
from pipeline.audio.ffmpeg import Mp3Encoder
from pipeline.audio.limiter import LimiterModel, TruePeakLimiter
from pipeline.audio.meter import Loudness, LoudnessMeter, measure
from pipeline.params import AudioParams
from pipeline.types import AudioReport, PipelineError

log = logging.getLogger(__name__)

CHUNK = 1 << 16
#: A jingle is seconds long: a longer file is surely not one.
MAX_JINGLE_S = 600.0
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


@dataclasses.dataclass
class _Pass1:
    """The state of pass 1's steps (filters carry state from block to block) and its meters."""

    in_rate: int
    fs: int
    highpass_hz: float
    spool: BinaryIO
    last: bool = False  # True for the final call, which flushes what the filters still hold
    seen: int = 0  # input frames

    def __post_init__(self) -> None:
        self.resampler = Resampler(self.in_rate, self.fs)
        self.hpf = Highpass(self.highpass_hz, self.fs)
        self.trimmer = SilenceTrimmer(self.fs)
        self.tracker = LevelTracker(self.fs)
        self.comp = Compressor(self.fs, ratio=COMPRESSOR_RATIO)
        self.meter_in = LoudnessMeter(self.in_rate, true_peak=False)  # input loudness, for the report
        self.meter = LoudnessMeter(self.fs, true_peak=False, keep_peaks=True)


def _mono(block: npt.ArrayLike, s: _Pass1) -> F32:
    x = to_mono(block)
    if s.last:
        return x
    if not np.all(np.isfinite(x)):
        raise PipelineError("Âm thanh đầu vào hỏng: có giá trị không hợp lệ (NaN/vô cực).")
    s.seen += len(x)
    s.meter_in.add(x)
    return x


def _resample(x: F32, s: _Pass1) -> F32:
    return s.resampler.process(x, last=s.last)


def _highpass(x: F32, s: _Pass1) -> F32:
    return s.hpf.process(x)


def _trim(x: F32, s: _Pass1) -> F32:
    return s.trimmer.process(x)


def _compress(x: F32, s: _Pass1) -> F32:
    if len(x):
        level = s.tracker.update(x)
        # Until the first 100 ms of sound have set a level, nothing to compress against.
        x = s.comp.process(x, level + COMPRESSOR_THRESHOLD_DB) if level is not None else x
    return np.concatenate([x, s.comp.flush()]) if s.last else x


def _spool(x: F32, s: _Pass1) -> F32:
    """Meter the compressed speech and keep it in the raw file for pass 2."""
    if len(x):
        s.meter.add(x)
        s.spool.write(x.tobytes())
    return x


#: Pass 1, block by block. Silence is judged after the high-pass (see the module docstring).
PASS_1: tuple[Callable[[Any, _Pass1], Any], ...] = (_mono, _resample, _highpass, _trim, _compress, _spool)


def _apply(steps: Iterable[Callable[[Any, Any], Any]], data: Any, state: Any) -> Any:
    """Run one block through the steps, in order, as LibreTime's analyzer runs its steps."""
    for step in steps:
        data = step(data, state)
    return data


def _first_pass(blocks: Iterable[npt.ArrayLike], in_rate: int, raw: Path, audio: AudioParams,
                ) -> tuple[int, LoudnessMeter, float, int, Compressor]:
    """Run ``PASS_1`` over the blocks into ``raw``.

    Returns (samples to keep, meter of the compressed signal, input loudness, samples trimmed at
    the head, the compressor).
    """
    fs = audio.sample_rate
    with raw.open("wb") as fh:
        s = _Pass1(in_rate, fs, audio.highpass_hz, fh)
        # The caller's iterator (TTS synthesis, or a decoder) runs in this thread, the DSP on a
        # worker: both spend their time in C code that releases the GIL, so they overlap on 2 cores.
        with BackgroundConsumer(functools.partial(_apply, PASS_1, state=s)) as worker:
            for block in blocks:
                worker.put(block)
        s.last = True
        _apply(PASS_1, np.zeros(0, np.float32), s)
    trimmer = s.trimmer
    if not trimmer.started:
        raise PipelineError("Âm thanh trống: chỉ có im lặng, không có gì để phát.")
    keep = min(trimmer.emitted, trimmer.last_sound_end + int(TAIL_MARGIN_S * fs))
    head_trim = max(0, round(s.seen * fs / in_rate) - trimmer.emitted)
    return keep, s.meter, _loudness(s.meter_in), head_trim, s.comp


def _loudness(meter: LoudnessMeter) -> float:
    """Gated loudness, or for sound shorter than one 400 ms gating block its plain mean."""
    level = meter.integrated()
    if math.isfinite(level):
        return level
    e = meter.sub_energies
    mean = float(e.sum()) / max(1, len(e) * meter.sub)
    return -0.691 + 10.0 * math.log10(mean) if mean > 0 else -math.inf


def load_jingle(path: Path, audio: AudioParams) -> F32:
    """A jingle as mono float32 at the chain's rate, levelled to the loudness target."""
    blocks, rate = decode_file(path, MAX_JINGLE_S)
    resampler = Resampler(rate, audio.sample_rate)
    parts = [resampler.process(to_mono(b)) for b in blocks]
    parts.append(resampler.process(np.zeros(0, np.float32), last=True))
    x = np.concatenate(parts)
    level = measure(x, audio.sample_rate).integrated
    if not math.isfinite(level):
        raise PipelineError(f"Nhạc hiệu {path.name} quá ngắn hoặc chỉ có im lặng.")
    return (x * 10.0 ** ((audio.loudness_target_lufs - level) / 20.0)).astype(np.float32)


def _read(fh: BinaryIO, count: int) -> F32:
    """``count`` float32 samples from the current position. Plain reads, not a memmap: mapped pages
    of an hour-long temp file would count against the process's resident memory."""
    return np.frombuffer(fh.read(4 * count), dtype=np.float32)


@dataclasses.dataclass
class _Pass2:
    """The state of pass 2's steps: the make-up gain, the limiter and the encoder (with its meter)."""

    gain: np.float32
    limiter: TruePeakLimiter
    encoder: Mp3Encoder
    last: bool = False


#: A piece of the programme: samples, and whether the make-up gain applies (speech) or not (jingle).
Piece = tuple[F32, bool]


def _gain(piece: Piece, s: _Pass2) -> F32:
    x, speech = piece
    return x * s.gain if speech else x


def _limit(x: F32, s: _Pass2) -> F32:
    return s.limiter.flush() if s.last else s.limiter.process(x)  # the last piece is empty


def _encode_step(x: F32, s: _Pass2) -> F32:
    s.encoder.write(x)
    return x


#: Pass 2, piece by piece: the MP3 is decoded and metered as it is written.
PASS_2: tuple[Callable[[Any, _Pass2], Any], ...] = (_gain, _limit, _encode_step)


def _program(raw: Path, length: int, audio: AudioParams, intro: F32 | None, outro: F32 | None,
             progress: Callable[[float], None]) -> Iterator[Piece]:
    """Intro, gap, the speech (read back from ``raw``), gap, outro, in chunks."""
    gap = np.zeros(int(audio.jingle_gap_ms * audio.sample_rate / 1000), np.float32)
    if intro is not None:
        yield intro, False
        yield gap, False
    with raw.open("rb") as fh:
        for start in range(0, length, CHUNK):
            yield _read(fh, min(CHUNK, length - start)), True
            progress(start / length)
    if outro is not None:
        yield gap, False
        yield outro, False


def _encode(raw: Path, length: int, makeup_db: float, audio: AudioParams, intro: F32 | None,
            outro: F32 | None, dest: Path, progress: Callable[[float], None],
            ) -> tuple[TruePeakLimiter, Loudness, float]:
    """Pass 2: ``PASS_2`` over the programme, and the MP3 itself decoded and metered as it is made
    (the numbers a station will actually get). Removes ``dest`` again if anything goes wrong."""
    fs = audio.sample_rate
    meter = LoudnessMeter(fs)
    s = _Pass2(gain=np.float32(10.0 ** (makeup_db / 20.0)),
               limiter=TruePeakLimiter(fs, audio.true_peak_ceiling_dbtp),
               encoder=Mp3Encoder(dest, fs, audio.mp3_bitrate_kbps, on_decoded=meter.add))
    try:
        for piece in _program(raw, length, audio, intro, outro, progress):
            _apply(PASS_2, piece, s)
        s.last = True
        _apply(PASS_2, (np.zeros(0, np.float32), False), s)
        s.encoder.close()
    except BaseException:
        s.encoder.abort()
        dest.unlink(missing_ok=True)
        raise
    return s.limiter, _result(meter), meter.frames / fs


def _result(meter: LoudnessMeter) -> Loudness:
    meter.finish()
    return dataclasses.replace(meter.result(), integrated=_loudness(meter))  # finite even under 400 ms


def _codec_loss_db(raw: Path, length: int, makeup_db: float, audio: AudioParams, tmp: Path) -> float:
    """How much loudness the MP3 encoder will take away, measured on excerpts of this programme.

    LAME at low bitrates quantizes away a few tenths of a dB of energy (0.4-0.5 LU on speech at
    64 kbit/s, none at 320), so the make-up gain is raised by what a trial encode of up to
    ``CALIBRATION_EXCERPTS`` evenly spaced 3 s excerpts loses.
    """
    fs = audio.sample_rate
    span = 3 * fs
    starts = np.linspace(0, max(0, length - span), num=min(CALIBRATION_EXCERPTS, max(1, length // span)))
    gain = np.float32(10.0 ** (makeup_db / 20.0))
    with raw.open("rb") as fh:
        parts = []
        for a in starts:
            fh.seek(4 * int(a))
            parts.append(_read(fh, min(span, length - int(a))) * gain)
    excerpt = np.concatenate(parts)
    ceiling = np.float32(10.0 ** (audio.true_peak_ceiling_dbtp / 20.0))
    excerpt = np.clip(excerpt, -ceiling, ceiling)  # stands in for the limiter; only energy matters here
    trial = tmp / "calibration.mp3"
    decoded = LoudnessMeter(fs, true_peak=False)
    encoder = Mp3Encoder(trial, fs, audio.mp3_bitrate_kbps, on_decoded=decoded.add)
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


@dataclasses.dataclass(frozen=True)
class _Spooled:
    """Pass 1's result, what pass 2 works from."""

    raw: Path
    length: int
    meter: LoudnessMeter
    input_lufs: float
    head_trim: int
    comp: Compressor


def _deliver(sp: _Spooled, audio: AudioParams, intro: F32 | None, outro: F32 | None, dest: Path,
             report: Callable[[float], None]) -> tuple[TruePeakLimiter, Loudness, float, float, bool]:
    """Pass 2, run again (at most CORRECTION_ATTEMPTS times) while the MP3 misses the target.

    Returns (limiter, delivered loudness, duration, make-up gain, whether the target was reachable).
    """
    target = audio.loudness_target_lufs
    model = LimiterModel(sp.meter.sub_energies, sp.meter.sub_peaks, sp.meter.sub, audio.true_peak_ceiling_dbtp,
                         audio.sample_rate)
    makeup_db, reachable = model.gain_for(target)
    codec_db = _codec_loss_db(sp.raw, sp.length, makeup_db, audio, sp.raw.parent)
    log.debug("input %.2f LUFS, make-up %.2f dB, codec loss %.2f dB", sp.input_lufs, makeup_db, codec_db)
    makeup_db += codec_db
    tried: list[tuple[float, float]] = []  # (make-up gain, delivered loudness)
    share = 0.55 / (1 + CORRECTION_ATTEMPTS)
    for attempt in range(1 + CORRECTION_ATTEMPTS):
        limiter, result, duration_s = _encode(sp.raw, sp.length, makeup_db, audio, intro, outro, dest,
                                              functools.partial(_scaled, report, 0.4 + attempt * share, share))
        tried.append((makeup_db, result.integrated))
        error = target - result.integrated
        if abs(error) <= CORRECTION_THRESHOLD_LU or not math.isfinite(error) or not reachable:
            break
        step = error / _slope(tried, model.slope(makeup_db - codec_db))
        makeup_db += float(np.clip(step, -3.0, 3.0))
        log.info("delivered MP3 reads %.2f LUFS; make-up gain now %.2f dB", result.integrated, makeup_db)
    return limiter, result, duration_s, makeup_db, reachable


def _notes(sp: _Spooled, audio: AudioParams, limiter: TruePeakLimiter, delivered: float, gain_db: float,
           reachable: bool) -> list[str]:
    """What the operator should know about this render, in the report."""
    notes = []
    if not reachable:
        notes.append(f"target {audio.loudness_target_lufs:.1f} LUFS not reached without distorting: peaks "
                     f"stand too far above the speech level; delivered at {delivered:.1f} LUFS")
    if sp.head_trim:
        notes.append(f"trimmed {sp.head_trim / audio.sample_rate:.2f} s of leading silence")
    if limiter.min_gain < 1.0:
        notes.append(f"limiter reduced peaks by up to {-20 * math.log10(limiter.min_gain):.1f} dB")
    if sp.comp.max_reduction_db > 0.0:
        notes.append(f"compressor reduced loud syllables by up to {sp.comp.max_reduction_db:.1f} dB")
    if gain_db > LARGE_GAIN_DB:
        notes.append(f"very quiet input: raised by {gain_db:.0f} dB, noise is raised with it")
    return notes


def process_to_mp3(blocks: Iterable[npt.ArrayLike], sample_rate: int, dest: Path, audio: AudioParams, *,
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
    intro_pcm = load_jingle(intro, audio) if intro else None
    outro_pcm = load_jingle(outro, audio) if outro else None
    report(0.0)
    try:
        with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".loa-audio-") as tmp:
            raw = Path(tmp) / "speech.f32"
            sp = _Spooled(raw, *_first_pass(blocks, sample_rate, raw, audio))
            report(0.4)
            limiter, result, duration_s, gain_db, reachable = _deliver(sp, audio, intro_pcm, outro_pcm, dest, report)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    notes = _notes(sp, audio, limiter, result.integrated, gain_db, reachable)
    report(1.0)
    return AudioReport(integrated_lufs=result.integrated, true_peak_dbtp=result.true_peak_dbtp,
                       duration_s=duration_s, input_lufs=sp.input_lufs, gain_db=gain_db, notes=notes)
