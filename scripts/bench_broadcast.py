"""Benchmark of playlist planning and nightly generation against the issue's goals.

    .venv/bin/python scripts/bench_broadcast.py                 # 10,000 stations, both parts
    .venv/bin/python scripts/bench_broadcast.py --stations 1000 # smaller
    .venv/bin/python scripts/bench_broadcast.py --plan-only

Goals (10,000 stations, 1 day, 3 sessions and ~40 candidate bulletins each):
  * planning alone              <= 5 s
  * full nightly generation     <= 60 s  (SQLite file in a temporary folder, playlist files written)
Goals scale linearly when --stations is smaller.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import tempfile
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from broadcast.planner import (  # noqa: E402
    BulletinInput,
    JingleInput,
    MediaRef,
    RelayInput,
    SessionInput,
    StationPlanInput,
    plan_day,
)

PLAN_GOAL_S = 5.0
NIGHTLY_GOAL_S = 60.0
DAY = date(2026, 12, 1)
SESSIONS = ((5, 30, 30), (11, 0, 30), (17, 0, 45))


def _sha(n: int) -> str:
    return f"{n:064x}"


def bench_plan(n_stations: int, n_bulletins: int, seed: int) -> float:
    rng = random.Random(seed)
    bulletins = [
        BulletinInput(
            i,
            f"Bản tin {i}",
            rng.choice(["normal"] * 6 + ["priority"] * 3 + ["emergency"]),
            DAY - timedelta(days=rng.randint(0, 10)),  # candidates: valid on DAY
            DAY + timedelta(days=rng.randint(0, 10)),
            rng.choice([1, 1, 2, 3]),
            MediaRef(_sha(i), 500_000, round(rng.uniform(40, 240), 3), f"/api/v1/media/{_sha(i)}"),
        )
        for i in range(1, n_bulletins + 1)
    ]
    sessions = [SessionInput(k + 1, time(h, m), mins) for k, (h, m, mins) in enumerate(SESSIONS)]
    relays = [RelayInput(1, "VOV1", "http://vov.example/vov1", time(17, 10), 15)]
    jingle = JingleInput(MediaRef(_sha(99_999), 80_000, 5.0, f"/api/v1/media/{_sha(99_999)}"))
    stations = [StationPlanInput(i, f"S{i:05d}") for i in range(n_stations)]
    gc.collect()
    t0 = clock.perf_counter()
    items = unplaced = 0
    for st in stations:
        plan = plan_day(st, DAY, sessions, bulletins, relays, jingle=jingle)
        items += len(plan.items)
        unplaced += len(plan.unplaced)
    elapsed = clock.perf_counter() - t0
    goal = PLAN_GOAL_S * n_stations / 10_000
    print(f"planning: {n_stations} stations x {len(sessions)} sessions x {n_bulletins} bulletins")
    print(
        f"  {elapsed:.2f} s ({elapsed / n_stations * 1e6:.0f} us/station), {items} items, {unplaced} unplaced"
    )
    print(
        f"  goal {goal:.2f} s -> {elapsed / goal:.2f} of the budget ({'OK' if elapsed <= goal else 'OVER'})"
    )
    return elapsed


def _populate(session, n_stations: int, n_bulletins: int, seed: int) -> None:
    from broadcast.models import (
        BroadcastSession,
        Bulletin,
        MediaFile,
        Relay,
        Station,
        StationGroup,
        bulletin_targets,
        station_group_members,
    )

    rng = random.Random(seed)
    session.execute(insert(StationGroup), [{"name": f"Huyện {g}"} for g in range(10)])
    groups = list(session.scalars(select(StationGroup.id)))
    session.execute(
        insert(Station),
        [{"code": f"S{i:05d}", "name": f"Đài xã {i}", "kind": "xa", "district": "", "timezone": "Asia/Ho_Chi_Minh",
          "active": True} for i in range(n_stations)],
    )  # fmt: skip
    ids = list(session.scalars(select(Station.id).order_by(Station.id)))
    session.execute(
        insert(station_group_members),
        [{"station_id": sid, "group_id": groups[k % len(groups)]} for k, sid in enumerate(ids)],
    )
    session.execute(
        insert(BroadcastSession),
        [{"station_id": sid, "name": "", "weekdays": "1234567", "start_time": time(h, m), "max_minutes": mins,
          "active": True} for sid in ids for h, m, mins in SESSIONS],
    )  # fmt: skip
    now = datetime.now(UTC)
    session.execute(
        insert(MediaFile),
        [{"sha256": _sha(i), "path": f"{_sha(i)[:2]}/{_sha(i)}.mp3", "size": 500_000,
          "duration_s": round(rng.uniform(40, 240), 3), "mime": "audio/mpeg", "created_at": now}
         for i in range(1, n_bulletins + 1)],
    )  # fmt: skip
    rows = []
    for i in range(1, n_bulletins + 1):
        kind = "all" if i <= n_bulletins * 3 // 4 else ("group" if i % 2 else "stations")
        rows.append(
            {"id": i, "title": f"Bản tin {i}", "body": "", "source_kind": "text", "category": "", "issuer": "",
             "priority": rng.choice(["normal"] * 6 + ["priority"] * 3 + ["emergency"]),
             "valid_from": DAY - timedelta(days=rng.randint(0, 10)), "valid_to": DAY + timedelta(days=rng.randint(0, 10)),
             "plays_per_day": rng.choice([1, 1, 2, 3]), "target_kind": kind,
             "target_group_id": groups[i % len(groups)] if kind == "group" else None, "status": "approved",
             "voice": "", "speech_rate": 1.0, "created_by": "bench", "created_at": now, "updated_at": now,
             "media_sha256": _sha(i), "render_status": "done", "render_error": ""}
        )  # fmt: skip
    session.execute(insert(Bulletin), rows)
    targets = [
        {"bulletin_id": r["id"], "station_id": sid}
        for r in rows
        if r["target_kind"] == "stations"
        for sid in rng.sample(ids, min(len(ids), max(1, len(ids) // 5)))
    ]
    if targets:
        session.execute(insert(bulletin_targets), targets)
    session.execute(
        insert(Relay),
        [{"name": "VOV1", "stream_url": "http://vov.example/vov1", "start_time": time(17, 10), "duration_min": 15,
          "weekdays": "1234567", "station_id": None, "active": True}],
    )  # fmt: skip
    session.commit()


def bench_nightly(n_stations: int, n_bulletins: int, seed: int, parent: str | None) -> float:
    from broadcast.db import init_db, session_factory
    from broadcast.generate import generate_playlists
    from loa import config

    with tempfile.TemporaryDirectory(prefix="loa-bench-", dir=parent) as tmp:
        settings = config.load(env={}, data_dir=Path(tmp) / "data")
        engine = init_db(settings.db_url)
        factory = session_factory(engine)
        t0 = clock.perf_counter()
        with factory() as s:
            _populate(s, n_stations, n_bulletins, seed)
        print(
            f"nightly generation: {n_stations} stations, SQLite in {tmp} "
            f"({clock.perf_counter() - t0:.1f} s to load the data)"
        )
        # 00:05 local time the day before: the nightly run planning tomorrow
        night = datetime.combine(DAY - timedelta(days=1), time(0, 5), tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
        runs = []
        for label in ("first run", "re-run (unchanged)"):
            gc.collect()
            t0 = clock.perf_counter()
            with factory() as s:
                res = generate_playlists(s, settings, [DAY], now=night)
                s.commit()
            elapsed = clock.perf_counter() - t0
            runs.append(elapsed)
            new = sum(r.changed for r in res)
            items = sum(r.items for r in res)
            print(f"  {label}: {elapsed:.2f} s, {len(res)} playlists, {new} new versions, {items} items")
        # One station per call, as a caller looping over stations would do (e.g. to isolate errors).
        sample = [f"S{i:05d}" for i in range(0, n_stations, max(1, n_stations // 50))]
        t0 = clock.perf_counter()
        for code in sample:
            with factory() as s:
                generate_playlists(s, settings, [DAY], [code], now=night)
                s.commit()
        per_call = (clock.perf_counter() - t0) / len(sample)
        print(
            f"  one station per call: {per_call * 1000:.0f} ms a call"
            f" -> {per_call * n_stations:.0f} s for all {n_stations} (vs {runs[1]:.1f} s in one call)"
        )
        files = sum(1 for _ in (settings.playlists_dir).rglob("*.*"))
        db_mb = (Path(tmp) / "data" / "loa.db").stat().st_size / 1e6
        print(f"  {files} playlist files written, database {db_mb:.0f} MB")
        engine.dispose()
    goal = NIGHTLY_GOAL_S * n_stations / 10_000
    print(
        f"  goal {goal:.1f} s -> {runs[0] / goal:.2f} of the budget ({'OK' if runs[0] <= goal else 'OVER'})"
    )
    return runs[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stations", type=int, default=10_000, help="number of stations (default 10000)")
    ap.add_argument("--bulletins", type=int, default=40, help="candidate bulletins per station (default 40)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--plan-only", action="store_true", help="skip the database part")
    ap.add_argument(
        "--dir",
        default=None,
        help="parent folder of the temporary data folder (default: the system's temp folder); "
        "file creation speed differs a lot between filesystems",
    )
    args = ap.parse_args()
    bench_plan(args.stations, args.bulletins, args.seed)
    if not args.plan_only:
        bench_nightly(args.stations, args.bulletins, args.seed, args.dir)


if __name__ == "__main__":
    main()
