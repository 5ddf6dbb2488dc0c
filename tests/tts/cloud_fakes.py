"""A loopback HTTP server whose answers a test scripts, for the cloud voices (Viettel, Zalo, VNPT)."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def header(self, name: str) -> str:
        return {k.lower(): v for k, v in self.headers.items()}.get(name.lower(), "")


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    ctype: str = "application/json"
    delay_s: float = 0.0

    @classmethod
    def of_json(cls, doc: Any, status: int = 200) -> Answer:
        return cls(status, json.dumps(doc, ensure_ascii=False).encode("utf-8"))


@dataclass
class Fake:
    base: str = ""
    requests: list[Request] = field(default_factory=list)

    def count(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)


@contextmanager
def serve(answer: Callable[[Fake, Request], Answer]) -> Iterator[Fake]:
    """Run a server on 127.0.0.1 that records each request and replies ``answer(fake, request)``."""
    fake = Fake()
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            req = Request(self.command, self.path, dict(self.headers), self.rfile.read(length))
            with lock:
                fake.requests.append(req)
                ans = answer(fake, req)
            if ans.delay_s:
                time.sleep(ans.delay_s)
            try:
                self.send_response(ans.status)
                self.send_header("Content-Type", ans.ctype)
                self.send_header("Content-Length", str(len(ans.body)))
                self.end_headers()
                self.wfile.write(ans.body)
            except OSError:  # the client timed out and went away
                pass

        do_GET = do_POST = _handle  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    fake.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()


#: Timings that keep the tests short: one retry, no backoff, quick polls.
FAST: dict[str, Any] = {"timeout_s": 0.5, "retries": 1, "backoff_s": 0.0, "poll_interval_s": 0.01,
                        "poll_timeout_s": 0.3}  # fmt: skip
