"""`loa serve` as a real process: the server the stations talk to."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from broadcast.db import make_engine, session_factory, session_scope
from broadcast.models import Role, User
from broadcast.security import hash_password, hash_token
from loa import config

USER_TOKEN = "reader-api-token-" + "z" * 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    port = free_port()
    env = {**os.environ, "LOA_DATA_DIR": str(tmp_path / "data")}
    subprocess.run([sys.executable, "-m", "loa", "stations", "import",
                    str(Path(__file__).resolve().parents[3] / "media/samples/stations-duc-trong.csv")],
                   env=env, check=True, capture_output=True)
    token = subprocess.run([sys.executable, "-m", "loa", "stations", "token", "hiep-an"],
                           env=env, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    settings = config.load(env={"LOA_DATA_DIR": env["LOA_DATA_DIR"], "LOA_DATABASE_URL": env.get("LOA_DATABASE_URL", "")})
    with session_scope(session_factory(make_engine(settings.db_url))) as s:  # a user's API token
        s.add(User(username="doc", password_hash=hash_password("mat-khau-dai"), role=Role.OPERATOR,
                   api_token_hash=hash_token(USER_TOKEN)))
    # stderr to a file, not a pipe: Granian's worker process outlives a crashed parent and would hold
    # a pipe open, so reading it to say why the server died would wait forever
    log = tmp_path / "serve.log"
    with log.open("wb") as err:  # the child keeps its own copy
        proc = subprocess.Popen([sys.executable, "-m", "loa", "serve", "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + 60
    while True:  # until this server answers HTTP (not merely until something holds the port)
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            probe.request("GET", "/login")
            probe.getresponse().read()
            probe.close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(log.read_text(errors="replace") or "server died") from None
            time.sleep(0.2)
    yield port, token
    proc.terminate()
    proc.wait(15)


def test_loa_serve_answers_the_panel_and_the_api_on_one_kept_alive_connection(server: tuple[int, str]) -> None:
    port, station_token = server
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/")
    home = conn.getresponse()
    home.read()
    assert home.status in (302, 303) and "/login" in (home.getheader("Location") or "")
    conn.request("GET", "/api/v1/stations", headers={"Authorization": f"Bearer {USER_TOKEN}"})
    listed = conn.getresponse()
    assert listed.status == 200 and b"hiep-an" in listed.read()
    conn.request("GET", "/api/v1/stations/hiep-an/playlists/2026-11-27",
                 headers={"Authorization": f"Bearer {station_token}"})
    missing = conn.getresponse()
    assert missing.status == 404 and "error" in missing.read().decode()
    conn.close()
