"""Scale-out benchmarks of issue 10, one function per row of the issue's table.

    .venv/bin/python scripts/bench_scale.py                       # every row
    .venv/bin/python scripts/bench_scale.py --only nightly        # one row
    .venv/bin/python scripts/bench_scale.py --only nightly --stations 2000,10000

Rows (``--only NAME``; more are added by their helpers as ``bench_<name>`` functions in ``ROWS``):

* ``nightly``: nightly generation (one day, 3 sessions and ~40 candidate bulletins a station, playlist
  files written) for 10k and 50k stations, SQLite against PostgreSQL. Goal: 50k on PostgreSQL
  <= 120 s. PostgreSQL is ``--postgres URL`` (default the local server, user postgres); the benchmark
  makes its own database there and drops it after.
* ``renders``: renders per minute, 1 worker against 2 (``bench_scale_renders.py``).
* ``polls``: manifest polls per second (304), 1 ``loa serve`` against 2, with p99 (``bench_scale_push.py``).
* ``emergency``: confirmation -> airing, push against polling (``bench_scale_push.py``).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time as clock
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_broadcast import DAY, _populate  # noqa: E402

NIGHTLY_GOAL_50K_PG_S = 120.0
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _pg_database(server_url: str, name: str) -> tuple[str, Callable[[], None]]:
    """A new, empty database on the server, and the function that drops it."""
    import psycopg
    from sqlalchemy import make_url

    u = make_url(server_url)
    dsn = f"host={u.host or '127.0.0.1'} port={u.port or 5432} user={u.username or 'postgres'} dbname={u.database or 'postgres'}"
    if u.password:
        dsn += f" password={u.password}"
    admin = psycopg.connect(dsn, autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    url = u.set(database=name)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False), drop


def nightly_once(n_stations: int, database_url: str, data_dir: Path, n_bulletins: int = 40, seed: int = 1) -> float:
    """Load ``n_stations`` into the database at ``database_url``, then time one nightly generation."""
    from broadcast.db import init_db, session_factory
    from broadcast.generate import generate_playlists
    from loa import config

    settings = config.load(env={}, data_dir=data_dir, database_url=database_url)
    engine = init_db(settings.db_url)
    factory = session_factory(engine)
    t0 = clock.perf_counter()
    with factory() as s:
        _populate(s, n_stations, n_bulletins, seed)
    load_s = clock.perf_counter() - t0
    night = datetime.combine(DAY - timedelta(days=1), time(0, 5), tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    gc.collect()
    os.sync()  # the loading's (and an earlier run's) dirty pages go to disk now, not in the timing
    t0 = clock.perf_counter()
    with factory() as s:
        res = generate_playlists(s, settings, [DAY], now=night)
        planned = clock.perf_counter() - t0
        s.commit()  # then the staged playlist files are renamed into place
    elapsed = clock.perf_counter() - t0
    engine.dispose()
    print(f"    {engine.dialect.name:<10} {n_stations:>6} stations: {elapsed:7.1f} s "
          f"({elapsed / n_stations * 1000:.2f} ms/station; {planned:.1f} s to the commit; "
          f"{sum(r.changed for r in res)} playlists, {sum(r.items for r in res)} items; "
          f"data loaded in {load_s:.1f} s)")  # fmt: skip
    return elapsed


def bench_nightly(args: argparse.Namespace) -> dict[str, float]:
    """Row 1: nightly generation, SQLite against PostgreSQL, at each station count."""
    print("nightly generation (one day), SQLite against PostgreSQL")
    figures: dict[str, float] = {}
    for n in args.stations:
        with tempfile.TemporaryDirectory(prefix="loa-bench-scale-", dir=args.dir) as tmp:
            lite = nightly_once(n, "", Path(tmp) / "sqlite")
        url, drop = _pg_database(args.postgres, f"loa_bench_scale_{n}")
        try:
            with tempfile.TemporaryDirectory(prefix="loa-bench-scale-", dir=args.dir) as tmp:
                pg = nightly_once(n, url, Path(tmp) / "pg")
        finally:
            drop()
        figures[f"sqlite_{n}"], figures[f"postgresql_{n}"] = lite, pg
        print(f"  {n} stations: PostgreSQL / SQLite = {pg / lite:.2f}")
        goal = NIGHTLY_GOAL_50K_PG_S * n / 50_000
        print(f"  goal on PostgreSQL {goal:.0f} s (120 s at 50k, scaled) -> {pg / goal:.2f} of the budget "
              f"({'OK' if pg <= goal else 'OVER'})")  # fmt: skip
    return figures


#: name -> benchmark row; each takes the parsed arguments and prints its figures and ratios.
def bench_renders(args: argparse.Namespace) -> object:
    """Renders per minute on the Redis queue, 1 worker against 2 (goal: 2 workers >= 1.8x one)."""
    from bench_scale_renders import main as renders_main

    return renders_main([])


def bench_polls(args: argparse.Namespace) -> object:
    """Manifest polls per second answered 304, one ``loa serve`` process against two, with p99."""
    from bench_scale_push import main as push_main

    return push_main(["--only", "polls"])


def bench_emergency(args: argparse.Namespace) -> object:
    """Confirmation -> airing, pushed over server-sent events against polled (push <= 2 s at p99)."""
    from bench_scale_push import main as push_main

    return push_main(["--only", "emergency"])


ROWS: dict[str, Callable[[argparse.Namespace], object]] = {
    "nightly": bench_nightly,
    "renders": bench_renders,
    "polls": bench_polls,
    "emergency": bench_emergency,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", action="append", choices=sorted(ROWS), help="run only this row (repeatable)")
    ap.add_argument("--stations", type=lambda v: [int(x) for x in v.split(",")], default=[10_000, 50_000],
                    help="station counts for the nightly row, comma-separated (default 10000,50000)")
    ap.add_argument("--postgres", default=DEFAULT_PG, help=f"PostgreSQL server (default {DEFAULT_PG})")
    ap.add_argument("--dir", default=None, help="parent of the temporary data folders (default: system temp)")
    args = ap.parse_args()
    for name in args.only or list(ROWS):
        ROWS[name](args)


if __name__ == "__main__":
    main()
