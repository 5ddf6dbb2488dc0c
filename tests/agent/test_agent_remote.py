"""Remote control end to end (issue 12): orders sent from the dashboard reach a real `loa agent`
process in its heartbeat replies, act on what it plays (the recording sink, ``--record-to``,
writes each play's level), and come back acknowledged; the dashboard then shows them done."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.serving import make_server

from broadcast import bulletins, clock, security, stations
from broadcast.db import session_scope
from broadcast.generate import generate_playlists
from broadcast.models import AsRun, AuditLog, MediaFile, RemoteCommand, Role, Station, User
from loa import config
from pipeline.store import MediaStore
from tests.agent.helpers import Tone
from web.app import create_app
from web.jobs import InlineJobQueue

LOA = str(Path(sys.executable).parent / "loa")
TZ = "Asia/Ho_Chi_Minh"
PASSWORD = "mat-khau-dieu-khien"
# A station whose only session is at 03:00: nothing of the schedule airs during the test.
CSV = 'code,name,kind,sessions\nta-nang,Xã Tà Năng,xa,"Mon-Sun 03:00-03:10"\n'


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Site:
    def __init__(self, data: Path) -> None:
        self.settings = config.load(data_dir=data, engine_order=("espeak",), secret_key="remote-test")
        self.app = create_app(self.settings, jobs=InlineJobQueue())
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def session(self):  # type: ignore[no-untyped-def]
        return session_scope(self.app.extensions["loa_sessions"])

    def operator(self) -> FlaskClient:
        c = self.app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").get_data(as_text=True))
        assert token
        r = c.post("/login", data={"csrf_token": token[1], "username": "operator", "password": PASSWORD})
        assert r.status_code == 302
        fresh = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/dashboard").get_data(as_text=True))
        assert fresh  # a login starts a new session, with a new token
        c.csrf = fresh[1]  # type: ignore[attr-defined]
        return c


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tones: dict[str, Tone]) -> Iterator[tuple[Site, str, int]]:
    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    site = Site(tmp_path / "loa-data")
    with site.session() as s:
        stations.import_stations(s, stations.parse_stations_csv(CSV))
        s.add(User(username="operator", role=Role.OPERATOR, password_hash=security.hash_password(PASSWORD)))
        s.flush()
        station = s.scalar(select(Station))
        assert station is not None
        token = stations.issue_agent_token(s, station, "admin")
        today = clock.today(TZ)
        generate_playlists(s, site.settings, [today, today + timedelta(days=1)], ["ta-nang"])
        # an approved bulletin whose rendered file is the 6-second tone
        long = tones["long"]
        store = MediaStore(site.settings.media_dir)
        store.path_for(long.sha256).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(long.path, store.path_for(long.sha256))
        s.add(MediaFile(sha256=long.sha256, path=store.relpath_for(long.sha256), size=len(long.data)))
        b = bulletins.create_bulletin(s, title="Thông báo thu thuế", body="Thu thuế.", valid_from=today,
                                      valid_to=today, actor="editor", media_dir=site.settings.media_dir)
        bulletins.submit(s, b, "editor")
        bulletins.approve(s, b, "reviewer")
        b.media_sha256 = long.sha256
        s.flush()
        bulletin_id = b.id
    try:
        yield site, token, bulletin_id
    finally:
        site.server.shutdown()


def send(site: Site, client: FlaskClient, kind: str, **params: str) -> int:
    r = client.post("/dashboard/commands", data={"csrf_token": client.csrf, "station": "ta-nang",  # type: ignore[attr-defined]
                                                 "kind": kind, **params})
    assert r.status_code == 302, r.get_data(as_text=True)
    with site.session() as s:
        return int(s.scalar(select(RemoteCommand.id).order_by(RemoteCommand.id.desc()).limit(1)) or 0)


def acked(site: Site, command_id: int) -> RemoteCommand | None:
    with site.session() as s:
        cmd = s.get(RemoteCommand, command_id)
        return cmd if cmd is not None and cmd.acked_at is not None else None


def plays(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.skipif(not hasattr(signal, "SIGTERM"), reason="POSIX signals")
def test_orders_from_the_dashboard_reach_a_real_agent_and_come_back_done(
    site: tuple[Site, str, int], tmp_path: Path
) -> None:
    web, token, bulletin_id = site
    record = tmp_path / "aired.jsonl"
    env = {**os.environ, "LOA_AGENT_HEARTBEAT_S": "0.3", "LOA_DATA_DIR": str(tmp_path / "agent-data")}
    proc = subprocess.Popen(
        [LOA, "agent", "--server", web.url, "--station", "ta-nang", "--token", token,
         "--cache", str(tmp_path / "cache"), "--poll", "0.2", "--record-to", str(record)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    op = web.operator()
    try:
        def heard() -> bool:
            with web.session() as s:
                st = s.scalar(select(Station))
                return st is not None and st.last_heartbeat_at is not None

        wait_for(heard, 30, "the agent's first heartbeat")
        vol = send(web, op, "volume", level="50")
        assert wait_for(lambda: acked(web, vol), 15, "volume ack").result == "âm lượng 50%"
        tone = send(web, op, "tone", seconds="1")
        done = wait_for(lambda: acked(web, tone), 15, "tone ack")
        assert done.ok and "tiếng thử 1 giây ở âm lượng 50%" in done.result
        [tone_play] = plays(record)
        # the 1 kHz tone is made at -6 dBFS; at 50 % volume it reaches the amplifier at -12 dBFS
        assert tone_play["completed"] and tone_play["frames"] == 44_100
        assert tone_play["peak_dbfs"] == pytest.approx(-12.04, abs=0.2)

        test = send(web, op, "system_test")
        check = wait_for(lambda: acked(web, test), 15, "system test ack")
        assert check.ok, check.result
        assert "lịch hôm nay phiên bản 1" in check.result and "thiết bị phát: được" in check.result
        assert plays(record)[-1]["peak_dbfs"] is None  # the system test is silent

        now_play = send(web, op, "play_now", bulletin_id=str(bulletin_id))
        wait_for(lambda: _playing(web) == "Thông báo thu thuế", 15, "play-now on air")
        skip = send(web, op, "skip")
        skipped = wait_for(lambda: acked(web, skip), 15, "skip ack")
        assert skipped.ok and skipped.result == "đã bỏ qua 'Thông báo thu thuế'"
        cut = wait_for(lambda: acked(web, now_play), 15, "play-now ack")
        assert not cut.ok and "phát ngay bị ngắt" in cut.result
        row = wait_for(lambda: _asrun(web), 15, "the play-now as-run row")
        assert row.status.value == "cut" and row.bulletin_id == bulletin_id and row.detail == "phát ngay theo lệnh từ xa"
        aired = plays(record)[-1]
        assert not aired["completed"] and 0 < aired["frames"] < 6 * 44_100  # cut before its 6 seconds

        live = op.get("/dashboard/live").get_data(as_text=True)
        # the three latest orders, as the agent acknowledged them
        assert f'data-command="{skip}" data-state="done"' in live and "đã bỏ qua" in live
        assert f'data-command="{test}" data-state="done"' in live
        assert f'data-command="{now_play}" data-state="failed"' in live and "phát ngay bị ngắt" in live
        with web.session() as s:
            actions = list(s.scalars(select(AuditLog.action).where(AuditLog.action.like("remote.%"))))
        assert sorted(set(actions)) == ["remote.ack", "remote.play_now", "remote.skip", "remote.system_test",
                                        "remote.tone", "remote.volume"]
        assert actions.count("remote.ack") == 5
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        finally:
            assert proc.stderr is not None
            err = proc.stderr.read().decode("utf-8", "replace")
            proc.stderr.close()
    assert proc.returncode == 0, err[-2000:]
    # the volume an operator set survives a restart of the agent
    assert json.loads((tmp_path / "cache" / "remote-volume.json").read_text()) == {"level": 50}


def _playing(site: Site) -> str | None:
    with site.session() as s:
        st = s.scalar(select(Station))
        return (st.agent_info or {}).get("playing") if st is not None else None


def _asrun(site: Site) -> AsRun | None:
    with site.session() as s:
        return s.scalar(select(AsRun).where(AsRun.detail == "phát ngay theo lệnh từ xa"))


@contextlib.contextmanager
def _running_agent(server: Any, cache_dir: Path) -> Iterator[Any]:
    """An agent for the fake station server, playing on the wall clock in a thread of its own."""
    from broadcast.agent.agent import Agent, AgentConfig
    from broadcast.agent.clock import SystemClock
    from broadcast.agent.player import ClockPlayer

    clock = SystemClock()
    cfg = AgentConfig(server=server.url, station="XA-01", token=server.token, cache_dir=cache_dir, poll_s=0.2)
    agent = Agent(cfg, ClockPlayer(clock), clock=clock)
    runner = threading.Thread(target=agent.run)
    runner.start()
    try:
        yield agent
    finally:
        agent.stop()
        runner.join(10)


def test_stop_cuts_what_is_on_air_and_holds_playout(server, tones, cache_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """In-process, on the wall clock: a stop cuts the item on air and the next item, due during the
    hold, does not air; an order the agent does not know is acknowledged as failed."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from broadcast.agent.remote import Order
    from tests.agent.helpers import make_item, make_manifest

    t = datetime.now(ZoneInfo(TZ)) + timedelta(seconds=0.5)
    items = [make_item(t, tones["long"], "Tin dài"), make_item(t + timedelta(seconds=6.5), tones["b"], "Tin sau")]
    server.publish(make_manifest("XA-01", t.date().isoformat(), 1, items))
    server.add_media(tones["long"], tones["b"])
    with _running_agent(server, cache_dir) as agent:
        wait_for(lambda: agent.current is not None, 10, "the long item on air")
        agent.take_orders([Order(1, "stop", {"minutes": 1}), Order(2, "reboot", {}), Order(1, "stop", {"minutes": 1})])
        wait_for(lambda: [r for r in agent.asrun.rows() if r["title"] == "Tin dài"], 5, "the cut row")
        time.sleep(7.5)  # past "Tin sau"'s start: held
        assert agent.current is None
        wait_for(lambda: any(h.get("acks") for h in server.heartbeats), 5, "the acks in a heartbeat")
    [cut] = [r for r in agent.asrun.rows() if r["title"] == "Tin dài"]
    assert cut["status"] == "cut" and cut["detail"] == "dừng theo lệnh từ xa (1 phút)"
    assert not [r for r in agent.asrun.rows() if r["title"] == "Tin sau" and r["status"] == "played"]
    acks = {a["id"]: a for h in server.heartbeats for a in h.get("acks", [])}
    assert acks[1]["ok"] and acks[1]["result"].startswith("đã dừng 'Tin dài'; im lặng đến ")
    assert acks[2] == {"id": 2, "ok": False, "result": "máy phát không biết lệnh 'reboot'"}


def test_resume_ends_a_stop_and_the_next_item_airs_on_time(server, tones, cache_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """A 60-minute stop, then "resume": the item due after the resume airs at its time; a resume
    with no stop in force is acknowledged as such (nothing else changes)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from broadcast.agent.remote import Order
    from tests.agent.helpers import make_item, make_manifest

    t = datetime.now(ZoneInfo(TZ)) + timedelta(seconds=3)
    server.publish(make_manifest("XA-01", t.date().isoformat(), 1, [make_item(t, tones["b"], "Tin sau")]))
    server.add_media(tones["b"])
    with _running_agent(server, cache_dir) as agent:
        agent.take_orders([Order(1, "resume", {})])
        agent.take_orders([Order(2, "stop", {"minutes": 60})])
        time.sleep(0.5)
        agent.take_orders([Order(3, "resume", {})])
        wait_for(lambda: [r for r in agent.asrun.rows() if r["title"] == "Tin sau" and r["status"] == "played"],
                 15, "the item due after the resume, played")
        wait_for(lambda: len({a["id"] for h in server.heartbeats for a in h.get("acks", [])}) == 3, 5, "the acks")
    [played] = [r for r in agent.asrun.rows() if r["title"] == "Tin sau"]
    assert abs(datetime.fromisoformat(played["actual_start"]) - t) < timedelta(seconds=1.5)
    acks = {a["id"]: a for h in server.heartbeats for a in h.get("acks", [])}
    assert acks[1] == {"id": 1, "ok": True, "result": "máy phát không đang dừng"}
    assert acks[3] == {"id": 3, "ok": True, "result": "đã phát lại (hết dừng)"}
