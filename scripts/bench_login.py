"""Login timing: a known name against an unknown one, with the real argon2 parameters.

python scripts/bench_login.py (prints figures and their ratio, asserts nothing). The goal is a
ratio near 1: an unknown name must not answer faster than a known one (issue 7, defect 19).
"""

from __future__ import annotations

import statistics
import time

from broadcast import db, users


def median_ms(fn, n: int = 7) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    factory = db.session_factory(db.init_db("sqlite://"))
    with factory() as s:
        users.create_user(s, username="bientap", role="editor", password="mat-khau-dung", actor="bench")
        s.flush()
        users.authenticate(s, "khong-co", "x")  # builds the dummy hash once, as the first request would
        cases = {
            "known name, wrong password": lambda: users.authenticate(s, "bientap", "sai-mat-khau"),
            "known name, right password": lambda: users.authenticate(s, "bientap", "mat-khau-dung"),
            "unknown name": lambda: users.authenticate(s, "khong-co-ai", "sai-mat-khau"),
        }
        figures = {name: median_ms(fn) for name, fn in cases.items()}
    for name, ms in figures.items():
        print(f"{name:28} {ms:8.1f} ms")
    ratio = figures["unknown name"] / figures["known name, wrong password"]
    print(f"unknown / known ratio       {ratio:8.2f}  (goal: about 1.0; before the fix it was 0.06)")


if __name__ == "__main__":
    main()
