"""The horn-loudspeaker chain, from speech blocks to an untagged MP3, in bounded memory.

Three passes, none holding more than a block in memory:

1. stream the input through mono -> soxr resample -> high-pass -> head-trim into a raw float32 file
   (next to the destination) while metering its loudness and remembering where the sound ends;
2. rewrite that file in place (memmap) through a pre-gain that puts the speech at the target
   level, so the compressor's threshold means the same thing for a quiet phone recording and for a
   hot TTS voice, and the compressor itself; meter again, keeping 10 ms energies and peaks;
3. stream it through the make-up gain (predicted so that the result lands on target *after* the
   limiter and after the MP3 encoder's own loudness loss, see ``_codec_loss_db``) and the true-peak
   limiter into ffmpeg's MP3 encoder, with the optional intro and outro jingles (levelled to the
   same target) around it; then decode the MP3 and meter it, which is what the report says. If it
   still misses the target by more than 0.2 LU, pass 3 runs once more with the error corrected.
"""

from __future__ import annotations

import logging
import math
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from loa.config import Settings
from pipeline.audio.decode import decode_file
from pipeline.audio.dsp import Compressor, Highpass, Resampler, SilenceTrimmer, to_mono
from pipeline.audio.ffmpeg import Mp3Encoder, decode_pcm, probe
from pipeline.audio.limiter import TruePeakLimiter, predicted_gain_db
from pipeline.audio.meter import Loudness, LoudnessMeter, measure
from pipeline.types import AudioReport, PipelineError

log = logging.getLogger(__name__)

CHUNK = 1 << 16
#: Compressor threshold relative to the target loudness (after the pre-gain), and its ratio.
COMPRESSOR_THRESHOLD_LU = 0.0
COMPRESSOR_RATIO = 2.5
#: Silence kept after the last sound.
TAIL_MARGIN_S = 0.2
#: A gain above this means a very quiet (probably noisy) recording: say so in the report.
LARGE_GAIN_DB = 30.0
#: Excerpts encoded to measure the codec's loudness loss; a larger loss is not believed.
CALIBRATION_EXCERPTS = 8
MAX_CODEC_LOSS_DB = 2.0
#: If the delivered MP3 still reads further than this from target, pass 3 runs again (at most
#: CORRECTION_ATTEMPTS more times) with the make-up gain corrected by the error.
CORRECTION_THRESHOLD_LU = 0.2
CORRECTION_ATTEMPTS = 2


def _slope(tried: list[tuple[float, float]]) -> float:
    """LU of output per dB of make-up gain: 1 without limiting, less when the limiter works hard."""
    if len(tried) < 2 or tried[-1][0] == tried[-2][0]:
        return 1.0
    (g0, l0), (g1, l1) = tried[-2], tried[-1]
    return min(1.0, max(0.25, (l1 - l0) / (g1 - g0)))

F32 = npt.NDArray[np.float32]


def _first_pass(blocks: Iterable[npt.ArrayLike], in_rate: int, raw: Path, settings: Settings,
                ) -> tuple[int, float, int]:
    """Resample, high-pass and head-trim into ``raw``. Returns (samples to keep, loudness, trimmed head)."""
    fs = settings.sample_rate
    resampler = Resampler(in_rate, fs)
    hpf = Highpass(settings.highpass_hz, fs)
    trimmer = SilenceTrimmer(fs)
    meter = LoudnessMeter(fs, true_peak=False)
    seen = 0

    def push(y: F32, fh: object) -> None:
        y = trimmer.process(hpf.process(y))
        if len(y):
            meter.add(y)
            fh.write(y.tobytes())  # type: ignore[attr-defined]

    with raw.open("wb") as fh:
        for block in blocks:
            x = to_mono(block)
            if not np.all(np.isfinite(x)):
                raise PipelineError("Âm thanh đầu vào hỏng: có giá trị không hợp lệ (NaN/vô cực).")
            seen += len(x)
            push(resampler.process(x), fh)
        push(resampler.process(np.zeros(0, np.float32), last=True), fh)
    if not trimmer.started:
        raise PipelineError("Âm thanh trống: chỉ có im lặng, không có gì để phát.")
    keep = min(trimmer.emitted, trimmer.last_sound_end + int(TAIL_MARGIN_S * fs))
    resampled_total = round(seen * fs / in_rate)
    head_trim = max(0, resampled_total - trimmer.emitted)
    return keep, _loudness(meter), head_trim


def _loudness(meter: LoudnessMeter) -> float:
    """Gated loudness, or for sound shorter than one 400 ms gating block its plain mean."""
    level = meter.integrated()
    if math.isfinite(level):
        return level
    e = meter.sub_energies
    mean = float(e.sum()) / max(1, len(e) * meter.sub)
    return -0.691 + 10.0 * math.log10(mean) if mean > 0 else -math.inf


def _compress_in_place(raw: Path, length: int, pre_gain: float, settings: Settings,
                       progress: Callable[[float], None]) -> LoudnessMeter:
    fs = settings.sample_rate
    comp = Compressor(fs, settings.loudness_target_lufs + COMPRESSOR_THRESHOLD_LU, ratio=COMPRESSOR_RATIO)
    meter = LoudnessMeter(fs, true_peak=False, keep_peaks=True)
    mm = np.memmap(raw, dtype=np.float32, mode="r+", shape=(length,))
    try:
        for start in range(0, length, CHUNK):
            y = comp.process(mm[start : start + CHUNK] * np.float32(pre_gain))
            mm[start : start + CHUNK] = y
            meter.add(y)
            progress(start / length)
        mm.flush()
    finally:
        del mm
    return meter


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


def _program(raw: Path, length: int, gain: float, settings: Settings, intro: F32 | None, outro: F32 | None,
             progress: Callable[[float], None]) -> Iterator[F32]:
    """Intro, gap, the gained speech (read back from ``raw``), gap, outro, in chunks."""
    gap = np.zeros(int(settings.jingle_gap_ms * settings.sample_rate / 1000), np.float32)
    if intro is not None:
        yield intro
        yield gap
    mm = np.memmap(raw, dtype=np.float32, mode="r", shape=(length,))
    try:
        for start in range(0, length, CHUNK):
            yield mm[start : start + CHUNK] * np.float32(gain)
            progress(start / length)
    finally:
        del mm
    if outro is not None:
        yield gap
        yield outro


def _encode(raw: Path, length: int, makeup_db: float, settings: Settings, intro: F32 | None,
            outro: F32 | None, dest: Path, progress: Callable[[float], None]) -> TruePeakLimiter:
    """Pass 3: gain, true-peak limiter, MP3. Removes ``dest`` again if anything goes wrong."""
    limiter = TruePeakLimiter(settings.sample_rate, settings.true_peak_ceiling_dbtp)
    encoder = Mp3Encoder(dest, settings.sample_rate, settings.mp3_bitrate_kbps)
    try:
        for chunk in _program(raw, length, 10.0 ** (makeup_db / 20.0), settings, intro, outro, progress):
            encoder.write(limiter.process(chunk))
        encoder.write(limiter.flush())
        encoder.close()
    except BaseException:
        encoder.abort()
        dest.unlink(missing_ok=True)
        raise
    return limiter


def _measure_mp3(path: Path, settings: Settings) -> tuple[Loudness, float]:
    """Decode the delivered MP3 and meter it (streaming): the numbers a station will actually get."""
    info = probe(path)
    meter = LoudnessMeter(info.sample_rate, info.channels)
    for block in decode_pcm(path, info):
        meter.add(block)
    meter.finish()
    return meter.result(), meter.frames / info.sample_rate


def _codec_loss_db(raw: Path, length: int, makeup_db: float, settings: Settings, tmp: Path) -> float:
    """How much loudness the MP3 encoder will take away, measured on excerpts of this programme.

    LAME at low bitrates quantizes away a few tenths of a dB of energy (0.4-0.5 LU on speech at
    64 kbit/s, none at 320), so the make-up gain is raised by what a trial encode of up to
    ``CALIBRATION_EXCERPTS`` evenly spaced 3 s excerpts loses.
    """
    fs = settings.sample_rate
    span = 3 * fs
    starts = np.linspace(0, max(0, length - span), num=min(CALIBRATION_EXCERPTS, max(1, length // span)))
    mm = np.memmap(raw, dtype=np.float32, mode="r", shape=(length,))
    try:
        gain = np.float32(10.0 ** (makeup_db / 20.0))
        excerpt = np.concatenate([mm[int(a) : int(a) + span] * gain for a in starts])
    finally:
        del mm
    ceiling = np.float32(10.0 ** (settings.true_peak_ceiling_dbtp / 20.0))
    excerpt = np.clip(excerpt, -ceiling, ceiling)  # stands in for the limiter; only energy matters here
    trial = tmp / "calibration.mp3"
    encoder = Mp3Encoder(trial, fs, settings.mp3_bitrate_kbps)
    encoder.write(excerpt)
    encoder.close()
    before = _loudness_of(excerpt, fs)
    after, _ = _measure_mp3(trial, settings)
    trial.unlink()
    loss = before - after.integrated
    if not (math.isfinite(loss) and abs(loss) < MAX_CODEC_LOSS_DB):
        return 0.0
    log.debug("codec loss on %d excerpts: %.2f dB", len(starts), loss)
    return loss


def _loudness_of(x: F32, fs: int) -> float:
    meter = LoudnessMeter(fs, true_peak=False)
    meter.add(x)
    return meter.integrated()


def process_to_mp3(blocks: Iterable[npt.ArrayLike], sample_rate: int, dest: Path, settings: Settings, *,
                   intro: Path | None = None, outro: Path | None = None,
                   on_progress: Callable[[float], None] | None = None) -> AudioReport:
    """Process speech (float32 blocks, mono or (frames, channels), any rate) into an untagged MP3.

    ``dest`` is written only in the last pass and removed again if anything fails. The report
    carries the loudness and true peak of the delivered MP3 itself, decoded and metered.
    ``on_progress`` gets fractions in [0, 1]: the first pass cannot know its length, so it reports
    only when done (0.35); the other passes report as they go.
    """
    dest = Path(dest)
    report = on_progress or (lambda _fraction: None)
    fs = settings.sample_rate
    target = settings.loudness_target_lufs
    intro_pcm = load_jingle(intro, settings) if intro else None
    outro_pcm = load_jingle(outro, settings) if outro else None
    report(0.0)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".loa-audio-") as tmp:
        raw = Path(tmp) / "speech.f32"
        length, input_lufs, head_trim = _first_pass(blocks, sample_rate, raw, settings)
        report(0.35)
        pre_db = target - input_lufs
        meter = _compress_in_place(raw, length, 10.0 ** (pre_db / 20.0), settings,
                                   lambda f: report(0.35 + 0.15 * f))
        makeup_db = predicted_gain_db(meter.sub_energies, meter.sub_peaks, meter.sub, target,
                                      settings.true_peak_ceiling_dbtp, fs)
        log.debug("input %.2f LUFS, pre-gain %.2f dB, make-up %.2f dB", input_lufs, pre_db, makeup_db)
        report(0.5)
        makeup_db += _codec_loss_db(raw, length, makeup_db, settings, Path(tmp))
        tried: list[tuple[float, float]] = []  # (make-up gain, delivered loudness)
        for attempt in range(1 + CORRECTION_ATTEMPTS):
            limiter = _encode(raw, length, makeup_db, settings, intro_pcm, outro_pcm, dest,
                              lambda f, k=attempt: report(0.5 + 0.45 * (k + f) / (1 + CORRECTION_ATTEMPTS)))
            result, duration_s = _measure_mp3(dest, settings)
            tried.append((makeup_db, result.integrated))
            error = target - result.integrated
            if abs(error) <= CORRECTION_THRESHOLD_LU or not math.isfinite(error):
                break
            makeup_db += error / _slope(tried)
            log.info("delivered MP3 reads %.2f LUFS; make-up gain now %.2f dB", result.integrated, makeup_db)
    notes = []
    if head_trim:
        notes.append(f"trimmed {head_trim / fs:.2f} s of leading silence")
    if limiter.min_gain < 1.0:
        notes.append(f"limiter reduced peaks by up to {-20 * math.log10(limiter.min_gain):.1f} dB")
    total_gain = pre_db + makeup_db
    if total_gain > LARGE_GAIN_DB:
        notes.append(f"very quiet input: raised by {total_gain:.0f} dB, noise is raised with it")
    report(1.0)
    return AudioReport(integrated_lufs=result.integrated, true_peak_dbtp=result.true_peak_dbtp,
                       duration_s=duration_s, input_lufs=input_lufs, gain_db=total_gain, notes=notes)
