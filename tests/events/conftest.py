"""A live server (werkzeug, threaded, on loopback) on each event transport: the database watcher
(SQLite), Redis pub/sub (database 9) and PostgreSQL NOTIFY (database push10_events_<pid>)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from broadcast import stations
from broadcast.db import session_factory, session_scope
from broadcast.events import close_hubs
from loa import config
from web.app import create_app
from web.jobs import InlineJobQueue

CSV = Path(__file__).resolve().parents[2] / "media" / "samples" / "stations-duc-trong.csv"
REDIS_URL = "redis://127.0.0.1:6379/9"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = f"push10_events_{os.getpid()}"  # per process: two pytest runs at once (xdist workers) never share it


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _pg_admin(sql: str) -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=2) as conn:
            conn.execute(sql)
        return True
    except Exception:
        return False


@dataclass
class Live:
    app: Flask
    url: str
    settings: config.Settings
    token: str
    transport: str
    other_token: str

    def sessions(self):  # type: ignore[no-untyped-def]
        return session_scope(self.app.extensions["loa_sessions"])


@pytest.fixture(params=["database", "redis", "postgresql"])
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Live]:
    env = {"LOA_DATA_DIR": str(tmp_path / "data"), "LOA_EVENTS_KEEPALIVE_S": "0.5"}
    if request.param == "redis":
        if not _redis_up():
            pytest.skip("no Redis on 127.0.0.1:6379")
        env["LOA_REDIS_URL"] = REDIS_URL
    if request.param == "postgresql":
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        if not _pg_admin(f"CREATE DATABASE {PG_DB}"):
            pytest.skip("no PostgreSQL on 127.0.0.1:5432")
        env["LOA_DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}"
    settings = config.load(env=env)
    app = create_app(settings, jobs=InlineJobQueue())
    with session_scope(session_factory(app.extensions["loa_engine"])) as s:
        stations.import_stations(s, stations.parse_stations_csv(CSV.read_text("utf-8")))
        token = stations.issue_agent_token(s, stations.get_station(s, "hiep-an"))
        other = stations.issue_agent_token(s, stations.get_station(s, "ta-nang"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Live(app, f"http://127.0.0.1:{server.server_port}", settings, token, request.param, other)
    server.shutdown()
    close_hubs()
    app.extensions["loa_engine"].dispose()
    if request.param == "postgresql":
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
