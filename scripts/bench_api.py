"""Benchmark: many station agents polling their manifest with If-None-Match against `loa serve`.

Seeds a fresh data folder with N stations and a playlist each, starts `loa serve` on loopback as a
separate process, then opens one connection per simulated agent. Every agent polls its own
manifest, sending the ETag it got, so the server answers 304. By default the agents together
offer 1,000 polls per second, evenly staggered (open loop), and the latency of each answer is
measured; `--rate 0` instead has every agent poll again as soon as it is answered, to find the
saturation throughput.

Goal (issue 4): >= 1,000 responses 304 per second with p99 <= 100 ms on this 2-core machine.
For scale: 10,000 communes polling once a minute is about 170 requests per second.

    python scripts/bench_api.py --agents 1000 --seconds 15
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path

log = logging.getLogger("bench_api")


def seed(data_dir: Path, stations: int, day: date) -> None:
    from broadcast.db import init_db, session_factory, session_scope
    from broadcast.models import BroadcastSession, Playlist, Station
    from broadcast.security import hash_token

    factory = session_factory(init_db(f"sqlite:///{data_dir / 'loa.db'}"))
    with session_scope(factory) as s:
        for i in range(stations):
            code = f"xa-{i:05d}"
            st = Station(code=code, name=f"Xã số {i}", kind="xa", district="Bench",
                         token_hash=hash_token(bench_token(code)))
            st.sessions.append(BroadcastSession(weekdays="1234567", start_time=dtime(5, 30), max_minutes=30))
            s.add(st)
            manifest = {
                "station": code, "date": day.isoformat(), "version": 1,
                "generated_at": datetime.now(UTC).isoformat(),
                "items": [{"start": f"{day.isoformat()}T05:30:00+07:00", "duration_s": 95.0, "kind": "bulletin",
                           "title": "Thông báo lịch tiêm chủng", "priority": "normal", "sha256": "ab" * 32,
                           "size": 760_000, "url": "/api/v1/media/" + "ab" * 32}],
                "unplaced": [],
            }
            s.add(Playlist(station=st, date=day, version=1, manifest=manifest, etag=f"{i:064x}"))


def bench_token(code: str) -> str:
    """The agent token each bench station's agent sends (manifests need it)."""
    return f"bench-token-{code}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_ready(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _r, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise RuntimeError("server did not start")


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return status, headers, body


async def agent(port: int, code: str, day: str, stop_at: float, latencies: list[float],
                statuses: dict[int, int], start_gate: asyncio.Event, interval: float, offset: float) -> None:
    """One station agent: polls every ``interval`` seconds (0: as fast as answers come)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    etag = ""
    path = f"/api/v1/stations/{code}/playlists/{day}"
    await start_gate.wait()
    next_poll = time.monotonic() + offset
    try:
        while time.monotonic() < stop_at:
            if interval:
                await asyncio.sleep(max(0.0, next_poll - time.monotonic()))
                next_poll += interval
            req = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n"
                   f"Authorization: Bearer {bench_token(code)}\r\n")
            if etag:
                req += f"If-None-Match: {etag}\r\n"
            t0 = time.perf_counter()
            writer.write((req + "\r\n").encode())
            status, headers, _body = await read_response(reader)
            latencies.append(time.perf_counter() - t0)
            statuses[status] = statuses.get(status, 0) + 1
            etag = headers.get("etag", etag)
            if headers.get("connection", "").lower() == "close":  # a server may close after any answer
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


async def run_load(port: int, agents: int, seconds: float, day: str,
                   rate: float) -> tuple[list[float], dict[int, int], float]:
    await wait_ready(port)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    gate = asyncio.Event()
    stop_at = time.monotonic() + seconds + 5.0
    interval = agents / rate if rate else 0.0
    tasks = [asyncio.create_task(agent(port, f"xa-{i:05d}", day, stop_at, latencies, statuses, gate,
                                       interval, interval * i / agents))
             for i in range(agents)]
    await asyncio.sleep(2.0)  # let every agent connect
    # measure a window after warm-up (each agent's first request is a 200)
    gate.set()
    await asyncio.sleep(2.0)
    n0, t0 = len(latencies), time.monotonic()
    await asyncio.sleep(seconds - 2.0)
    n1, t1 = len(latencies), time.monotonic()
    await asyncio.gather(*tasks, return_exceptions=True)
    window = latencies[n0:n1]
    return window, statuses, t1 - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=1000, help="simulated station agents (default 1000)")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured load time (default 15)")
    parser.add_argument("--rate", type=float, default=1000.0,
                        help="polls per second offered by all agents together, spread evenly (default 1000); "
                             "0 = every agent polls again as soon as it has its answer (saturation)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    day = date(2026, 11, 27)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        log.info("seeding %d stations…", args.agents)
        seed(data, args.agents, day)
        port = free_port()
        env = {**os.environ, "LOA_DATA_DIR": str(data)}
        loa = Path(sys.executable).with_name("loa")
        server = subprocess.Popen([str(loa), "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            window, statuses, elapsed = asyncio.run(run_load(port, args.agents, args.seconds, day.isoformat(), args.rate))
        finally:
            server.terminate()
            server.wait(10)
    if not window:
        raise SystemExit("no responses measured")
    window.sort()
    rps = len(window) / elapsed
    p50 = statistics.median(window) * 1000
    p99 = window[int(0.99 * (len(window) - 1))] * 1000
    offered = f"{args.rate:,.0f} req/s offered" if args.rate else "saturation (closed loop)"
    print(f"agents {args.agents}, {offered}, measured {elapsed:.1f} s, {len(window)} responses")
    print(f"status counts (whole run): {dict(sorted(statuses.items()))}")
    print(f"throughput: {rps:,.0f} req/s  (goal >= 1,000 304/s: {rps / 1000:.2f}x)")
    if args.rate:
        print(f"latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms  (goal p99 <= 100 ms: {'met' if p99 <= 100 else 'missed'})")
    else:
        print(f"latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms  (closed loop: every agent always waiting, so "
              "latency is agents / throughput; the latency goal is judged at an offered rate)")
    print(f"10,000 communes polling once a minute need ~170 req/s: headroom {rps / 170:.1f}x")


if __name__ == "__main__":
    main()
