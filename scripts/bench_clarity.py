"""Benchmark: what the clarity check costs against the render it follows, and how clear each
espeak-ng accent is on the sample scripts.

Renders each sample script with espeak-ng in each accent (north vi, central vi-vn-x-central,
south vi-vn-x-south) into a fresh media store, times the render and the check (decode to 16 kHz
+ offline transcription + WER), and prints seconds per audio minute for both, their ratio, and
the clarity score (1 − WER against the spoken form) for every script and accent.

    python scripts/bench_clarity.py [--samples DIR] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ACCENTS = {"north": "vi", "central": "vi-vn-x-central", "south": "vi-vn-x-south"}
DEFAULT_SAMPLES = ROOT.parent / "shared" / "samples"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES if DEFAULT_SAMPLES.is_dir()
                    else ROOT / "media" / "samples")
    ap.add_argument("--only", nargs="*", default=None, help="sample stems to run (default: all)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from loa import config
    from loa.params import render_params
    from pipeline.clarity import check_clarity, recognizer
    from pipeline.render import RenderRequest, render

    if not recognizer.available():
        print(recognizer.MISSING_MESSAGE)
        return 1
    scripts = sorted(p for p in args.samples.glob("*.txt") if args.only is None or p.stem in args.only)
    rows = []
    tot_audio = tot_render = tot_check = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        settings = config.load(env={"LOA_DATA_DIR": tmp}, engine_order=("espeak",))
        for accent, voice in ACCENTS.items():
            for script in scripts:
                text = script.read_text("utf-8-sig")
                t0 = time.perf_counter()
                result = render(RenderRequest(text=text, title=script.stem, voice=voice), render_params(settings))
                t1 = time.perf_counter()
                report = check_clarity(result.path, text)
                t2 = time.perf_counter()
                rows.append((script.stem, accent, result.duration_s, t1 - t0, t2 - t1, report.score,
                             len(report.missed), len(report.reference.split())))
                tot_audio += result.duration_s
                tot_render += t1 - t0
                tot_check += t2 - t1
                print(f"  {accent:8s} {script.stem}: {result.duration_s:.0f} s audio, "
                      f"render {t1 - t0:.1f} s, check {t2 - t1:.1f} s, score {report.score:.2f}",
                      file=sys.stderr, flush=True)

    print(f"{'script':28s} {'accent':8s} {'audio s':>8s} {'render s':>9s} {'check s':>8s} "
          f"{'score':>6s} {'missed':>12s}")
    for stem, accent, dur, rt, ct, score, missed, ref in rows:
        print(f"{stem:28s} {accent:8s} {dur:8.1f} {rt:9.1f} {ct:8.1f} {score:6.2f} {missed:5d}/{ref:<6d}")
    minutes = tot_audio / 60
    print(f"\naudio: {minutes:.1f} min in {len(rows)} renders")
    print(f"render: {tot_render / minutes:.1f} s per audio minute")
    print(f"check:  {tot_check / minutes:.1f} s per audio minute "
          f"(ratio check/render {tot_check / tot_render:.2f})")
    for accent in ACCENTS:
        scores = [r[5] or 0.0 for r in rows if r[1] == accent]
        print(f"mean score {accent:8s} {sum(scores) / len(scores):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
