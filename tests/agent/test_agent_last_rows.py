"""Issue 7, items 6–7: the agent's last rows reach the server (shutdown upload; a kill mid-item leaves
a "cut" row with the real start), and sync recovers fast (a stale keep-alive connection is retried
once; a bad checksum is retried after 2, 4, 8 … s, capped)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from broadcast.agent.agent import KILLED_DETAIL, Agent, AgentConfig, retry_delay
from broadcast.agent.asrun_log import AsRunLog
from broadcast.agent.client import ServerClient
from broadcast.agent.clock import SystemClock
from broadcast.agent.player import ClockPlayer
from tests.agent.helpers import StationServer, Tone
from tests.agent.test_agent_processes import LOA, publish_today, run_loa, wait_for


def test_stopping_sends_the_last_rows_before_exiting(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    publish_today(server, tones, ["long"], lead_s=0.5)
    clock = SystemClock()
    cfg = AgentConfig(server=server.url, station="XA-01", token=server.token, cache_dir=cache_dir, poll_s=0.2)
    agent = Agent(cfg, ClockPlayer(clock), clock=clock)
    runner = threading.Thread(target=agent.run)
    runner.start()
    try:
        wait_for(lambda: agent.current is not None, 10)
    finally:
        agent.stop()  # SIGTERM
        runner.join(15)
    [row] = agent.asrun.rows()
    assert row["status"] == "cut" and row["cause"] == "stop"
    assert row["uid"] in server.asrun_rows  # sent on the way out, not left for the next run
    assert agent.asrun.pending() == []


def test_a_kill_mid_item_leaves_a_cut_row_with_the_real_start(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    [item] = publish_today(server, tones, ["long"], lead_s=0.5)  # 6 s; progress marks every 5 s
    args = ["agent", "--server", server.url, "--station", "XA-01", "--token", server.token,
            "--cache", str(cache_dir)]  # fmt: skip
    proc = subprocess.Popen([LOA, *args, "--no-play", "--poll", "0.3"], env=dict(os.environ),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    onair = cache_dir / "asrun-onair.jsonl"
    try:
        wait_for(lambda: onair.exists() and b'"at"' in onair.read_bytes(), 30)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert AsRunLog(cache_dir).rows() == []  # killed on air: no final row was written
    started = json.loads(onair.read_bytes().splitlines()[0])

    done = run_loa(*args, "--once")  # the next start reconciles and uploads
    assert done.returncode == 0, done.stderr
    [row] = server.asrun_rows.values()
    assert row["status"] == "cut" and row["detail"] == KILLED_DETAIL and row["cause"] == "killed"
    assert row["actual_start"] == started["actual_start"]
    start, end = datetime.fromisoformat(row["actual_start"]), datetime.fromisoformat(row["actual_end"])
    assert timedelta(seconds=4) <= end - start <= timedelta(seconds=item["duration_s"])
    assert onair.read_bytes() == b""


class _StaleKeepAliveServer:
    """Answers the first request of each connection (keep-alive), then closes it on the second
    without answering, as a server that timed out the idle connection does."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n{}")
            conn.recv(65536)  # the second request on this connection: drop it unanswered


def test_a_stale_keep_alive_connection_is_retried_once_on_a_fresh_one() -> None:
    srv = _StaleKeepAliveServer()
    client = ServerClient(srv.url, "XA-01", "t", timeout=5)
    day = datetime(2026, 11, 27).date()
    assert client.get_manifest(day, None).status == "missing"
    assert client.get_manifest(day, None).status == "missing"  # no ConnectionError: retried
    assert srv.connections == 2
    srv.sock.close()


def test_the_manifest_request_carries_the_station_token(server: StationServer, tones: dict[str, Tone],
                                                        cache_dir: Path) -> None:  # fmt: skip
    publish_today(server, tones, ["b"], lead_s=60)
    ServerClient(server.url, "XA-01", server.token).get_manifest(datetime.now().date(), None)
    [(_m, _p, headers)] = server.requests_for("/playlists/")
    assert headers["Authorization"] == f"Bearer {server.token}"
    folder = ServerClient(server.url + "/folder", "XA-01", server.token, layout="folder")
    folder.get_manifest(datetime.now().date(), None)
    [(_m, _p, headers)] = server.requests_for("/folder/")
    assert "Authorization" not in headers  # a plain web folder is never handed the token


@pytest.mark.parametrize(("failures", "delay"), [(1, 2.0), (2, 4.0), (3, 8.0), (7, 120.0), (500, 120.0)])
def test_checksum_retries_back_off_from_two_seconds(failures: int, delay: float) -> None:
    assert retry_delay(failures, 2.0, 120.0) == delay


def test_a_bad_checksum_is_fetched_again_within_seconds(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    [item] = publish_today(server, tones, ["b"], lead_s=600)
    server.wrong[item["sha256"]] = tones["c"].data
    clock = SystemClock()
    cfg = AgentConfig(server=server.url, station="XA-01", token=server.token, cache_dir=cache_dir)
    agent = Agent(cfg, ClockPlayer(clock), clock=clock)
    agent.sync_once()
    assert 1.0 < agent.next_download_wait() <= 2.0  # not the 30 s poll, nor 5 minutes
    del server.wrong[item["sha256"]]
    wait_for(lambda: agent.next_download_wait() == 0.05, 3)
    time.sleep(0.1)  # now past the retry time
    assert agent.download_missing().downloaded == [item["sha256"]]


def test_a_413_is_split_like_a_bad_batch_not_retried_forever(server: StationServer, cache_dir: Path) -> None:
    cfg = AgentConfig(server=server.url, station="XA-01", token=server.token, cache_dir=cache_dir)
    agent = Agent(cfg, ClockPlayer(SystemClock()), clock=SystemClock())
    for i in range(2):
        agent.asrun.append({"key": f"k{i}", "date": "2026-11-27", "title": f"t{i}", "status": "played"})
    server.asrun_status = 413
    report = agent.upload_asrun()
    assert report.reachable  # the server answered: it is not "unreachable"
    assert agent.asrun.pending() == []  # each row alone was still refused: set aside, not resent forever
    assert len(server.requests_for("/api/v1/asrun")) == 3  # the batch, then each row alone
