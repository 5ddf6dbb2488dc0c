"""Emergencies pushed to agents: publish where the playlist is written, fan out in every ``loa serve``.

The publisher is :func:`announce_emergencies`, called by playlist generation with what it wrote.
The transport is an existing engine, chosen from the settings, never something home-made:

- **Redis pub/sub** when ``redis_url`` is set: published once the transaction commits;
- **PostgreSQL ``NOTIFY``** when the database is PostgreSQL: sent inside the transaction, so the
  database delivers it at commit and drops it on rollback (listened to with psycopg 3, whatever
  driver the database URL names);
- otherwise (SQLite, one PC) the database itself: each serving process watches the playlists
  table for new emergency versions (one indexed query every half second), and an emergency written
  in the same process is handed over at once after commit.

Each serving process keeps one :class:`Hub`: one listener thread, and a queue per open event
stream. Nothing in it needs sharing between processes (every process hears every message), so any
number of ``loa serve`` run side by side. An agent that misses a message loses nothing: it polls
its manifest anyway, and polls again whenever it (re)connects to its stream.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from broadcast.models import Playlist, Station
from broadcast.on_commit import after_commit
from loa.config import Settings

log = logging.getLogger(__name__)

#: Redis channel and PostgreSQL NOTIFY channel.
CHANNEL = "loa:events"
PG_CHANNEL = "loa_events"
#: How often the SQLite watcher looks for new emergency playlists.
WATCH_S = 0.5


@dataclass(frozen=True)
class StationEvent:
    """One message to one station's agent: ``kind`` is the SSE event name."""

    station: str
    kind: str
    data: dict[str, Any]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> StationEvent | None:
        try:
            doc = json.loads(raw)
            return cls(str(doc["station"]), str(doc["kind"]), dict(doc.get("data") or {}))
        except (ValueError, KeyError, TypeError):
            log.warning("bỏ qua thông điệp sự kiện không đọc được: %r", raw[:200])
            return None


def transport(settings: Settings) -> str:
    """``redis``, ``postgresql`` or ``database`` (the SQLite watcher), as the settings say."""
    if settings.redis_url:
        return "redis"
    if settings.db_url.startswith("postgresql"):
        return "postgresql"
    return "database"


# --- publishing ------------------------------------------------------------------------------


def announce_emergencies(session: Session, settings: Settings, results: Iterable[Any]) -> int:
    """Tell the agents of every station that just got a new emergency version (generation's
    ``GeneratedPlaylist`` rows). Delivered only if the caller's transaction commits."""
    events = [
        StationEvent(r.station, "emergency", {"date": r.day.isoformat(), "version": r.version, "etag": r.etag})
        for r in results
        if r.changed and r.emergency
    ]
    if events:
        publish(session, settings, events)
    return len(events)


def publish(session: Session, settings: Settings, events: list[StationEvent]) -> None:
    """Send ``events`` through the configured transport, tied to ``session``'s commit."""
    kind = transport(settings)
    if kind == "postgresql":
        for ev in events:  # NOTIFY is transactional: sent at commit, dropped on rollback
            session.execute(text("SELECT pg_notify(:channel, :payload)"),
                            {"channel": PG_CHANNEL, "payload": ev.to_json()})  # fmt: skip
    elif kind == "redis":
        after_commit(session, lambda: _redis_publish(settings.redis_url, events))
    # Same process (one PC, the scheduler inside loa serve, the panel's approvals): at once.
    after_commit(session, lambda: local_dispatch(events))


def _redis_publish(url: str, events: list[StationEvent]) -> None:
    import redis

    try:
        client = _redis_client(url)
        pipe = client.pipeline(transaction=False)
        for ev in events:
            pipe.publish(CHANNEL, ev.to_json())
        pipe.execute()
    except redis.RedisError as exc:  # the rows are committed; agents' polling still finds them
        log.warning("không gửi được tin khẩn qua Redis (%s); các đài sẽ thấy khi hỏi lại", exc)


_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def _redis_client(url: str) -> Any:
    import redis

    with _clients_lock:
        if url not in _clients:
            _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        return _clients[url]


# --- fan-out in a serving process -------------------------------------------------------------


class Subscription:
    def __init__(self, hub: Hub, station: str) -> None:
        self.hub, self.station = hub, station
        self.queue: queue.SimpleQueue[StationEvent] = queue.SimpleQueue()

    def close(self) -> None:
        self.hub.unsubscribe(self)

    def get(self, timeout: float) -> StationEvent | None:
        try:
            return self.queue.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None


class StreamsFull(RuntimeError):
    """This process already holds ``events_max_streams`` streams."""


#: A transport's listener: ``(deliver, stop, listening)``; sets ``listening`` once subscribed.
Source = Callable[[Callable[[StationEvent], None], threading.Event, threading.Event], None]
#: A new stream waits at most this long for the listener to be subscribed before saying ``ready``.
LISTEN_WAIT_S = 2.0


class Hub:
    """Subscriptions of this process's open streams, fed by one listener thread (started with the
    first subscription, restarted with backoff when its connection drops)."""

    def __init__(self, source: Source | None, max_streams: int) -> None:
        self._source = source
        self._max = max_streams
        self._lock = threading.Lock()
        self._subs: dict[str, set[Subscription]] = {}
        self._count = 0
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()
        self.listening = threading.Event()

    @property
    def open_streams(self) -> int:
        return self._count

    def subscribe(self, station: str) -> Subscription:
        """A queue for ``station``'s events; close it when the stream ends. StreamsFull past the cap."""
        sub = Subscription(self, station)
        with self._lock:
            if self._count >= self._max:
                raise StreamsFull(station)
            self._subs.setdefault(station, set()).add(sub)
            self._count += 1
            if self._source is not None and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._listen, name="loa-events", daemon=True)
                self._thread.start()
        # What is published from now on reaches this stream (unless the transport is down: then
        # the agent's polling, which it does on every ``ready``, covers it).
        self.listening.wait(LISTEN_WAIT_S)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            subs = self._subs.get(sub.station, set())
            if sub in subs:
                subs.discard(sub)
                self._count -= 1

    def dispatch(self, event: StationEvent) -> None:
        with self._lock:
            subs = list(self._subs.get(event.station, ()))
        for sub in subs:
            sub.queue.put(event)

    def _listen(self) -> None:
        assert self._source is not None
        failures = 0
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                self._source(self.dispatch, self.stopping, self.listening)
            except Exception as exc:  # the transport is down: streams stay open, agents keep polling
                log.warning("mất kết nối kênh sự kiện (%s); thử lại", exc)
            self.listening.clear()
            failures = 0 if time.monotonic() - started > 30 else failures + 1
            self.stopping.wait(min(30.0, 0.5 * 2 ** min(failures, 6)) * random.uniform(0.8, 1.2))


def listener_name() -> str:
    """The name this process's listener gives its connection (Redis ``CLIENT LIST``, PostgreSQL
    ``pg_stat_activity.application_name``): one per serving process, whatever its streams."""
    return f"loa-events-{os.getpid()}"


def redis_source(url: str) -> Source:
    def listen(deliver: Callable[[StationEvent], None], stop: threading.Event, listening: threading.Event) -> None:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=None, health_check_interval=10,
                                      client_name=listener_name())
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(CHANNEL)
            first = True
            while not stop.is_set():
                msg = pubsub.get_message(timeout=1.0)  # the first read takes the confirmation
                if first:
                    listening.set()
                    first = False
                if msg and msg.get("type") == "message":
                    ev = StationEvent.from_json(msg["data"])
                    if ev:
                        deliver(ev)
        finally:
            pubsub.close()
            client.close()

    return listen


def postgres_source(sqlalchemy_url: str) -> Source:
    def listen(deliver: Callable[[StationEvent], None], stop: threading.Event, listening: threading.Event) -> None:
        import psycopg
        from sqlalchemy.engine import make_url

        url = make_url(sqlalchemy_url).set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=True, connect_timeout=5, application_name=listener_name()) as conn:
            conn.execute(f"LISTEN {PG_CHANNEL}")
            listening.set()
            while not stop.is_set():
                for note in conn.notifies(timeout=1.0):
                    ev = StationEvent.from_json(note.payload)
                    if ev:
                        deliver(ev)

    return listen


def database_source(engine: Engine) -> Source:
    """New emergency playlist versions, read from the table (SQLite: no server to push with)."""

    def listen(deliver: Callable[[StationEvent], None], stop: threading.Event, listening: threading.Event) -> None:
        with engine.connect() as conn:
            last = conn.scalar(select(Playlist.id).order_by(Playlist.id.desc()).limit(1)) or 0
        listening.set()
        while not stop.wait(WATCH_S):
            with engine.connect() as conn:
                rows = conn.execute(
                    select(Playlist.id, Station.code, Playlist.date, Playlist.version, Playlist.etag)
                    .join(Station, Station.id == Playlist.station_id)
                    .where(Playlist.id > last, Playlist.emergency.is_(True))
                    .order_by(Playlist.id)
                ).all()
                newest = conn.scalar(select(Playlist.id).order_by(Playlist.id.desc()).limit(1)) or last
            for r in rows:
                deliver(StationEvent(r.code, "emergency", {"date": r.date.isoformat(), "version": r.version,
                                                           "etag": r.etag}))  # fmt: skip
            last = max(last, newest)

    return listen


_hubs: dict[tuple[str, str], Hub] = {}
_hubs_lock = threading.Lock()
#: Streams of this process that are not behind a transport (the same-process hand-over).
_local: set[Hub] = set()


def hub_for(settings: Settings, engine: Engine) -> Hub:
    """This process's hub for the configured transport (one per transport and address)."""
    kind = transport(settings)
    address = settings.redis_url if kind == "redis" else settings.db_url
    with _hubs_lock:
        hub = _hubs.get((kind, address))
        if hub is None:
            source = {
                "redis": lambda: redis_source(settings.redis_url),
                "postgresql": lambda: postgres_source(settings.db_url),
                "database": lambda: database_source(engine),
            }[kind]()
            hub = _hubs[(kind, address)] = Hub(source, settings.events_max_streams)
            if kind == "database":
                _local.add(hub)
        return hub


def local_dispatch(events: Iterable[StationEvent]) -> None:
    """Hand events to this process's database-watching hubs now, instead of half a second later
    (an agent may then hear one emergency twice: it polls twice, which is harmless)."""
    with _hubs_lock:
        hubs = list(_local)
    for hub in hubs:
        for ev in events:
            hub.dispatch(ev)


def close_hubs() -> None:
    """Stop every hub's listener of this process (tests; a server simply exits)."""
    with _hubs_lock:
        hubs = list(_hubs.values())
        _hubs.clear()
        _local.clear()
    for hub in hubs:
        hub.stopping.set()
