"""Speed of the normalizer: python scripts/bench_text.py (prints figures, asserts nothing)."""

from __future__ import annotations

import time
from pathlib import Path

from pipeline.text import normalize, prepare

SAMPLES = Path(__file__).resolve().parents[1] / "media" / "samples"


def best_of(n: int, func, text: str) -> float:  # type: ignore[no-untyped-def]
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
    for name, text, runs in [("15 KB sample", plan, 20), (f"{len(big.encode()) // 1024} KB script", big, 3)]:
        for func in (normalize, prepare):
            print(f"{func.__name__:9} {name:16} {best_of(runs, func, text) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
