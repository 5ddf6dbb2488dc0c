"""`loa serve` as a real process: it refuses a busy port (issue 7.5) and runs the scheduler's work,
so a bulletin approved from the CLI while it serves reaches the playlists within seconds (7.3)."""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import time
import wave
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from broadcast.db import init_db, session_factory, session_scope
from broadcast.stations import get_station, issue_agent_token
from loa.config import Settings
from tests.scheduler import seed
from tests.scheduler.test_processes import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.name != "posix", reason="POSIX signals")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _loa(*args: str, **kw: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "loa", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, **kw)  # type: ignore[call-overload]


def test_serve_refuses_a_port_already_in_use() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = _loa("serve", "--no-scheduler", "--host", "127.0.0.1", "--port", str(port))
        try:
            out, _ = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    text = out.decode(errors="replace")
    assert proc.returncode != 0, text
    assert f"Cổng {port}" in text and "--port" in text and "already in use" in text, text


def _wav(path: Path, seconds: float = 2.0) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        n = int(16000 * seconds)
        w.writeframes(b"".join(int(8000 * math.sin(2 * math.pi * 440 * i / 16000)).to_bytes(2, "little", signed=True)
                               for i in range(n)))
    return path


def test_an_approval_from_the_cli_reaches_the_playlist_while_serving(settings: Settings, tmp_path: Path) -> None:
    engine = init_db(settings.db_url)
    with session_scope(session_factory(engine)) as s:
        code = seed.add_stations(s, 1)[0]
        token = issue_agent_token(s, get_station(s, code))
    engine.dispose()
    port = _free_port()
    server = _loa("serve", "--host", "127.0.0.1", "--port", str(port))
    try:
        # Tomorrow: all of its sessions are still to come, whatever the time of day (today's may
        # be over, and a bulletin approved after the last one has nowhere to air today).
        day = datetime.now(ZoneInfo(settings.timezone)).date() + timedelta(days=1)
        add = subprocess.run(
            [sys.executable, "-m", "loa", "bulletin", "add", str(_wav(tmp_path / "tin.wav")), "--title",
             "Tiêm phòng dại", "--station", code, "--approve", "--from", day.isoformat()],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )
        assert add.returncode == 0, add.stdout + add.stderr
        # What the station's agent sees: the API's manifest, with its token (not the file on disk).
        url = f"http://127.0.0.1:{port}/api/v1/stations/{code}/playlists/{day.isoformat()}"
        deadline = time.monotonic() + 10
        titles: list[str] = []
        while time.monotonic() < deadline and "Tiêm phòng dại" not in titles:
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            try:
                got = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)
            except requests.ConnectionError:  # still starting
                got = None
            if got is not None and got.status_code == 200:
                titles = [it["title"] for it in got.json()["items"]]
            time.sleep(0.2)
        assert "Tiêm phòng dại" in titles, titles
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
