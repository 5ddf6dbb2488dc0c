"""The fault test: two servers, two schedulers and two workers on one PostgreSQL and one Redis.

One of each is killed -9 during a night's generation and during a burst of renders, while a few
pollers ask the servers for manifests as agents do. Afterwards every station has one new playlist
version per change and none twice, every render finished once, no file is partial, and the pollers
never got an answer they could not retry (a refused connection to a dead server is retried on the
other, as a reverse proxy does)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from broadcast.db import init_db, session_factory, session_scope
from broadcast.models import (
    Bulletin,
    MediaFile,
    Playlist,
    RegenRequest,
    SchedulerClaim,
    SchedulerRun,
    Station,
)
from broadcast.playlist_files import manifest_etag
from broadcast.stations import issue_agent_token
from loa import config
from loa.config import Settings
from tests.scale.conftest import Proc, free_port, wait_for
from tests.scale.helpers import LONG_SCRIPT, approved_without_audio, assert_store_complete, process_env
from tests.scheduler import seed

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path("/proc").exists(), reason="POSIX processes")]

DAY = date(2026, 11, 26)
DAYS = [DAY + timedelta(days=i) for i in range(3)]
STATIONS = 30
RENDERS = 3
FAST = ["--drain-every", "0.3", "--watch-every", "0.3", "--lease", "1.5"]


class Pollers:
    """Agents' manifest polls (with If-None-Match), spread over both servers."""

    def __init__(self, ports: list[int], targets: list[tuple[str, str]]) -> None:
        self.ports, self.targets = ports, targets
        self.stop = threading.Event()
        self.bad: list[str] = []
        self.ok = 0
        self.threads = [threading.Thread(target=self._poll, args=(i,), daemon=True) for i in range(len(targets))]

    def _poll(self, i: int) -> None:
        code, token = self.targets[i]
        etag, turn = "", i
        http = requests.Session()
        while not self.stop.is_set():
            port = self.ports[turn % len(self.ports)]
            turn += 1
            try:
                r = http.get(f"http://127.0.0.1:{port}/api/v1/stations/{code}/playlists/{DAY}", timeout=10,
                             headers={"Authorization": f"Bearer {token}", **({"If-None-Match": etag} if etag else {})})
            except requests.ConnectionError:
                http = requests.Session()  # a dead server: the next turn goes to the other one
                continue
            except requests.RequestException as exc:
                self.bad.append(f"{port}: {exc!r}")
                continue
            if r.status_code == 200:
                doc = r.json()  # a partial body would not parse
                assert manifest_etag(doc) and doc["version"] >= 1
                etag = r.headers["ETag"]
                self.ok += 1
            elif r.status_code == 304 or (r.status_code == 404 and r.json().get("code") == "no_playlist"):
                self.ok += 1
            else:
                self.bad.append(f"{port}: {r.status_code} {r.text[:200]}")
            self.stop.wait(0.05)

    def __enter__(self) -> Pollers:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(15)


def _seed(settings: Settings) -> tuple[sessionmaker[Session], list[str], list[tuple[str, str]]]:
    f = session_factory(init_db(settings.db_url))
    with session_scope(f) as s:
        codes = seed.add_stations(s, STATIONS)
        for i in range(2):
            seed.approved_bulletin(s, settings, f"Thông báo {i}", valid_from=DAY, valid_to=DAY + timedelta(days=9))
        seed.clear_outbox(s)
        stations = {st.code: st for st in s.scalars(select(Station).where(Station.code.in_(codes[:3])))}
        targets = [(code, issue_agent_token(s, stations[code])) for code in codes[:3]]
    return f, codes, targets


def _count(f: sessionmaker[Session], query: Any) -> int:
    with session_scope(f) as s:
        return int(s.scalar(query) or 0)


def _nightly(f: sessionmaker[Session]) -> list[str]:
    with session_scope(f) as s:
        return list(s.scalars(select(SchedulerRun.status).where(SchedulerRun.job == "nightly").order_by(SchedulerRun.id)))


def _holder(f: sessionmaker[Session], name: str) -> str:
    with session_scope(f) as s:
        return s.scalar(select(SchedulerClaim.owner).where(SchedulerClaim.name == name,
                                                           SchedulerClaim.status == "running")) or ""


def _by_pid(group: list[Proc], owner: str) -> Proc | None:
    """The process whose pid is in a claim's owner (``host:pid:random``)."""
    return next((p for p in group if owner and owner.split(":")[1] == str(p.pid)), None)


def test_kill9_one_of_each_during_the_night_and_a_render_burst(
    tmp_path: Path, pg_url: str, redis_url: str, procs: Callable[..., Proc]
) -> None:
    data = tmp_path / "data"
    env = process_env(data, redis_url, pg_url)
    settings = config.load(env=env)
    f, codes, targets = _seed(settings)
    sched_env = {**env, "LOA_FAKE_NOW": f"{DAY}T10:00:00"}
    ports = [free_port(), free_port()]

    def server(i: int) -> Proc:
        return procs(f"serve{i}", ["serve", "--no-scheduler", "--port", str(ports[i])], env)

    servers = [server(0), server(1)]
    workers = [procs(f"worker{i}", ["worker", "--name", f"w{i}"], env) for i in range(2)]
    everyone = servers + workers
    for port in ports:
        wait_for(lambda port=port: _up(port), 60, f"server on {port}", everyone)

    with Pollers(ports, targets) as pollers:
        # --- a night's generation: kill -9 the scheduler that holds the night, and a server ---
        schedulers = [procs(f"sched{i}", ["scheduler", *FAST], sched_env) for i in range(2)]
        everyone += schedulers
        total = STATIONS * len(DAYS)
        wait_for(lambda: _count(f, select(func.count(Playlist.id))) > 0, 60, "the first playlists", everyone)
        holder = _by_pid(schedulers, _holder(f, f"nightly:{DAY}"))
        assert holder is not None, "a running scheduler holds the night"
        holder.kill9()
        servers[0].kill9(group=True)
        at_kill = _count(f, select(func.count(Playlist.id)))
        assert 0 < at_kill < total, "the kill must land mid-run for this test to mean anything"
        servers[0] = server(0)  # systemd restarts what died
        schedulers.append(procs("sched-restarted", ["scheduler", *FAST], sched_env))
        everyone += [servers[0], schedulers[-1]]
        wait_for(lambda: "ok" in _nightly(f), 60, "the survivor to take the night over", everyone)
        assert _nightly(f) == ["abandoned", "ok"]
        assert _count(f, select(func.count(Playlist.id))) == total  # all of it, nothing twice

        # --- a burst of renders (the schedulers' sweep enqueues them): kill -9 a busy worker,
        # a scheduler and the other server ---
        with session_scope(f) as s:
            bids = [approved_without_audio(s, settings, f"Khẩn {i}", DAY, station_codes=[codes[i]],
                                           body=f"Thông báo {i}: {LONG_SCRIPT[:90]}")
                    for i in range(RENDERS)]
        from broadcast.jobs import RedisJobQueue

        queue = RedisJobQueue(settings)
        def rendering_on_w0() -> bool:  # its job recorded as started and its progress moving
            job = next((w["job"] for w in queue.stats()["workers"] if w["name"] == "w0"), None)
            return bool(job) and (st := queue.status(job)).state == "running" and st.progress > 0

        wait_for(rendering_on_w0, 60, "worker w0 to be rendering", everyone)
        workers[0].kill9()
        live = [p for p in schedulers if p.alive()]
        live[0].kill9()
        servers[1].kill9(group=True)
        wait_for(lambda: _count(f, select(func.count(Bulletin.id)).where(Bulletin.id.in_(bids),
                                                                        Bulletin.render_status == "done")) == RENDERS,
                 90, "every render to finish", everyone)
        wait_for(lambda: _count(f, select(func.count(RegenRequest.id)).where(RegenRequest.done_at.is_(None))) == 0,
                 30, "the outbox to drain", everyone)
        wait_for(lambda: all(_has_audio(settings, codes[i], bids[i]) for i in range(RENDERS)), 30,
                 "the playlists to carry the new audio", everyone)
        assert pollers.ok > 0

    assert pollers.bad == [], pollers.bad
    _assert_renders_once(f, queue, bids)
    _assert_versions(f, settings, codes, set(codes[:RENDERS]))
    assert assert_store_complete(settings.media_dir) >= RENDERS
    for p in everyone:
        p.stop()


def _up(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _has_audio(settings: Settings, code: str, bid: int) -> bool:
    path = settings.playlists_dir / code / f"{DAY}.json"
    if not path.exists():
        return False
    items = json.loads(path.read_text()).get("items", [])
    return any(it.get("bulletin_id") == bid and it.get("sha256") for it in items)


def _assert_renders_once(f: sessionmaker[Session], queue: Any, bids: list[int]) -> None:
    from rq.job import Job
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    render_q = queue._queues["render"]
    finished = [Job.fetch(j, connection=queue.redis) for j in FinishedJobRegistry(queue=render_q).get_job_ids()]
    per_bulletin = sorted(j.args[1]["bulletin_id"] for j in finished)  # run_task(task, kwargs)
    assert per_bulletin == sorted(bids), "each render finished exactly once"
    assert all([r.type.name for r in j.results()] == ["SUCCESSFUL"] for j in finished)
    assert FailedJobRegistry(queue=render_q).count == 0
    with session_scope(f) as s:
        for bid in bids:
            assert s.scalar(select(func.count(RegenRequest.id)).where(
                RegenRequest.reason == "bulletin rendered", RegenRequest.bulletin_id == bid)) == 1
        shas = list(s.scalars(select(Bulletin.media_sha256).where(Bulletin.id.in_(bids))))
        assert len(set(shas)) == len(bids) and s.scalar(select(func.count(MediaFile.sha256)).where(
            MediaFile.sha256.in_(shas))) == len(bids)


def _assert_versions(f: sessionmaker[Session], settings: Settings, codes: list[str], changed: set[str]) -> None:
    """Versions 1..N, each a real change; unchanged stations kept version 1; the file is the latest."""
    with session_scope(f) as s:
        for code in codes:
            for day in DAYS:
                rows = s.execute(select(Playlist.version, Playlist.etag).join(Station)
                                 .where(Station.code == code, Playlist.date == day).order_by(Playlist.version)).all()
                assert [r.version for r in rows] == list(range(1, len(rows) + 1)), (code, day)
                etags = [r.etag for r in rows]
                assert len(set(etags)) == len(etags), f"a version repeated its content: {code} {day}"
                if code not in changed or day != DAY:
                    assert len(rows) == 1, f"no change, yet a new version: {code} {day}"
                else:
                    assert 2 <= len(rows) <= 3, (code, day, len(rows))  # approval, then its audio (or both at once)
                on_disk = json.loads((settings.playlists_dir / code / f"{day}.json").read_text())
                assert on_disk["version"] == rows[-1].version
