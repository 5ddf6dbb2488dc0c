"""Many agents on one serving process cost one listener, not one each: 30 held event streams share
the process's hub (one listener thread; on PostgreSQL one LISTEN connection, on Redis one pub/sub
subscription), every stream still hears an emergency, and streams that end give their queue back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psycopg
import pytest
import redis
import requests

from broadcast.db import session_scope
from broadcast.events import StationEvent, hub_for, listener_name, publish

from .conftest import PG_ADMIN, PG_DB, REDIS_URL, Live

STREAMS = 30


def _hold(live: Live, ready: threading.Barrier, heard: list[str], stop: threading.Event) -> None:
    url = f"{live.url}/api/v1/stations/hiep-an/events"
    with requests.get(url, headers={"Authorization": f"Bearer {live.token}"}, stream=True, timeout=10) as r:
        for line in r.iter_lines(decode_unicode=True):
            if line.startswith("event: ready"):
                ready.wait(30)
            elif line.startswith("event: emergency"):
                heard.append(line)
            if stop.is_set():
                return


def _listen_backends() -> int:
    """This process's listener connections (its hub names them; other test runs may share the server)."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
                           (PG_DB, listener_name())).fetchone()  # fmt: skip
        return int(row[0]) if row else 0


def _db_connections() -> int:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (PG_DB,)).fetchone()
        return int(row[0]) if row else 0


def _redis_subscribers() -> int:
    """This process's pub/sub connections (its hub names them; other test runs may share the server)."""
    clients = redis.Redis.from_url(REDIS_URL).client_list()
    return sum(1 for c in clients if c.get("name") == listener_name() and int(c.get("sub", 0)) > 0)


def _settles(count: Callable[[], int]) -> int:
    """The count once an earlier test's stopped hub has closed its connection (it checks every second)."""
    deadline = time.monotonic() + 3
    while (n := count()) > 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    return n


def test_held_streams_share_one_listener(live: Live) -> None:
    listeners_before = sum(t.name == "loa-events" for t in threading.enumerate())
    ready, heard, stop = threading.Barrier(STREAMS + 1), [], threading.Event()
    holders = [threading.Thread(target=_hold, args=(live, ready, heard, stop), daemon=True) for _ in range(STREAMS)]
    for t in holders:
        t.start()
    ready.wait(30)
    hub = hub_for(live.settings, live.app.extensions["loa_engine"])
    assert hub.open_streams == STREAMS
    # 30 streams, one listener thread: at most one more than before they connected (earlier tests'
    # apps in this process may keep their own hubs' threads)
    assert sum(t.name == "loa-events" for t in threading.enumerate()) <= listeners_before + 1
    if live.transport == "postgresql":
        assert _settles(_listen_backends) == 1
        # the streams hold no connection while they wait: what is open is the LISTEN and the pool's few
        assert _db_connections() < STREAMS // 2
    elif live.transport == "redis":
        assert _settles(_redis_subscribers) == 1

    with session_scope(live.app.extensions["loa_sessions"]) as s:
        publish(s, live.settings, [StationEvent("hiep-an", "emergency", {"date": "2026-12-02", "version": 9})])
    deadline = time.monotonic() + 5
    while len(heard) < STREAMS and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(heard) == STREAMS, f"{len(heard)} of {STREAMS} streams heard the emergency"

    stop.set()  # each client leaves on its next line (a keepalive), and its stream's queue is freed
    for t in holders:
        t.join(5)
    deadline = time.monotonic() + 5
    while hub.open_streams and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hub.open_streams == 0


@pytest.fixture(autouse=True)
def _quiet_werkzeug() -> None:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
