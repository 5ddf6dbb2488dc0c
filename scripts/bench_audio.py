"""Benchmark Loa's audio chain against two-pass ffmpeg ``loudnorm`` (the ffmpeg-normalize recipe).

    .venv/bin/python scripts/bench_audio.py [--minutes 10] [--long-minutes 60] [--skip-long]

1. Builds a ~10-minute speech WAV (16 kHz) by concatenating tests/data/speech-vi clips with pauses
   and a +-6 dB spread of levels, as a day's worth of uploaded recordings would have.
2. Renders it with Loa (decode, chain, MP3) and with two-pass loudnorm (pass 1 print_format=json;
   pass 2 measured_* and linear=true, -ar 44100, libmp3lame 64k), timing wall and CPU time, and
   measures both MP3s with ffmpeg's ebur128 meter (independent of Loa's meter).
3. Renders a long synthetic "script" (clips resampled to 22.05 kHz, like Piper output, fed as
   blocks) in a child process and reports its speed and peak RSS (the budget is 300 MB for 60 min).

Wall times on a shared machine are noisy; CPU times (ours + ffmpeg children) are the fairer figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soxr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loa.config import Settings  # noqa: E402
from loa.params import audio_params  # noqa: E402
from pipeline.audio import decode_file, measure_file_ebur128, process_to_mp3  # noqa: E402
from pipeline.audio.ffmpeg import ffmpeg_exe  # noqa: E402

SPEECH = ROOT / "tests" / "data" / "speech-vi"


def clips(rate: int) -> list[np.ndarray]:
    out = []
    for path in sorted(SPEECH.glob("*.wav")):
        with wave.open(str(path)) as w:
            x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
            out.append(soxr.resample(x, w.getframerate(), rate) if w.getframerate() != rate else x)
    return out


def speech_stream(rate: int, seconds: float, seed: int = 0) -> Iterator[np.ndarray]:
    """Clips in random order with random levels (+-6 dB) and pauses, until ``seconds`` of audio."""
    rng = np.random.default_rng(seed)
    pool = clips(rate)
    done = 0
    while done < seconds * rate:
        clip = pool[rng.integers(len(pool))] * np.float32(10 ** (rng.uniform(-6, 6) / 20))
        pause = np.zeros(int(rate * rng.uniform(0.25, 0.9)), np.float32)
        done += len(clip) + len(pause)
        yield np.clip(clip, -1, 1)
        yield pause


def write_wav(path: Path, rate: int, seconds: float) -> float:
    x = np.concatenate(list(speech_stream(rate, seconds)))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((x * 32767).astype("<i2").tobytes())
    return len(x) / rate


def cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(fn) -> tuple[object, float, float]:
    w, c = time.perf_counter(), cpu()
    result = fn()
    return result, time.perf_counter() - w, cpu() - c


def loa(src: Path, dest: Path, settings: Settings) -> object:
    blocks, rate = decode_file(src, settings.max_recording_s)
    return process_to_mp3(blocks, rate, dest, audio_params(settings))


def loudnorm(src: Path, dest: Path, settings: Settings, lame_quality: int | None) -> dict[str, str]:
    target = f"I={settings.loudness_target_lufs}:TP={settings.true_peak_ceiling_dbtp}:LRA=11"
    first = subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-nostats", "-i", str(src), "-af",
                            f"loudnorm={target}:print_format=json", "-f", "null", "-"],
                           capture_output=True, text=True, check=True)
    m = _last_json(first.stderr)
    measured = (f"measured_I={m['input_i']}:measured_TP={m['input_tp']}:measured_LRA={m['input_lra']}:"
                f"measured_thresh={m['input_thresh']}:offset={m['target_offset']}:linear=true")
    quality = ["-compression_level", str(lame_quality)] if lame_quality is not None else []
    second = subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-nostats", "-y", "-i", str(src), "-af",
                             f"loudnorm={target}:{measured}:print_format=json", "-ar", "44100", "-ac", "1",
                             "-c:a", "libmp3lame", "-b:a", f"{settings.mp3_bitrate_kbps}k", *quality, str(dest)],
                            capture_output=True, text=True, check=True)
    return _last_json(second.stderr)


def _last_json(text: str) -> dict[str, str]:
    result: dict[str, str] = json.loads(text[text.rindex("{") : text.rindex("}") + 1])
    return result


def long_run(minutes: float) -> None:
    """Child process: render ``minutes`` of 22.05 kHz blocks; print JSON with speed and peak RSS."""
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        seconds = minutes * 60
        report, wall, cpu_s = timed(lambda: process_to_mp3(speech_stream(22_050, seconds, seed=1), 22_050,
                                                           Path(tmp) / "long.mp3", audio_params(settings)))
        independent = measure_file_ebur128(Path(tmp) / "long.mp3")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"audio_s": report.duration_s, "wall_s": wall, "cpu_s": cpu_s, "rss_mb": rss_mb,  # type: ignore[attr-defined]
                      "lufs": independent.integrated, "tp": independent.true_peak_dbtp}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the comparison WAV")
    parser.add_argument("--long-minutes", type=float, default=60.0, help="length of the memory/speed run")
    parser.add_argument("--skip-long", action="store_true", help="skip the long memory/speed run")
    parser.add_argument("--_long-child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._long_child:
        long_run(args._long_child)
        return
    settings = Settings()
    target = settings.loudness_target_lufs
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        src = tmp / "speech.wav"
        seconds = write_wav(src, 16_000, args.minutes * 60)
        rows = []
        _, wall, cpu_s = timed(lambda: loa(src, tmp / "loa.mp3", settings))
        rows.append(("Loa chain (LAME q7)", wall, cpu_s, measure_file_ebur128(tmp / "loa.mp3")))
        for label, quality in (("ffmpeg loudnorm x2 (LAME q7)", 7), ("ffmpeg loudnorm x2 (LAME default)", None)):
            out = tmp / f"loudnorm-{quality}.mp3"
            second_pass, wall, cpu_s = timed(lambda out=out, quality=quality: loudnorm(src, out, settings, quality))
            note = f" [{second_pass['normalization_type']}]"  # type: ignore[index]
            rows.append((label + note, wall, cpu_s, measure_file_ebur128(out)))
        print(f"\n{seconds / 60:.1f} min of speech (16 kHz WAV) -> 44.1 kHz mono MP3 "
              f"{settings.mp3_bitrate_kbps} kbit/s, target {target} LUFS / {settings.true_peak_ceiling_dbtp} dBTP")
        print(f"{'':44} {'wall s':>7} {'x RT':>6} {'CPU s':>7} {'LUFS':>6} {'err LU':>7} {'TP dBTP':>8}")
        for label, wall, cpu_s, m in rows:
            print(f"{label:44} {wall:7.2f} {seconds / wall:6.0f} {cpu_s:7.2f} {m.integrated:6.1f} "
                  f"{m.integrated - target:+7.1f} {m.true_peak_dbtp:8.1f}")
        ours = rows[0]
        for label, wall, cpu_s, _ in rows[1:]:
            print(f"Loa vs {label}: {wall / ours[1]:.1f}x faster (wall), {cpu_s / ours[2]:.1f}x less CPU")
    if not args.skip_long:
        child = subprocess.run([sys.executable, __file__, "--_long-child", str(args.long_minutes)],
                               capture_output=True, text=True, check=True)
        r = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"\n{r['audio_s'] / 60:.1f} min script as 22.05 kHz blocks: wall {r['wall_s']:.1f} s "
              f"({r['audio_s'] / r['wall_s']:.0f}x realtime), CPU {r['cpu_s']:.1f} s "
              f"({r['audio_s'] / r['cpu_s']:.0f}x realtime per core), peak RSS {r['rss_mb']:.0f} MB, "
              f"ebur128 {r['lufs']:.1f} LUFS / {r['tp']:.1f} dBTP")


if __name__ == "__main__":
    main()
