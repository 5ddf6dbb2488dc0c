"""Benchmark rows of issue 10 about serving agents: polls per second across processes, and how fast
an emergency gets on air when it is pushed rather than polled.

``polls``: N simulated agents poll their manifest with If-None-Match (every answer a 304) as fast as
answers come (closed loop), against one ``loa serve`` process and then two (each on its own port,
the agents split between them as a reverse proxy would), and once more against one process while
``--streams`` agents hold their event stream open: a held stream must not slow anyone else.
Prints polls per second and p50/p99 of each.

``emergency``: K real station agents (``broadcast.agent.Agent``, the real HTTP client, cache and
playout loop; a player that records when it is handed the audio) run against ``loa serve``. An
emergency is approved (the confirmation, committed), its playlists drained as the approving process
does, and the time until each agent starts airing it is measured: once with the agents listening
to ``/api/v1/stations/<code>/events`` (push) and once with push off (polling every ``--poll-s``).
Goal: push <= 2 s at p99.

    python scripts/bench_scale_push.py                    # both rows
    python scripts/bench_scale_push.py --only polls --agents 200 --seconds 8
    python scripts/bench_scale_push.py --only emergency --agents 20 --trials 2 --poll-s 30
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_api  # noqa: E402  (the agents' polling loop and the seeding, shared with bench_api.py)

from loa.config import Settings  # noqa: E402

log = logging.getLogger("bench_scale_push")
TZ = "Asia/Ho_Chi_Minh"
#: The polls row waits at most this long for its event streams to open.
OPEN_TIMEOUT_S = 120.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


class Server(NamedTuple):
    port: int
    pid: int


@contextmanager
def servers(data: Path, count: int, extra_env: dict[str, str] | None = None) -> Iterator[list[Server]]:
    """``count`` ``loa serve --no-scheduler`` processes on one data folder, each on its own port."""
    env = {**os.environ, "LOA_DATA_DIR": str(data), **(extra_env or {})}
    loa = Path(sys.executable).with_name("loa")
    ports = [bench_api.free_port() for _ in range(count)]
    procs = [subprocess.Popen([str(loa), "serve", "--no-scheduler", "--port", str(p)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for p in ports]  # fmt: skip
    try:
        for p in ports:
            asyncio.run(bench_api.wait_ready(p))
        yield [Server(port, proc.pid) for port, proc in zip(ports, procs, strict=True)]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(15)


def memory(pid: int) -> tuple[float, int]:
    """Resident memory (MiB) and thread count of ``pid`` and its children (Granian's worker is a
    child of ``loa serve``), from /proc; (nan, 0) where there is no /proc."""
    rss_kib, threads = 0, 0
    try:
        pids = [pid, *(int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
        for p in pids:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                key, _, value = line.partition(":")
                if key == "VmRSS":
                    rss_kib += int(value.split()[0])
                elif key == "Threads":
                    threads += int(value)
    except OSError:
        return float("nan"), 0
    return rss_kib / 1024, threads


# --- row: manifest polls per second, 1 process against 2 -------------------------------------


async def _hold_stream(port: int, code: str, stop_at: float, opened: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write((f"GET /api/v1/stations/{code}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  f"Authorization: Bearer {bench_api.bench_token(code)}\r\n\r\n").encode())  # fmt: skip
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 200 " in head.split(b"\r\n", 1)[0]:
        opened.append(1)
    try:
        while time.monotonic() < stop_at:
            await asyncio.wait_for(reader.read(4096), timeout=max(0.1, stop_at - time.monotonic()))
    except (TimeoutError, OSError):
        pass
    finally:
        writer.close()


async def _load(served: list[Server], agents: int, seconds: float, day: str, streams: int,
                rate: float = 0.0) -> dict[str, Any]:
    ports = [s.port for s in served]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    gate = asyncio.Event()
    opened: list[int] = []
    holders = [asyncio.create_task(_hold_stream(ports[0], f"xa-{agents + i:05d}", time.monotonic() + 3600, opened))
               for i in range(streams)]  # fmt: skip
    opening_s = await _until_open(opened, streams, OPEN_TIMEOUT_S)
    stop_at = time.monotonic() + seconds + 5.0
    interval = agents / rate if rate else 0.0
    tasks = [asyncio.create_task(bench_api.agent(ports[i % len(ports)], f"xa-{i:05d}", day, stop_at, latencies,
                                                 statuses, gate, interval, interval * i / agents))
             for i in range(agents)]  # fmt: skip
    await asyncio.sleep(2.0)
    gate.set()
    await asyncio.sleep(2.0)
    n0, t0 = len(latencies), time.monotonic()
    await asyncio.sleep(max(1.0, seconds - 2.0))
    n1, t1 = len(latencies), time.monotonic()
    rss_mib, threads = memory(served[0].pid)
    await asyncio.gather(*tasks, return_exceptions=True)
    for holder in holders:
        holder.cancel()
    await asyncio.gather(*holders, return_exceptions=True)
    window = latencies[n0:n1] or [float("inf")]  # none answered: shown as such, not a crash
    return {"rps": (n1 - n0) / (t1 - t0), "p50": statistics.median(window) * 1000,
            "p99": pct(window, 0.99) * 1000, "statuses": statuses, "streams": len(opened),
            "rss_mib": rss_mib, "threads": threads, "opening_s": opening_s}  # fmt: skip


async def _until_open(opened: list[int], streams: int, timeout_s: float) -> float:
    """Seconds until ``streams`` event streams were open (all connecting at once, as after a server
    restart): the polls are measured after that, against streams held, not against their opening."""
    start = time.monotonic()
    while len(opened) < streams and time.monotonic() - start < timeout_s:
        await asyncio.sleep(0.05)
    return time.monotonic() - start


def bench_polls(agents: int, seconds: float, streams: int, rate: float = 0.0) -> dict[str, dict[str, Any]]:
    day = date(2026, 11, 27)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        log.info("seeding %d stations…", agents + streams)
        bench_api.seed(data, agents + streams, day)
        for label, count, held in (("1 process", 1, 0), ("2 processes", 2, 0),
                                   (f"1 process, {streams} event streams open", 1, streams)):  # fmt: skip
            if label.startswith("1 process,") and not streams:
                continue
            allowed = {"LOA_EVENTS_MAX_STREAMS": str(held + 10)} if held > Settings.events_max_streams else {}
            with servers(data, count, allowed) as served:
                log.info("%s: %d agents polling for %.0f s…", label, agents, seconds)
                results[label] = asyncio.run(_load(served, agents, seconds, day.isoformat(), held, rate))
    return results


# --- row: confirmation → airing, push against polling ------------------------------------------


class StampPlayer:
    """Records when it is handed audio (the agent goes on air), then plays it instantly."""

    def __init__(self) -> None:
        self.started: list[float] = []

    def play(self, chunks: Iterable[Any], sample_rate: int, cancel: threading.Event) -> Any:
        from broadcast.agent.player import PlayOutcome

        self.started.append(time.time())
        return PlayOutcome(True, 0)


def _tone(path: Path, freq: int) -> Path:
    from broadcast.agent.sources import ffmpeg_exe

    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", f"sine=frequency={freq}:duration=2:sample_rate=44100", "-ac", "1", "-b:a", "64k",
                    str(path)], check=True)  # fmt: skip
    return path


def _seed_stations(data: Path, count: int) -> tuple[Any, Any, list[str]]:
    from broadcast import stations
    from broadcast.db import init_db, session_factory, session_scope
    from broadcast.models import Station
    from broadcast.security import hash_token
    from loa import config

    settings = config.load(env={"LOA_DATA_DIR": str(data), "LOA_TIMEZONE": TZ})
    factory = session_factory(init_db(settings.db_url))
    codes = [f"xa-{i:05d}" for i in range(count)]
    with session_scope(factory) as s:
        lines = ["code,name,kind,sessions"] + [f'{c},Xã số {i},xa,"Mon-Sun 05:30-06:00"' for i, c in enumerate(codes)]
        stations.import_stations(s, stations.parse_stations_csv("\n".join(lines) + "\n"), actor="bench")
        for st in s.query(Station):
            st.token_hash = hash_token(bench_api.bench_token(st.code))
    return settings, factory, codes


def _confirm_emergency(settings: Any, factory: Any, codes: list[str], tone: Path, n: int) -> float:
    """Approve an emergency for every station (the confirmation) and drain its playlists as the
    approving process does; returns the wall-clock time of the approval's commit."""
    from broadcast import bulletins
    from broadcast.db import session_scope
    from broadcast.generate import drain_regen_requests
    from broadcast.media import store_file

    today = datetime.now(ZoneInfo(TZ)).date()
    with session_scope(factory) as s:
        mf = store_file(s, tone, settings.media_dir, duration_s=2.0)
        b = bulletins.create_bulletin(s, title=f"Khẩn cấp số {n}: lũ quét", body=f"Khẩn cấp {n}.",
                                      priority="emergency", valid_from=today, valid_to=today + timedelta(days=1),
                                      station_codes=codes, actor="bench", settings=settings)  # fmt: skip
        b.media_sha256, b.render_status = mf.sha256, "done"
        bulletins.submit(s, b, "bench")
        bulletins.approve(s, b, "bench")
    confirmed = time.time()
    with session_scope(factory) as s:
        drain_regen_requests(s, settings)
    return confirmed


def _agents(port: int, codes: list[str], cache: Path, *, push: bool, poll_s: float) -> list[tuple[Any, StampPlayer]]:
    from broadcast.agent.agent import Agent, AgentConfig

    out = []
    for code in codes:
        cfg = AgentConfig(server=f"http://127.0.0.1:{port}", station=code, token=bench_api.bench_token(code),
                          cache_dir=cache / code, timezone=TZ, poll_s=poll_s, heartbeat_s=3600.0,
                          events=push)  # fmt: skip
        player = StampPlayer()
        agent = Agent(cfg, player)  # type: ignore[arg-type]
        threading.Thread(target=agent.run, name=f"agent-{code}", daemon=True).start()
        out.append((agent, player))
        if not push:  # polling agents of a district are not in step: spread them over a period
            time.sleep(poll_s / len(codes))
    return out


def _airing_delays(settings: Any, factory: Any, codes: list[str], fleet: list[tuple[Any, StampPlayer]],
                   tones: list[Path], wait_s: float) -> list[float]:
    delays: list[float] = []
    for n, tone in enumerate(tones, 1):
        before = [len(p.started) for _a, p in fleet]
        confirmed = _confirm_emergency(settings, factory, codes, tone, n)
        deadline = time.time() + wait_s
        while time.time() < deadline and any(len(p.started) == b for (_a, p), b in zip(fleet, before, strict=True)):
            time.sleep(0.02)
        for (_a, p), b in zip(fleet, before, strict=True):
            delays.append(p.started[b] - confirmed if len(p.started) > b else float("inf"))
        time.sleep(1.0)
    return delays


def bench_emergency(agents: int, trials: int, poll_s: float) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {}
    for mode in ("push", "polling"):
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp)
            settings, factory, codes = _seed_stations(data, agents)
            tones = [_tone(data / f"tone-{mode}-{n}.mp3", 400 + 50 * n) for n in range(trials)]
            with servers(data, 1, {"LOA_TIMEZONE": TZ}) as served:
                fleet = _agents(served[0].port, codes, data / "agents", push=mode == "push", poll_s=poll_s)
                time.sleep(3.0)  # connected, first polls done (no manifest yet)
                log.info("%s: %d agents, %d emergencies…", mode, agents, trials)
                try:
                    results[mode] = _airing_delays(settings, factory, codes, fleet, tones, poll_s + 10.0)
                finally:
                    for agent, _p in fleet:
                        agent.stop()
    return results


# --- report --------------------------------------------------------------------------------------


def print_polls(results: dict[str, dict[str, Any]], agents: int, rate: float) -> None:
    how = f"{rate:,.0f} polls/s offered, spread evenly" if rate else "closed loop (each polls again when answered)"
    print(f"manifest polls answered 304, {agents} agents, {how}:")
    for label, r in results.items():
        held = f", {r['streams']} streams held (opened in {r['opening_s']:.1f} s)" if "streams open" in label else ""
        held += f"; server {r['rss_mib']:,.0f} MiB, {r['threads']:,} threads"
        print(f"  {label:<36} {r['rps']:>7,.0f} polls/s  p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms"
              f"  statuses {dict(sorted(r['statuses'].items()))}{held}")  # fmt: skip
    one, two = results.get("1 process"), results.get("2 processes")
    if one and two:
        print(f"  2 processes / 1 process: {two['rps'] / one['rps']:.2f}x (this machine: {os.cpu_count()} cores)")


def print_emergency(results: dict[str, list[float]], poll_s: float) -> None:
    print(f"confirmation → airing (approval committed → agent hands the audio to its player), poll every {poll_s:.0f} s:")
    for mode, delays in results.items():
        ok = [d for d in delays if d != float("inf")]
        missed = len(delays) - len(ok)
        if not ok:
            print(f"  {mode:<8} no agent aired the emergency")
            continue
        p99 = pct(ok, 0.99) if not missed else float("inf")
        goal = f"  (goal p99 <= 2 s: {2.0 / p99:.2f}x, {'met' if p99 <= 2.0 else 'missed'})" if mode == "push" else ""
        print(f"  {mode:<8} n={len(delays)}  p50 {statistics.median(ok):6.2f} s  p99 {p99:6.2f} s  "
              f"max {max(ok):6.2f} s  not aired {missed}{goal}")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["polls", "emergency"], help="run one row only")
    parser.add_argument("--agents", type=int, default=None,
                        help="agents (default: 200 polling agents; 20 real agents for the emergency row)")
    parser.add_argument("--seconds", type=float, default=8.0, help="polls: measured seconds per setup (default 8)")
    parser.add_argument("--streams", type=int, default=100,
                        help="polls: event streams held open during the third setup (default 100; 0: skip it)")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="polls: polls per second offered by all agents together (default 0: closed loop, "
                             "the saturation throughput; its p99 is agents / throughput, so judge p99 at a rate)")
    parser.add_argument("--trials", type=int, default=2, help="emergency: emergencies sent (default 2)")
    parser.add_argument("--poll-s", type=float, default=30.0, help="emergency: agents' poll period (default 30)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("broadcast", "urllib3", "pipeline"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    if args.only in (None, "polls"):
        agents = args.agents or 200
        print_polls(bench_polls(agents, args.seconds, args.streams, args.rate), agents, args.rate)
    if args.only in (None, "emergency"):
        print_emergency(bench_emergency(args.agents or 20, args.trials, args.poll_s), args.poll_s)


if __name__ == "__main__":
    main()
