"""`loa serve` as a real process: the server the stations talk to."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
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


def prepare(tmp_path: Path) -> tuple[dict[str, str], str]:
    """A data folder with the district's stations and a user's API token; the environment and the
    station hiep-an's token."""
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
    return env, token


def start(tmp_path: Path, env: dict[str, str], wait_s: float = 60) -> tuple[subprocess.Popen[bytes], int]:
    """``loa serve`` on a free port, once it answers HTTP (not merely once something holds the port)."""
    port = free_port()
    # its output to a file, not a pipe: Granian's worker process outlives a crashed parent and would hold
    # a pipe open, so reading it to say why the server died would wait forever
    log = tmp_path / "serve.log"
    with log.open("wb") as err:  # the child keeps its own copy; its own session, to stop it with its worker
        proc = subprocess.Popen([sys.executable, "-m", "loa", "serve", "--port", str(port)], env=env,
                                stdout=err, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            probe.request("GET", "/login")
            probe.getresponse().read()
            probe.close()
            return proc, port
        except OSError:
            died = proc.poll() is not None
            if died or time.monotonic() > deadline:
                stop(proc)
                said = log.read_text(errors="replace")
                raise AssertionError((said or "server died") if died else f"no answer in {wait_s:.0f} s: {said}") from None
            time.sleep(0.2)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Kill the server and its Granian worker, which outlives its parent (and a hung one ignores it)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(15)


@pytest.fixture()
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    env, token = prepare(tmp_path)
    proc, port = start(tmp_path, env)
    yield port, token
    proc.terminate()
    proc.wait(15)


# Run by `loa serve` when LOA_TEST_HOLD_IMPORT of its environment names a module: a thread of the
# serving process holds that module's import lock for two minutes, as the scheduler thread does while
# it imports a module. Popped, so the processes the server starts do not do the same.
HOLD_IMPORT = """
import os, threading, time
_name = os.environ.pop("LOA_TEST_HOLD_IMPORT", "")
if _name:
    import importlib._bootstrap as _bootstrap
    def _hold():
        with _bootstrap._ModuleLockManager(_name):
            time.sleep(120)
    threading.Thread(target=_hold, daemon=True).start()
    time.sleep(0.2)
"""


def test_loa_serve_answers_while_another_of_its_threads_holds_an_import_lock(tmp_path: Path) -> None:
    """The scheduler thread of `loa serve` was importing a module when Granian forked its worker: the
    forked worker waited for ever on that import lock (the app factory imports the same module), and
    the server never answered (CI, 1 start in 12 under load). A spawned worker has locks of its own."""
    env, _ = prepare(tmp_path)
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HOLD_IMPORT)
    env = {**env, "LOA_TEST_HOLD_IMPORT": "web.wsgi",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(hook), env.get("PYTHONPATH", "")]))}
    proc, port = start(tmp_path, env, wait_s=45)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/login")
        assert conn.getresponse().status == 200
    finally:
        stop(proc)


def test_loa_serve_answers_the_panel_and_the_api_on_one_kept_alive_connection(server: tuple[int, str],
                                                                            tmp_path: Path) -> None:
    port, station_token = server
    said = (tmp_path / "serve.log").read_text()
    assert "Loa: http://" in said and "threads" not in said  # no warning about the streams' threads
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
