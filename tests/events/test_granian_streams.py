"""`loa serve` (Granian) holding event streams: more streams than the server's request threads are
held open while a manifest poll and a panel page still answer at once; past events_max_streams
a stream is refused with a 503; an emergency written by another process reaches the streams."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from sqlalchemy import insert, select

from broadcast import events
from broadcast.db import make_engine, session_factory, session_scope
from broadcast.models import Playlist, Station
from loa import config
from web.serve import THREADS

CSV = Path(__file__).resolve().parents[2] / "media" / "samples" / "stations-duc-trong.csv"
STREAMS = THREADS + 4  # more streams than threads for everything else


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[str, str, config.Settings]]:
    port = _free_port()
    env = {**os.environ, "LOA_DATA_DIR": str(tmp_path / "data"), "LOA_EVENTS_MAX_STREAMS": str(STREAMS)}
    subprocess.run([sys.executable, "-m", "loa", "stations", "import", str(CSV)], env=env, check=True,
                   capture_output=True)  # fmt: skip
    token = subprocess.run([sys.executable, "-m", "loa", "stations", "token", "hiep-an"], env=env, check=True,
                           capture_output=True, text=True).stdout.strip().splitlines()[-1]  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "loa", "serve", "--no-scheduler", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}", token, config.load(env={k: v for k, v in env.items() if k.startswith("LOA_")})
    proc.terminate()
    proc.wait(20)  # held streams are closed after web.serve.STOP_GRACE_S


def _open(url: str, token: str) -> requests.Response:
    resp = requests.get(f"{url}/api/v1/stations/hiep-an/events", headers={"Authorization": f"Bearer {token}"},
                        stream=True, timeout=(5, 30))  # fmt: skip
    return resp


def test_held_streams_do_not_block_other_requests(served: tuple[str, str, config.Settings]) -> None:
    url, token, settings = served
    streams = [_open(url, token) for _ in range(STREAMS)]
    try:
        assert [s.status_code for s in streams] == [200] * STREAMS
        lines = [s.iter_lines(decode_unicode=True) for s in streams]
        for it in lines:
            assert next(it).startswith("retry:")
        started = time.monotonic()
        poll = requests.get(f"{url}/api/v1/stations/hiep-an/playlists/2026-12-01",
                            headers={"Authorization": f"Bearer {token}"}, timeout=5)  # fmt: skip
        page = requests.get(f"{url}/login", timeout=5)
        assert poll.status_code == 404 and page.status_code == 200  # answered (no playlist yet)
        assert time.monotonic() - started < 2.0
        busy = _open(url, token)
        assert busy.status_code == 503 and busy.headers["Retry-After"]
        # an emergency version written by another process reaches every held stream
        engine = make_engine(settings.db_url)
        with session_scope(session_factory(engine)) as s:
            sid = s.scalar(select(Station.id).where(Station.code == "hiep-an"))
            day = datetime.now(UTC).date()
            s.execute(insert(Playlist).values(station_id=sid, date=day, version=3,
                                              manifest={}, etag="f" * 64, emergency=True))  # fmt: skip
            # as generation announces it (on PostgreSQL a NOTIFY; on SQLite the servers watch the table)
            events.publish(s, settings, [events.StationEvent("hiep-an", "emergency",
                                                             {"date": day.isoformat(), "version": 3})])
        engine.dispose()
        for it in lines:
            got = [next(it) for _ in range(6)]
            assert "event: emergency" in got, got
    finally:
        for s in streams:
            s.close()


def test_held_streams_do_not_take_the_places_of_other_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Granian admits ``backpressure`` requests at once (by default its backlog, 2,048), and a held
    stream is one of them: with 2,500 streams held, no poll got in (scripts/bench_scale_push.py)."""
    from web import serve as serving

    seen: dict[str, object] = {}

    class Recorder:
        def __init__(self, *args: object, **kwargs: object) -> None:
            seen.update(kwargs)

        def serve(self) -> None:
            pass

    monkeypatch.setattr(serving, "Granian", Recorder)
    methods: list[str] = []  # recorded, so that this test's own process keeps its start method
    monkeypatch.setattr(serving.multiprocessing, "set_start_method", lambda method, force=False: methods.append(method))
    serving.serve("127.0.0.1", 0, threads=4, streams=2500)
    assert methods == ["spawn"]  # the worker is never forked (tests/web/api/test_serve.py says why)
    assert seen["blocking_threads"] == 4 + 2500
    assert seen["backpressure"] == serving.BACKLOG + 2500 and seen["backlog"] == serving.BACKLOG
