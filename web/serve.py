"""Serving the panel with waitress: a production WSGI server that runs on Windows and Linux."""

from __future__ import annotations

import logging

from flask import Flask
from waitress import serve as waitress_serve

log = logging.getLogger(__name__)

#: Worker threads. The app is mostly quick database reads; a few threads keep a slow render
#: preview or report from holding up the agents' polls.
THREADS = 8
#: Open connections accepted at once: a district's stations all keep one open to poll.
CONNECTION_LIMIT = 4000


def serve(app: Flask, host: str, port: int, *, threads: int = THREADS) -> None:
    log.info("serving Loa on http://%s:%d/", host, port)
    waitress_serve(
        app,
        host=host,
        port=port,
        threads=threads,
        connection_limit=CONNECTION_LIMIT,
        backlog=2048,
        channel_timeout=120,
        ident="loa",
    )
