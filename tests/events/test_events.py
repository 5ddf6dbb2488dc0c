"""Emergencies pushed to agents over server-sent events, on each transport: an agent connected to
/api/v1/stations/<code>/events hears of a committed emergency within a second, a rolled-back one
never; the agent then fetches the new manifest at once, and polls on when the stream is gone."""

from __future__ import annotations

import queue
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from broadcast import events, generate
from broadcast.agent.agent import Agent, AgentConfig
from broadcast.agent.client import EventsUnavailable, ServerClient
from broadcast.events import StationEvent, close_hubs, hub_for
from tests.agent.helpers import FakeClock, RecordingPlayer
from tests.scheduler.seed import approved_bulletin

from .conftest import Live


def _listen(live: Live, code: str = "hiep-an") -> queue.SimpleQueue[tuple[str, str, float]]:
    """Events of ``code`` as (event, data, time received), read by the agent's own client."""
    heard: queue.SimpleQueue[tuple[str, str, float]] = queue.SimpleQueue()
    client = ServerClient(live.url, code, live.token if code == "hiep-an" else live.other_token, timeout=5)

    def run() -> None:
        try:
            for event, data in client.events():
                heard.put((event, data, time.monotonic()))
        except requests.RequestException:
            pass

    threading.Thread(target=run, daemon=True).start()
    assert heard.get(timeout=5)[0] == "ready"
    return heard


def _next(heard: queue.SimpleQueue[tuple[str, str, float]], timeout: float) -> tuple[str, str, float]:
    return heard.get(timeout=timeout)


def _emergency(live: Live) -> float:
    """Approve an emergency for hiep-an and drain the outbox as the scheduler does; the commit's time."""
    today = datetime.now(ZoneInfo(live.settings.timezone)).date()
    with live.sessions() as s:
        approved_bulletin(s, live.settings, "Khẩn: lũ quét", valid_from=today, valid_to=today + timedelta(days=1),
                          priority="emergency", station_codes=["hiep-an"])  # fmt: skip
    with live.sessions() as s:
        assert generate.drain_regen_requests(s, live.settings) >= 1
        s.flush()
    return time.monotonic()


def test_an_emergency_reaches_a_connected_agent_within_a_second(live: Live) -> None:
    heard = _listen(live)
    other = _listen(live, "ta-nang")
    committed = _emergency(live)
    event, data, at = _next(heard, timeout=3)
    assert event == "emergency" and '"version"' in data
    assert at - committed < 1.0, f"{live.transport}: {at - committed:.2f} s"
    with pytest.raises(queue.Empty):  # another station's agent hears nothing of it
        while True:
            name, _, _ = other.get(timeout=1.0)
            assert name != "emergency"


@pytest.mark.parametrize("live", ["database"], indirect=True)  # the database watcher serves SQLite only
def test_another_process_writing_an_emergency_is_heard_through_the_database(live: Live) -> None:
    """SQLite has no server to push with: the serving process watches the table (here the row is
    written through another engine, as a separate `loa scheduler` would, so no in-process hand-over)."""
    from sqlalchemy import create_engine, insert, select

    from broadcast.models import Playlist, Station

    heard = _listen(live)
    time.sleep(0.6)  # the watcher has read where the table ends
    other = create_engine(live.settings.db_url)
    with other.begin() as conn:
        sid = conn.scalar(select(Station.id).where(Station.code == "hiep-an"))
        conn.execute(insert(Playlist).values(station_id=sid, date=datetime.now(UTC).date(), version=7,
                                             manifest={}, etag="e" * 64, emergency=True))  # fmt: skip
    committed = time.monotonic()
    other.dispose()
    event, data, at = _next(heard, timeout=3)
    assert event == "emergency" and '"version": 7' in data.replace('"version":7', '"version": 7')
    assert at - committed < 1.0


def test_a_rolled_back_emergency_is_never_announced(live: Live) -> None:
    heard = _listen(live)
    s = live.app.extensions["loa_sessions"]()
    events.publish(s, live.settings, [StationEvent("hiep-an", "emergency", {"date": "2026-12-01", "version": 9})])
    s.rollback()
    s.close()
    with pytest.raises(queue.Empty):
        while True:
            assert _next(heard, timeout=1.5)[0] != "emergency"


def test_the_stream_needs_the_stations_token_and_a_known_station(live: Live) -> None:
    url = f"{live.url}/api/v1/stations/hiep-an/events"
    assert requests.get(url, timeout=5).status_code == 401
    assert requests.get(url.replace("hiep-an", "ta-nang"), headers={"Authorization": f"Bearer {live.token}"},
                        timeout=5).status_code == 403  # fmt: skip


def test_a_full_server_answers_503_and_the_agent_keeps_polling(live: Live) -> None:
    hub = hub_for(live.settings, live.app.extensions["loa_engine"])
    hub._max = hub.open_streams  # this process may hold no more
    with pytest.raises(EventsUnavailable):
        next(ServerClient(live.url, "hiep-an", live.token, timeout=5).events())


def test_the_test_client_gets_a_finite_stream(tmp_path: Path) -> None:
    from loa import config
    from web.app import create_app
    from web.jobs import InlineJobQueue

    from .conftest import CSV

    settings = config.load(env={"LOA_DATA_DIR": str(tmp_path), "LOA_EVENTS_STREAM_S": "0.3",
                                "LOA_EVENTS_KEEPALIVE_S": "0.1"})  # fmt: skip
    app = create_app(settings, jobs=InlineJobQueue())
    from broadcast import stations
    from broadcast.db import session_scope

    with session_scope(app.extensions["loa_sessions"]) as s:
        stations.import_stations(s, stations.parse_stations_csv(CSV.read_text("utf-8")))
        token = stations.issue_agent_token(s, stations.get_station(s, "hiep-an"))
    started = time.monotonic()
    resp = app.test_client().get("/api/v1/stations/hiep-an/events", headers={"Authorization": f"Bearer {token}"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and resp.mimetype == "text/event-stream"
    assert body.startswith("retry: 1000\n") and "event: ready" in body and ": keep-alive" in body
    assert time.monotonic() - started < 3
    close_hubs()


@pytest.mark.parametrize("live", ["database"], indirect=True)  # the agent's side is the same on every transport
def test_the_agent_fetches_the_emergency_manifest_at_once(live: Live, tmp_path: Path) -> None:
    clock = FakeClock(datetime.now(UTC))
    cfg = AgentConfig(server=live.url, station="hiep-an", token=live.token, cache_dir=tmp_path / "agent",
                      poll_s=300.0, heartbeat_s=3600.0)  # fmt: skip
    agent = Agent(cfg, RecordingPlayer(clock))
    threads = [threading.Thread(target=agent._poll_loop, daemon=True),
               threading.Thread(target=agent._events_loop, daemon=True)]  # fmt: skip
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)  # connected; the first poll found no manifest yet
        committed = _emergency(live)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(e.item.is_emergency for e in agent.entries()):
            time.sleep(0.05)
        took = time.monotonic() - committed
        assert any(e.item.is_emergency for e in agent.entries()), "no emergency manifest fetched"
        assert took < 2.0, f"{took:.2f} s (polling alone would take up to 300 s)"
    finally:
        agent.stop()
