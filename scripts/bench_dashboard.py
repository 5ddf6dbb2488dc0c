"""Benchmark of the operator's console reads: one dashboard refresh and one alert check.

    .venv/bin/python scripts/bench_dashboard.py                  # 1,000 stations
    .venv/bin/python scripts/bench_dashboard.py --stations 5000

Each station has 3 sessions today, a playlist of 6 items, as-run rows for what aired so far, a
heartbeat, and a few remote orders. Goals (SQLite file in a temporary folder), for 1,000 stations:
  * /dashboard/live refresh (overview + template)  <= 1.0 s
  * alert check (evaluate, all conditions)          <= 1.5 s
Goals scale linearly with --stations.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time as clock
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from broadcast import alerts, dashboard  # noqa: E402
from broadcast.db import init_db, session_factory  # noqa: E402
from broadcast.models import (  # noqa: E402
    AsRun,
    BroadcastSession,
    Playlist,
    PlaylistItem,
    RemoteCommand,
    Station,
)
from loa import config  # noqa: E402

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
GOAL_REFRESH_S, GOAL_ALERTS_S = 1.0, 1.5


def seed(factory, n: int, now: datetime) -> None:  # type: ignore[no-untyped-def]
    day = now.astimezone(TZ).date()
    with factory() as s:
        s.execute(insert(Station), [
            {"code": f"xa-{i:05d}", "name": f"Xã {i}", "timezone": "Asia/Ho_Chi_Minh", "token_hash": f"h{i}",
             "latitude": 11 + (i % 100) / 100, "longitude": 108 + (i // 100) / 100,
             "last_heartbeat_at": now - timedelta(seconds=30 if i % 10 else 3600),
             "agent_info": {"playing": "Tin" if i % 3 == 0 else None, "agent_version": "1.0"}}
            for i in range(n)])  # fmt: skip
        ids = list(s.scalars(select(Station.id).order_by(Station.id)))
        s.execute(insert(BroadcastSession), [
            {"station_id": sid, "weekdays": "1234567", "start_time": time(h, 0), "max_minutes": 30, "name": ""}
            for sid in ids for h in (5, 11, 17)])  # fmt: skip
        s.execute(insert(Playlist), [{"station_id": sid, "date": day, "version": 1, "manifest": {}, "etag": "x",
                                      "generated_at": now} for sid in ids])
        pls = {sid: pid for sid, pid in s.execute(select(Playlist.station_id, Playlist.id))}
        starts = [datetime.combine(day, time(h, m), TZ) for h in (5, 11, 17) for m in (1, 10)]
        s.execute(insert(PlaylistItem), [
            {"playlist_id": pls[sid], "position": k, "start": t, "duration_s": 300, "kind": "bulletin", "title": "Tin"}
            for sid in ids for k, t in enumerate(starts)])  # fmt: skip
        s.execute(insert(AsRun), [
            {"station_id": sid, "uid": f"{sid}-{k}", "status": "played", "title": "Tin", "actual_start": t,
             "actual_end": t + timedelta(minutes=5), "received_at": now}
            for sid in ids for k, t in enumerate(starts) if t < now and sid % 7])  # fmt: skip
        s.execute(insert(RemoteCommand), [
            {"station_id": sid, "kind": "volume", "params": {"level": 50}, "issued_by": "op", "issued_at": now,
             "expires_at": now + timedelta(minutes=15), "result": ""} for sid in ids[::5]])  # fmt: skip
        s.commit()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stations", type=int, default=1000)
    args = ap.parse_args()
    now = datetime.combine(datetime.now(TZ).date(), time(18, 0), TZ).astimezone(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        engine = init_db(f"sqlite:///{Path(tmp) / 'bench.db'}")
        factory = session_factory(engine)
        t0 = clock.perf_counter()
        seed(factory, args.stations, now)
        print(f"seeded {args.stations} stations in {clock.perf_counter() - t0:.1f} s")

        from web.app import create_app
        from web.jobs import InlineJobQueue

        app = create_app(data_dir=Path(tmp), database_url=f"sqlite:///{Path(tmp) / 'bench.db'}",
                         engine_order=("espeak",), secret_key="bench")
        app.extensions["loa_jobs"] = InlineJobQueue()
        with app.test_request_context("/dashboard/live"):
            from flask import render_template

            from web.dashboard import COMMAND_LABELS, COMMAND_STATES, SESSION_LABELS
            from web.paging import paginate_list

            def refresh(per: int) -> tuple[float, float, int]:
                """(overview s, overview + template s, bytes) of one refresh showing ``per`` rows."""
                with factory() as s:
                    t0 = clock.perf_counter()
                    view = dashboard.overview(s, heartbeat_s=60, now=now)
                    t_view = clock.perf_counter() - t0
                    html = render_template("dashboard/_live.html", view=view, page=paginate_list(view.stations, 1, per),
                                           filters={}, points=dashboard.map_points(view.stations), alerts=[],
                                           voice=None, tz="Asia/Ho_Chi_Minh", SESSION=SESSION_LABELS,
                                           COMMAND=COMMAND_LABELS, CSTATE=COMMAND_STATES)
                    return t_view, clock.perf_counter() - t0, len(html)

            per = config.Settings().list_page_size
            t_overview, t_refresh, size = refresh(per)
            _, t_whole, whole = refresh(args.stations)
            with factory() as s:
                view = dashboard.overview(s, heartbeat_s=60, now=now)
        with factory() as s:
            t0 = clock.perf_counter()
            notices = alerts.evaluate(s, heartbeat_s=60, offline_after_min=10, cooldown_min=60, now=now)
            s.commit()
            t_alerts = clock.perf_counter() - t0
        scale = args.stations / 1000
        print(f"overview: {t_overview:.3f} s; refresh with template, a page of {per}: {t_refresh:.3f} s "
              f"({size / 1e3:.0f} kB of HTML); goal {GOAL_REFRESH_S * scale:.2f} s, ratio {t_refresh / (GOAL_REFRESH_S * scale):.2f}")
        print(f"  every station on one page: {t_whole:.3f} s ({whole / 1e6:.1f} MB of HTML)")
        print(f"  {view.online}/{len(view.stations)} online, {view.missed} sessions missed")
        print(f"alert check: {t_alerts:.3f} s for {len(notices)} new alerts; goal {GOAL_ALERTS_S * scale:.2f} s, "
              f"ratio {t_alerts / (GOAL_ALERTS_S * scale):.2f}")
        engine.dispose()


if __name__ == "__main__":
    main()
