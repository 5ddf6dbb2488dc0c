"""Benchmark the render pipeline (issue 2). Prints figures and their ratio to the goals.

1. End-to-end realtime factor (seconds of audio per second of wall time) for each sample script,
   with an empty cache, offline voice. Goal: >= 150x on this 2-core machine.
2. The processing and encoding stage against two-pass ffmpeg `loudnorm` (the ffmpeg-normalize
   way) on the same WAV: time ratio, and both outputs' loudness error and true peak measured by
   ffmpeg's `ebur128` filter. Goal: faster and at least as accurate.
3. Peak memory (RSS of the whole process tree, ffmpeg included) rendering a 60-minute script.
   Goal: <= 300 MB.

    python scripts/bench_render.py [--skip-memory] [--minutes 60]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

import numpy as np

from loa import config
from loa.params import audio_params, engine_params, pauses, render_params
from pipeline.audio import decode_file, measure_file_ebur128, process_to_mp3
from pipeline.render import RenderRequest, render
from pipeline.text import prepare
from pipeline.tts import build_chain, synthesize_utterances

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_audio import loudnorm  # noqa: E402  (the two-pass recipe, shared with bench_audio)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "media" / "samples").glob("*.txt"))
log = logging.getLogger("bench_render")


def settings_in(folder: Path, **overrides: object) -> config.Settings:
    return config.load(env={"LOA_DATA_DIR": str(folder)}, **overrides)


def end_to_end(tmp: Path) -> None:
    print("== 1. end-to-end render, empty cache, offline voice (espeak-ng) ==")
    total_audio = total_wall = 0.0
    for sample in SAMPLES:
        s = settings_in(tmp / f"e2e-{sample.stem}", engine_order=("espeak",))
        t0 = time.perf_counter()
        result = render(RenderRequest(text=sample.read_text("utf-8"), title=sample.stem), render_params(s))
        wall = time.perf_counter() - t0
        total_audio += result.duration_s
        total_wall += wall
        print(f"{sample.name:32s} {result.duration_s:7.1f} s audio in {wall:6.2f} s = {result.duration_s / wall:6.1f}x"
              f"   {result.loudness_lufs:6.2f} LUFS {result.true_peak_dbtp:6.2f} dBTP")
    rtf = total_audio / total_wall
    print(f"{'all samples':32s} {total_audio:7.1f} s audio in {total_wall:6.2f} s = {rtf:6.1f}x"
          f"   (goal >= 150x: {rtf / 150:.2f} of goal)")
    s = settings_in(tmp / "e2e-chain")  # default chain: gTTS is tried first and fails offline
    text = SAMPLES[0].read_text("utf-8")
    t0 = time.perf_counter()
    result = render(RenderRequest(text=text), render_params(s))
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    second_result = render(RenderRequest(text=SAMPLES[1].read_text("utf-8")), render_params(s))  # gTTS now cooling down
    second = time.perf_counter() - t0
    t0 = time.perf_counter()
    render(RenderRequest(text=text), render_params(s))
    cached = time.perf_counter() - t0
    print(f"default chain offline: first render {first:.2f} s (gTTS fails, engine={result.engine}), "
          f"next render {second:.2f} s for {second_result.duration_s:.0f} s of audio (gTTS on cooldown), cache hit {cached * 1000:.0f} ms")


def speech_wav(path: Path, s: config.Settings) -> float:
    """The long sample spoken by espeak-ng, unprocessed, as 16-bit WAV: the stage's common input."""
    chain = build_chain(engine_params(s))
    engine = chain.candidates()[0]
    voice = chain.voice_for(engine)
    sr = engine.sample_rate(voice)
    utterances = prepare((ROOT / "media/samples/ke-hoach-24-KH-HU.txt").read_text("utf-8"))
    frames = 0
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        for block in synthesize_utterances(utterances, engine, voice, 1.0, pauses(s)):
            w.writeframes((np.clip(block, -1, 1) * 32767).astype("<i2").tobytes())
            frames += len(block)
    return frames / sr


def stage_vs_loudnorm(tmp: Path) -> None:
    print("\n== 2. processing + encoding stage vs two-pass ffmpeg loudnorm, same WAV ==")
    s = settings_in(tmp / "stage", engine_order=("espeak",))
    wav = tmp / "speech.wav"
    seconds = speech_wav(wav, s)
    print(f"input: {seconds:.1f} s of espeak-ng speech, {wav.stat().st_size / 1e6:.1f} MB WAV")

    ours = tmp / "ours.mp3"
    t0 = time.perf_counter()
    blocks, sr = decode_file(wav, s.max_recording_s)
    process_to_mp3(blocks, sr, ours, audio_params(s))
    t_ours = time.perf_counter() - t0

    theirs = tmp / "loudnorm.mp3"
    t0 = time.perf_counter()
    loudnorm(wav, theirs, s, lame_quality=7)  # the same LAME quality as Loa's encoder
    t_theirs = time.perf_counter() - t0

    target = s.loudness_target_lufs
    for name, path, took in (("loa chain", ours, t_ours), ("ffmpeg loudnorm x2", theirs, t_theirs)):
        m = measure_file_ebur128(path)
        print(f"{name:20s} {took:6.2f} s ({seconds / took:6.1f}x realtime)  {m.integrated:6.2f} LUFS "
              f"(error {m.integrated - target:+.2f} LU)  true peak {m.true_peak_dbtp:6.2f} dBTP")
    print(f"time ratio loudnorm / loa: {t_theirs / t_ours:.2f}x (goal > 1)")


def tree_rss_kb(pid: int) -> int:
    """Sum of VmRSS over a process and its descendants (Linux /proc)."""
    total = 0
    pids = [pid]
    while pids:
        p = pids.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
            pids.extend(int(c) for c in children)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def peak_memory(tmp: Path, minutes: float) -> None:
    print(f"\n== 3. peak memory rendering a {minutes:.0f}-minute script ==")
    base = (ROOT / "media/samples/ke-hoach-24-KH-HU.txt").read_text("utf-8")
    copies = max(1, round(minutes * 60 / 700))  # the plan reads in about 700 s with espeak-ng
    script = tmp / "long.txt"
    script.write_text("\n\n".join(f"Phần {i + 1}.\n{base}" for i in range(copies)), "utf-8")
    env = {**os.environ, "LOA_DATA_DIR": str(tmp / "memory"), "LOA_ENGINE_ORDER": "espeak"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "loa", "render", str(script), "--json", "--no-progress"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_kb(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"render failed with exit code {proc.returncode}")
    meta = json.loads(out)
    mb = peak / 1024
    print(f"{meta['duration_s'] / 60:.1f} min of audio in {wall:.1f} s ({meta['duration_s'] / wall:.1f}x, "
          f"process start included); peak RSS {mb:.0f} MB (goal <= 300 MB: {'met' if mb <= 300 else 'missed'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-memory", action="store_true", help="skip the 60-minute memory run")
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the memory run's script")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        end_to_end(tmp)
        stage_vs_loudnorm(tmp)
        if not args.skip_memory:
            peak_memory(tmp, args.minutes)


if __name__ == "__main__":
    main()
