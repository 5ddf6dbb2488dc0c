"""Speed of the normalizer: python scripts/bench_text.py (prints figures, asserts nothing).

Targets (issue 7.31: "keep performance"): prepare() of the 15 KB plan in 26 ms and of a 510 KB
(hour-long) script in 1.3 s on the shared 2-core machine. The last column is time / target.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from pipeline.text import normalize, prepare

SAMPLES = Path(__file__).resolve().parents[1] / "media" / "samples"
#: Time budgets in ms, per text and function.
TARGETS_MS = {("plan", "prepare"): 26.0, ("big", "prepare"): 1300.0}


def best_of(n: int, func: Callable[[str], object], text: str) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        func(text)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    plan = (SAMPLES / "ke-hoach-24-KH-HU.txt").read_text(encoding="utf-8")
    every = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("*.txt")))
    big = "\n\n".join([every] * (500_000 // len(every.encode()) + 2))
    normalize(plan)  # warm the regex cache
    for key, text, runs in [("plan", plan, 20), ("big", big, 3)]:
        kb = len(text.encode()) / 1024
        for func in (normalize, prepare):
            ms = best_of(runs, func, text) * 1000
            target = TARGETS_MS.get((key, func.__name__))
            ratio = f"{ms / target:5.2f} of target" if target else ""
            print(f"{func.__name__:9} {kb:6.0f} KB {ms:8.1f} ms {kb / ms * 1000:7.0f} KB/s  {ratio}")


if __name__ == "__main__":
    main()
