"""The server-sent event stream of one station (``GET /api/v1/stations/<code>/events``).

The stream opens with ``retry:`` (how long a browser-style client waits before reconnecting) and a
``ready`` event, then sends an ``emergency`` event whenever a new emergency version of the
station's playlist is committed, and a comment every ``events_keepalive_s`` so that proxies keep
the connection and a client whose side dropped is noticed. It ends after ``events_stream_s``: the
agent reconnects at once, which bounds every stream (test clients and schema checks included).
Each open stream holds one of the server's threads (``web/serve.py`` adds ``events_max_streams``
threads for them); past that many a 503 tells the agent to keep polling and try again later.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from flask import Response, current_app

from broadcast.events import StreamsFull, Subscription, hub_for
from web import db

#: Milliseconds a client waits before reconnecting after the stream ends (SSE ``retry:``).
RETRY_MS = 1000


def _frame(event: str, data: dict[str, object], event_id: str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _frames(sub: Subscription, station: str, lifetime_s: float, keepalive_s: float) -> Iterator[str]:
    yield f"retry: {RETRY_MS}\n" + _frame("ready", {"station": station})
    deadline = time.monotonic() + lifetime_s
    while (left := deadline - time.monotonic()) > 0:
        ev = sub.get(min(keepalive_s, left))
        if ev is None:
            yield ": keep-alive\n\n"
        else:
            yield _frame(ev.kind, ev.data, f"{ev.data.get('date')}/{ev.data.get('version')}")


def event_stream(station: str) -> Response | None:
    """The streaming answer, or None when this process holds as many streams as it may."""
    settings = db.settings()
    hub = hub_for(settings, current_app.extensions["loa_engine"])
    try:
        sub = hub.subscribe(station)
    except StreamsFull:
        return None

    def body() -> Iterator[str]:
        try:
            yield from _frames(sub, station, settings.events_stream_s, settings.events_keepalive_s)
        finally:
            sub.close()

    response = Response(body(), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response
