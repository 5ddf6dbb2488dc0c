"""Test doubles for the agent: a fast fake clock, a sink that records what was aired and when, and a
small station server (http.server on 127.0.0.1) speaking the contracts.md routes."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np

from broadcast.agent.player import PlayOutcome


class FakeClock:
    """Time that only moves when someone waits: a day of playout takes milliseconds."""

    def __init__(self, start: datetime) -> None:
        self.t = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self.t

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.t += timedelta(seconds=seconds)

    def wait(self, seconds: float, event: threading.Event | None = None) -> bool:
        if event is not None and event.is_set():
            return True
        self.advance(max(0.0, seconds))
        return False


@dataclass
class Aired:
    start: datetime
    sample_rate: int
    chunks: list[np.ndarray] = field(default_factory=list)
    completed: bool = False

    @property
    def samples(self) -> np.ndarray:
        return np.concatenate(self.chunks) if self.chunks else np.zeros((0, 1), dtype=np.int16)


class RecordingPlayer:
    """Records exactly which samples were handed to the output and at what clock time; each chunk
    takes its own duration on the clock. ``on_chunk(now)`` lets a test act mid-item (an emergency)."""

    def __init__(self, clock: FakeClock, on_chunk: Callable[[datetime], None] | None = None) -> None:
        self.clock = clock
        self.on_chunk = on_chunk
        self.aired: list[Aired] = []

    def play(self, chunks: Iterable[np.ndarray], sample_rate: int, cancel: threading.Event) -> PlayOutcome:
        rec = Aired(self.clock.now(), sample_rate)
        self.aired.append(rec)
        frames = 0
        for chunk in chunks:
            if cancel.is_set():
                return PlayOutcome(False, frames)
            rec.chunks.append(np.array(chunk, copy=True))
            frames += len(chunk)
            self.clock.advance(len(chunk) / sample_rate)
            if self.on_chunk is not None:
                self.on_chunk(self.clock.now())
        if cancel.is_set():
            return PlayOutcome(False, frames)
        rec.completed = True
        return PlayOutcome(True, frames)


@dataclass(frozen=True)
class Tone:
    name: str
    path: Path
    data: bytes
    sha256: str
    duration_s: float
    samples: np.ndarray
    sample_rate: int


def make_item(
    start: datetime, tone: Tone, title: str, *, priority: str = "normal", kind: str = "bulletin",
    url: str | None = None, session: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    item: dict[str, Any] = {
        "start": start.isoformat(),
        "duration_s": tone.duration_s,
        "kind": kind,
        "title": title,
        "priority": priority,
        "sha256": tone.sha256,
        "size": len(tone.data),
        "url": url if url is not None else f"/api/v1/media/{tone.sha256}",
    }
    if session:
        item["session"] = session
    return item


def make_manifest(
    code: str, day: str, version: int, items: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    return {
        "station": code,
        "date": day,
        "version": version,
        "generated_at": "2026-11-25T23:00:00+07:00",
        "items": items,
        "unplaced": [],
        **extra,
    }


_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")


class StationServer:
    """Serves manifests (ETag/304), media (Range/206), relay streams; records every request and POST.

    Knobs: ``cut_after[sha] = n`` drops the socket after n body bytes (once); ``wrong[sha] = bytes`` serves
    other bytes for that sha; ``asrun_status`` answers POST /asrun with that status without storing;
    ``lose_answers`` stores the rows but answers 500 (a lost response) that many times;
    a batch holding a row titled in ``reject_titles`` is refused whole with 400, like the real API.
    """

    def __init__(self, token: str = "secret-token") -> None:
        self.token = token
        self.manifests: dict[str, tuple[bytes, str]] = {}
        self.media: dict[str, bytes] = {}
        self.wrong: dict[str, bytes] = {}
        self.cut_after: dict[str, int] = {}
        self.streams: dict[str, bytes] = {}
        self.log: list[tuple[str, str, dict[str, str]]] = []
        self.asrun_posts: list[dict[str, Any]] = []
        self.asrun_rows: dict[str, dict[str, Any]] = {}
        self.heartbeats: list[dict[str, Any]] = []
        self.asrun_status: int | None = None
        self.lose_answers = 0
        self.reject_titles: set[str] = set()
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> StationServer:
        self.thread.start()
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def publish(self, manifest: dict[str, Any], *, folder: bool = False) -> None:
        code, day = manifest["station"], manifest["date"]
        path = f"/folder/{code}/{day}.json" if folder else f"/api/v1/stations/{code}/playlists/{day}"
        body = json.dumps(manifest).encode()
        self.manifests[path] = (body, '"' + hashlib.sha256(body).hexdigest()[:16] + '"')

    def add_media(self, *tones: Tone) -> None:
        for tone in tones:
            self.media[tone.sha256] = tone.data

    def requests_for(self, fragment: str) -> list[tuple[str, str, dict[str, str]]]:
        return [r for r in self.log if fragment in r[1]]


def _handler(state: StationServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, doc: Any) -> None:
            self._send(status, json.dumps(doc).encode(), {"Content-Type": "application/json"})

        def do_GET(self) -> None:
            with state._lock:
                state.log.append(("GET", self.path, dict(self.headers)))
            if self.path in state.manifests:
                body, etag = state.manifests[self.path]
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._send(200, body, {"ETag": etag, "Content-Type": "application/json"})
                return
            if self.path in state.streams:
                self._send(200, state.streams[self.path], {"Content-Type": "audio/mpeg"})
                return
            m = re.match(r"^/(?:api/v1/media/|folder/media/)([0-9a-f]{64})(?:\.mp3)?$", self.path)
            if not m or m.group(1) not in state.media:
                self._json(404, {"error": "Không tìm thấy.", "code": "not_found"})
                return
            sha = m.group(1)
            data = state.wrong.get(sha, state.media[sha])
            start, status, headers = 0, 200, {"ETag": f'"{sha}"', "Accept-Ranges": "bytes"}
            rng = _RANGE.match(self.headers.get("Range", ""))
            if rng:
                start = int(rng.group(1))
                if start >= len(data):
                    self._send(416, b"", {"Content-Range": f"bytes */{len(data)}"})
                    return
                status = 206
                headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            body = data[start:]
            cut = state.cut_after.pop(sha, None)
            if cut is None:
                self._send(status, body, headers)
                return
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            payload = json.loads(self.rfile.read(length) or b"{}")
            with state._lock:
                state.log.append(("POST", self.path, dict(self.headers)))
            if self.headers.get("Authorization") != f"Bearer {state.token}":
                self._json(401, {"error": "Sai mã truy cập.", "code": "unauthorized"})
                return
            if self.path == "/api/v1/heartbeat":
                state.heartbeats.append(payload)
                self._json(200, {"ok": True, "server_time": datetime.now().astimezone().isoformat()})
                return
            if self.path != "/api/v1/asrun":
                self._json(404, {"error": "Không tìm thấy.", "code": "not_found"})
                return
            if state.asrun_status is not None:
                self._json(state.asrun_status, {"error": "lỗi", "code": "test"})
                return
            if any(row.get("title") in state.reject_titles for row in payload["rows"]):
                self._json(400, {"error": "Dòng không hợp lệ.", "code": "invalid_rows"})
                return
            with state._lock:
                state.asrun_posts.append(payload)
                accepted = duplicates = 0
                for row in payload["rows"]:
                    if row["uid"] in state.asrun_rows:
                        duplicates += 1
                    else:
                        state.asrun_rows[row["uid"]] = row
                        accepted += 1
                lose = state.lose_answers > 0
                state.lose_answers -= 1 if lose else 0
            if lose:
                self._json(500, {"error": "mất câu trả lời", "code": "test"})
                return
            self._json(200, {"accepted": accepted, "duplicates": duplicates})

    return Handler
