"""Benchmark (issue 10): renders per minute on the Redis queue, 1 `loa worker` against 2.

For each worker count: a fresh data folder (SQLite, or --database-url) with N approved bulletins of
distinct text (so nothing comes from the render cache), their renders enqueued on Redis exactly as
the panel does, then that many `loa worker --burst` processes. The rate is counted from the first
job's start to the last job's end (RQ's own timestamps), so worker start-up is not in it.

Goal: 2 workers >= 1.8x one. Each count runs twice:

* **one core per worker** (``sched_setaffinity``, as the README's ``loa-worker@N`` units do with
  systemd's ``CPUAffinity=``): what the queue itself scales by, a worker per core.
* **unpinned**: the operating system places everything. One render is not one core's work: the
  MP3 is encoded and decoded by two ffmpeg processes beside Python's DSP (the delivered file is
  metered, not the input), so a single render keeps about 1.35 cores busy (the CPU line below).
  On a 2-core machine one unpinned worker already borrows the second core, and two cannot then
  reach 1.8x one.

The clarity check (its own job after each render) is left out unless ``--clarity``: it is another
job's work, measured by ``bench_clarity.py``. A busy machine skews every ratio (load printed).

    python scripts/bench_scale_renders.py --renders 16
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL = 1.8
log = logging.getLogger("bench_scale_renders")

SCRIPT = ("Ủy ban nhân dân xã thông báo lịch tiêm phòng cho đàn gia súc, gia cầm đợt {i} năm 2026 "
          "tại nhà văn hoá thôn {i}, từ 7 giờ 30 sáng. Đề nghị bà con đưa vật nuôi đến đúng giờ. ")


def _env(data_dir: Path, redis_url: str, db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOA_")}
    env.update(LOA_DATA_DIR=str(data_dir), LOA_REDIS_URL=redis_url, LOA_DATABASE_URL=db_url,
               LOA_ENGINE_ORDER="espeak")
    return env


def _pin(n: int) -> None:
    """In the child, before exec: run on core ``n`` only (the worker and the ffmpeg it starts)."""
    os.sched_setaffinity(0, {n % (os.cpu_count() or 1)})


def run_round(workers: int, renders: int, redis_url: str, db_url: str, chars: int, *, pinned: bool,
              clarity: bool) -> tuple[float, float]:
    """(renders per minute, CPU seconds per render) with ``workers`` workers."""
    from redis import Redis
    from rq.job import Job

    from broadcast import bulletins
    from broadcast.db import init_db, session_factory, session_scope
    from broadcast.jobs import RedisJobQueue
    from broadcast.tasks import enqueue_render
    from loa import config

    Redis.from_url(redis_url).flushdb()
    with tempfile.TemporaryDirectory(prefix="loa-bench-renders-") as tmp:
        env = _env(Path(tmp), redis_url, db_url)
        env["LOA_CLARITY_CHECK"] = "1" if clarity else "0"
        settings = config.load(env=env)
        factory = session_factory(init_db(settings.db_url))
        ids = []
        with session_scope(factory) as s:
            for i in range(renders):
                text = (SCRIPT.format(i=f"{workers}-{i}") * 20)[:chars]
                b = bulletins.create_bulletin(s, title=f"Bench {i}", body=text, valid_from=date.today(),
                                              valid_to=date.today(), actor="bench", settings=settings)
                s.flush()
                ids.append(b.id)
        queue = RedisJobQueue(settings)
        jobs = [enqueue_render(queue, bid, regenerate=False) for bid in ids]
        cpu0 = _children_cpu()
        procs = [subprocess.Popen([sys.executable, "-m", "loa", "worker", "--burst", "--name", f"bench-{workers}-{n}"],
                                  env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  preexec_fn=functools.partial(_pin, n) if pinned else None)
                 for n in range(workers)]
        for p in procs:
            p.wait(1800)
        cpu = (_children_cpu() - cpu0) / renders  # start-up included: an upper bound
        fetched = [Job.fetch(j, connection=queue.redis) for j in jobs]
        failed = [j.id for j in fetched if queue.status(j.id).state != "done"]
        if failed:
            raise SystemExit(f"{len(failed)} renders did not finish: {failed[:3]}")
        span = max(j.ended_at for j in fetched) - min(j.started_at for j in fetched)
        Redis.from_url(redis_url).flushdb()
        return renders / span.total_seconds() * 60, cpu


def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renders", type=int, default=16, help="renders per round (default 16)")
    parser.add_argument("--chars", type=int, default=400, help="characters of each script (default 400)")
    parser.add_argument("--redis-url", default=os.environ.get("LOA_BENCH_REDIS_URL", "redis://127.0.0.1:6379/7"),
                        help="a Redis database this benchmark may empty (default db 7)")
    parser.add_argument("--database-url", default="", help="default: SQLite in each round's folder")
    parser.add_argument("--clarity", action="store_true", help="run the clarity check after each render too")
    parser.add_argument("--unpinned-only", action="store_true", help="skip the one-core-per-worker rounds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    t0 = time.monotonic()
    modes = [False] if args.unpinned_only or not hasattr(os, "sched_setaffinity") else [True, False]
    print(f"renders per minute, {args.renders} renders of {args.chars} characters (espeak"
          f"{', clarity check on' if args.clarity else ''}):")
    for pinned in modes:
        rounds = {n: run_round(n, args.renders, args.redis_url, args.database_url, args.chars, pinned=pinned,
                               clarity=args.clarity) for n in (1, 2)}
        ratio = rounds[2][0] / rounds[1][0]
        print(f"  {'one core per worker' if pinned else 'unpinned'}:")
        for n in (1, 2):
            print(f"    {n} worker{'s' if n > 1 else ' '}: {rounds[n][0]:7.1f}/min  "
                  f"({rounds[n][1]:.2f} CPU s a render, worker start-up included)")
        print(f"    ratio    : {ratio:.2f}x  (goal >= {GOAL}x: {'met' if ratio >= GOAL else 'NOT met'})")
    print(f"  cores: {os.cpu_count()}, load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}, "
          f"took {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
