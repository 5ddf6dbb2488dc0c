"""Benchmark (issue 10): renders per minute on the Redis queue, 1 `loa worker` against 2.

For each worker count: a fresh data folder (SQLite, or --database-url) with N approved bulletins of
distinct text (so nothing comes from the render cache), their renders enqueued on Redis exactly as
the panel does, then that many `loa worker --burst` processes. The rate is counted from the first
job's start to the last job's end (RQ's own timestamps), so worker start-up is not in it.

Goal: 2 workers >= 1.8x one. That needs two free cores: on a machine that is busy with other work
the ratio says more about the machine than about the queue (the load average is printed).

    python scripts/bench_scale_renders.py --renders 8
"""

from __future__ import annotations

import argparse
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


def run_round(workers: int, renders: int, redis_url: str, db_url: str, chars: int) -> float:
    """Renders per minute with ``workers`` workers."""
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
        procs = [subprocess.Popen([sys.executable, "-m", "loa", "worker", "--burst", "--name", f"bench-{workers}-{n}"],
                                  env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for n in range(workers)]
        for p in procs:
            p.wait(1800)
        fetched = [Job.fetch(j, connection=queue.redis) for j in jobs]
        failed = [j.id for j in fetched if queue.status(j.id).state != "done"]
        if failed:
            raise SystemExit(f"{len(failed)} renders did not finish: {failed[:3]}")
        span = max(j.ended_at for j in fetched) - min(j.started_at for j in fetched)
        Redis.from_url(redis_url).flushdb()
        return renders / span.total_seconds() * 60


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renders", type=int, default=8, help="renders per round (default 8)")
    parser.add_argument("--chars", type=int, default=400, help="characters of each script (default 400)")
    parser.add_argument("--redis-url", default=os.environ.get("LOA_BENCH_REDIS_URL", "redis://127.0.0.1:6379/7"),
                        help="a Redis database this benchmark may empty (default db 7)")
    parser.add_argument("--database-url", default="", help="default: SQLite in each round's folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    t0 = time.monotonic()
    rates = {n: run_round(n, args.renders, args.redis_url, args.database_url, args.chars) for n in (1, 2)}
    ratio = rates[2] / rates[1]
    print(f"renders per minute, {args.renders} renders of {args.chars} characters (espeak):")
    print(f"  1 worker : {rates[1]:7.1f}/min")
    print(f"  2 workers: {rates[2]:7.1f}/min")
    print(f"  ratio    : {ratio:.2f}x  (goal >= {GOAL}x: {'met' if ratio >= GOAL else 'NOT met'})")
    print(f"  cores: {os.cpu_count()}, load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}, "
          f"took {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
