"""The agent as it really runs: threads on the wall clock, and the `loa agent` command in a separate
process (killed with SIGKILL mid-day to prove the as-run log survives and is uploaded exactly once)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from broadcast.agent.agent import KILLED_DETAIL, Agent, AgentConfig
from broadcast.agent.asrun_log import AsRunLog
from broadcast.agent.cache import file_sha256
from broadcast.agent.cli import agent_command
from broadcast.agent.clock import SystemClock
from broadcast.agent.player import ClockPlayer
from loa import config
from tests.agent.helpers import StationServer, Tone, make_item, make_manifest

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
LOA = str(Path(sys.executable).parent / "loa")


def wait_for(condition: Callable[[], object], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def publish_today(
    server: StationServer, tones: dict[str, Tone], names: Sequence[str], lead_s: float
) -> list[dict]:
    t = datetime.now(TZ) + timedelta(seconds=lead_s)
    day = t.date().isoformat()
    items = []
    for name in names:
        items.append(make_item(t, tones[name], f"Tin {name}"))
        t += timedelta(seconds=tones[name].duration_s + 0.3)
    server.publish(make_manifest("XA-01", day, 1, items))
    server.add_media(*(tones[n] for n in names))
    return items


def statuses(log: AsRunLog) -> list[tuple[str, str]]:
    return [(r["title"], r["status"]) for r in log.rows()]


def test_threads_on_the_wall_clock_cut_for_an_emergency_and_resume(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    items = publish_today(server, tones, "ab", lead_s=1.0)
    clock = SystemClock()
    cfg = AgentConfig(server=server.url, station="XA-01", token=server.token, cache_dir=cache_dir, poll_s=0.2)
    agent = Agent(cfg, ClockPlayer(clock), clock=clock)
    runner = threading.Thread(target=agent.run)
    runner.start()
    try:
        wait_for(lambda: agent.current is not None and agent.current.item.title == "Tin a", 10)
        time.sleep(0.3)
        now = datetime.now(TZ)
        emergency = make_item(now, tones["e"], "KHẨN CẤP", priority="emergency")
        server.publish(make_manifest("XA-01", now.date().isoformat(), 2, [*items, emergency], emergency=True))
        server.add_media(tones["e"])
        wait_for(lambda: ("Tin b", "played") in statuses(agent.asrun), 15)
    finally:
        agent.stop()
        runner.join(10)
    assert not runner.is_alive()
    assert statuses(agent.asrun) == [
        ("Tin a", "cut"), ("KHẨN CẤP", "played"), ("Tin a", "played"), ("Tin b", "played"),
    ]  # fmt: skip
    assert server.heartbeats and server.heartbeats[0]["station"] == "XA-01"


def run_loa(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LOA, *args], capture_output=True, text=True, timeout=timeout, env=dict(os.environ))


def test_loa_agent_once_syncs_and_exits(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    publish_today(server, tones, "abc", lead_s=3600)
    (published,) = server.manifests  # today's, or tomorrow's when run after 23:00 in Vietnam
    args = [
        "agent",
        "--server",
        server.url,
        "--station",
        "XA-01",
        "--token",
        server.token,
        "--cache",
        str(cache_dir),
    ]
    done = run_loa(*args, "--once")
    assert done.returncode == 0, done.stderr
    assert "1 lịch phát mới, 3 tệp đã tải" in done.stdout
    for name in "abc":
        path = cache_dir / "media" / f"{tones[name].sha256}.mp3"
        assert file_sha256(path) == tones[name].sha256
    assert len(server.heartbeats) == 1

    # the same command in-process (a process start costs seconds): nothing new, then the server is gone
    again = CliRunner().invoke(agent_command, [*args[1:], "--once"], obj=config.load())
    assert again.exit_code == 0 and "0 lịch phát mới, 0 tệp đã tải" in again.output
    assert server.requests_for(published)[-1][2].get("If-None-Match")  # conditional GET → 304

    server.close()
    offline = CliRunner().invoke(agent_command, [*args[1:], "--once"], obj=config.load())
    assert offline.exit_code == 1 and "Không kết nối được máy chủ" in offline.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--server", "http://127.0.0.1:9", "--station", "XA-01", "--once"], "Thiếu mã truy cập"),
        (["--station", "XA-01", "--token", "t"], "Cần --server và --station"),
    ],
)
def test_loa_agent_refuses_bad_arguments(
    args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOA_AGENT_TOKEN", raising=False)
    result = CliRunner().invoke(agent_command, args, obj=config.load())
    assert result.exit_code == 2 and message in result.output


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX")
def test_asrun_survives_sigkill_and_is_uploaded_exactly_once(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    publish_today(server, tones, "bce", lead_s=0.0)  # due at once (late items still fit)
    server.asrun_status = 503  # the server is down for reports while the agent airs
    args = [
        "agent",
        "--server",
        server.url,
        "--station",
        "XA-01",
        "--token",
        server.token,
        "--cache",
        str(cache_dir),
    ]
    proc = subprocess.Popen([LOA, *args, "--no-play", "--poll", "0.3"], env=dict(os.environ),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    log = AsRunLog(cache_dir)
    try:
        wait_for(lambda: len(log.rows()) >= 2, 30)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert proc.stderr is not None
        proc.stderr.close()
    logged = log.rows()
    assert len(logged) >= 2 and all(r["status"] == "played" for r in logged)
    assert server.asrun_rows == {}

    server.asrun_status = None  # reports accepted again; the agent restarts
    done = run_loa(*args, "--once")
    assert done.returncode == 0, done.stderr
    # The item on air when killed (if any) became a "cut" row on restart (issue 7, item 6).
    after = log.rows()
    assert after[: len(logged)] == logged
    assert all(r["status"] == "cut" and r["detail"] == KILLED_DETAIL for r in after[len(logged) :])
    logged = after
    assert sorted(server.asrun_rows) == sorted(r["uid"] for r in logged)
    posts = len(server.asrun_posts)
    # one more restart (in-process this time: a process start costs seconds) sends nothing
    assert CliRunner().invoke(agent_command, [*args[1:], "--once"], obj=config.load()).exit_code == 0
    assert len(server.asrun_posts) == posts  # acknowledged rows are never sent again
    sent = [row["uid"] for post in server.asrun_posts for row in post["rows"]]
    assert len(sent) == len(set(sent)) == len(logged)


def test_stopping_the_agent_logs_the_item_on_air_as_cut(
    server: StationServer, tones: dict[str, Tone], cache_dir: Path
) -> None:
    publish_today(server, tones, ["long"], lead_s=0.5)  # a 6-second item
    clock = SystemClock()
    cfg = AgentConfig(server=server.url, station="XA-01", token=server.token, cache_dir=cache_dir, poll_s=0.2)
    agent = Agent(cfg, ClockPlayer(clock), clock=clock)
    runner = threading.Thread(target=agent.run)
    runner.start()
    try:
        wait_for(lambda: agent.current is not None, 10)
    finally:
        agent.stop()  # what Ctrl+C / SIGTERM do in `loa agent`
        runner.join(10)
    assert not runner.is_alive()
    [row] = agent.asrun.rows()
    assert row["status"] == "cut" and row["detail"] == "ngừng phát do tắt chương trình"
