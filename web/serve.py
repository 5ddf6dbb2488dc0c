"""Serving the panel and the station API with Granian, a production server for Windows and Linux.

Why Granian and not waitress: a district's agents keep a connection open and poll every 30 s, and
nearly every answer is a 304. Waitress walks every open connection in Python on each turn of its
event loop and closes the connection after each 304, so it saturates near 1,000 polls a second with
long tails; Granian's I/O runs in Rust and keeps connections alive (see scripts/bench_api.py).
"""

from __future__ import annotations

import errno
import logging
import multiprocessing
import socket

from granian import Granian
from granian.constants import Interfaces
from granian.log import LogLevels

log = logging.getLogger(__name__)

#: Threads running the Flask app. One worker process, so the in-process job queue (render
#: previews) is shared by every request.
THREADS = 4
#: Connections the kernel queues for the server before it accepts them.
BACKLOG = 2048
#: Seconds a stopping server waits for open requests (event streams included) before closing them.
STOP_GRACE_S = 5


def serve(host: str, port: int, *, threads: int = THREADS, streams: int = 0) -> None:
    """Serve ``web.wsgi:create`` until interrupted. Settings reach the worker through the environment.

    ``streams``: agents' event streams held open at once (``events_max_streams``). A WSGI response
    holds its thread while it streams, so each gets a thread of its own beside the ``threads`` that
    answer everything else: a thousand idle streams never delay a manifest poll or a panel page
    (scripts/bench_scale_push.py measures it). Past ``streams`` the route answers 503 itself.

    Granian admits at most ``backpressure`` requests at once, by default the backlog (2,048): held
    streams count against it, so past about 2,000 streams no poll got in at all. It is raised by
    the streams allowed, so they never take the places of ordinary requests."""
    log.info("serving Loa on http://%s:%d/", host, port)
    # Granian forks its worker on Linux. This process already runs threads (the scheduler daemon and
    # its leases); a fork copies the locks they hold with no thread left to release them, and a
    # worker forked while the scheduler thread was importing a module waited on that import lock for
    # ever: the server started and never answered. A spawned worker is a new interpreter, as on Windows.
    multiprocessing.set_start_method("spawn", force=True)
    server = Granian(
        "web.wsgi:create",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        factory=True,
        workers=1,
        blocking_threads=threads + streams,
        backlog=BACKLOG,
        backpressure=BACKLOG + streams,
        log_level=LogLevels.warning,
        log_access=False,
        # Agents' event streams never end by themselves in time: on stop, close them after this long
        # (the agents reconnect to another server, or to this one once restarted).
        workers_kill_timeout=STOP_GRACE_S,
    )
    # Granian warns, in English at every start, that so many threads "seem quite high": they are the
    # streams' threads, intended (above), and the warning only alarmed the office that runs the PC.
    logging.getLogger("_granian").addFilter(_not_the_threads_warning)
    server.serve()


def _not_the_threads_warning(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith("Configuration allows spawning up to")


class PortInUse(OSError):
    """Another process already listens on the address ``loa serve`` was asked to use."""


def check_port_free(host: str, port: int) -> None:
    """Raise PortInUse if ``host:port`` already has a listener.

    Granian binds with SO_REUSEPORT, so a second ``loa serve`` on a busy port would start silently
    and share it with the first; a plain bind (no SO_REUSEPORT) here refuses that case first."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        if hasattr(socket, "SO_EXCLUSIVEADDRUSE"):  # Windows: refuse to share the port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        else:  # POSIX: a port in TIME_WAIT is fine, a listening one is not
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)) or getattr(
                exc, "winerror", None
            ) == 10048:
                raise PortInUse(exc.errno, str(exc)) from exc
            raise
