"""What held event streams cost the database: PostgreSQL connections (``pg_stat_activity``) of one
serving process while N agents hold ``GET /api/v1/stations/<code>/events`` open, on the PostgreSQL
NOTIFY transport and on Redis pub/sub, and the process's listener connections (the LISTEN one in
``pg_stat_activity``, or its Redis pub/sub client in ``CLIENT LIST``), found by the name the hub gives them.

Each process has one hub (``broadcast.events``): one listener (one LISTEN connection, or one Redis
subscription) feeding a queue per stream, so the figures should not grow with N. An emergency is
then announced and every stream must receive it (the fan-out works, it is not just idle).

    python scripts/bench_event_streams.py --streams 1 10 50
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg
import requests
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from broadcast import stations  # noqa: E402
from broadcast.db import session_factory, session_scope  # noqa: E402
from broadcast.events import StationEvent, close_hubs, listener_name, publish  # noqa: E402
from loa import config  # noqa: E402
from web.app import create_app  # noqa: E402
from web.jobs import InlineJobQueue  # noqa: E402

CSV = ROOT / "media" / "samples" / "stations-duc-trong.csv"
PG = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379/13"


def _pg_count(db: str) -> int:
    with psycopg.connect(PG, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (db,)).fetchone()
        return int(row[0]) if row else 0


def _pg_listeners(db: str) -> int:
    with psycopg.connect(PG, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
                           (db, listener_name())).fetchone()  # fmt: skip
        return int(row[0]) if row else 0


def _redis_pubsub_clients() -> int:
    import redis

    clients = redis.Redis.from_url(REDIS).client_list()
    return sum(1 for c in clients if c.get("name") == listener_name() and int(c.get("sub", 0)) > 0)


def _hold(url: str, token: str, got: list[str], ready: threading.Barrier, stop: threading.Event) -> None:
    with requests.get(url, headers={"Authorization": f"Bearer {token}"}, stream=True, timeout=30) as r:
        lines = r.iter_lines(decode_unicode=True)
        for line in lines:
            if line.startswith("event: ready"):
                ready.wait(60)
            if line.startswith("event: emergency"):
                got.append(line)
            if stop.is_set():
                return


def run(transport: str, n: int) -> dict[str, int]:
    db = f"bench_streams_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{db}"')
    tmp = Path(tempfile.mkdtemp())
    env = {"LOA_DATA_DIR": str(tmp), "LOA_EVENTS_KEEPALIVE_S": "1", "LOA_EVENTS_MAX_STREAMS": str(n + 10),
           "LOA_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{db}"}
    if transport == "redis":
        env["LOA_REDIS_URL"] = REDIS
    settings = config.load(env=env)
    app = create_app(settings, jobs=InlineJobQueue())
    factory = session_factory(app.extensions["loa_engine"])
    with session_scope(factory) as s:
        stations.import_stations(s, stations.parse_stations_csv(CSV.read_text("utf-8")))
        token = stations.issue_agent_token(s, stations.get_station(s, "hiep-an"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    idle = _pg_count(db)
    url = f"http://127.0.0.1:{server.server_port}/api/v1/stations/hiep-an/events"
    got: list[str] = []
    ready, stop = threading.Barrier(n + 1), threading.Event()
    threads = [threading.Thread(target=_hold, args=(url, token, got, ready, stop), daemon=True) for _ in range(n)]
    for t in threads:
        t.start()
    ready.wait(60)
    time.sleep(1.5)  # a keepalive or two: every stream is waiting on its queue
    held = _pg_count(db)
    subs = _redis_pubsub_clients() if transport == "redis" else _pg_listeners(db)
    with session_scope(factory) as s:
        publish(s, settings, [StationEvent("hiep-an", "emergency", {"date": "2026-12-02", "version": 2})])
    deadline = time.monotonic() + 10
    while len(got) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    server.shutdown()
    close_hubs()
    time.sleep(1.5)  # the listener notices its stop within a second and closes its connection
    app.extensions["loa_engine"].dispose()
    with psycopg.connect(PG, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    return {"idle": idle, "held": held, "listeners": subs, "delivered": len(got)}


def main() -> None:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--transport", choices=["postgresql", "redis"], nargs="+", default=["postgresql", "redis"])
    args = parser.parse_args()
    print(f"{'transport':<11} {'streams':>7} {'pg conns idle':>13} {'pg conns held':>13} "
          f"{'listeners':>9} {'delivered':>9}")
    for transport in args.transport:
        for n in args.streams:
            r = run(transport, n)
            print(f"{transport:<11} {n:>7} {r['idle']:>13} {r['held']:>13} {r['listeners']:>9} {r['delivered']:>6}/{n}")


if __name__ == "__main__":
    main()
