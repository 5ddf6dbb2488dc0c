"""One outbox drainer (issue 8): whoever drains holds the claim ``regen-drain``. A serving
scheduler keeps it and is only nudged; a caller with no live holder takes it for its drain."""

from __future__ import annotations

import threading
import time as _time
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from broadcast import generate, outbox
from broadcast.db import session_factory, session_scope
from broadcast.models import RegenRequest, SchedulerClaim, Station
from broadcast.scheduler import DRAIN_LOCK, DaemonOptions, SchedulerDaemon, finish_claim, try_claim
from loa.config import Settings


class Overlap:
    """Stands in for generate_playlists: counts callers inside it at once."""

    def __init__(self, delay_s: float = 0.3) -> None:
        self.delay_s = delay_s
        self.active = 0
        self.most = 0
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, session: Any, settings: Settings, days: list[date], codes: Any, **kw: Any) -> list[Any]:
        with self.lock:
            self.active += 1
            self.calls += 1
            self.most = max(self.most, self.active)
        _time.sleep(self.delay_s)
        with self.lock:
            self.active -= 1
        return []


@pytest.fixture
def factory(engine: Engine) -> Any:
    f = session_factory(engine)
    with session_scope(f) as s:
        s.add_all([Station(code="A", name="Đài A"), Station(code="B", name="Đài B")])
    return f


def _request(factory: Any, code: str) -> None:
    with session_scope(factory) as s:
        s.add(RegenRequest(reason="test", station_codes=[code]))


def _pending(factory: Any) -> int:
    with session_scope(factory) as s:
        return len(s.scalars(select(RegenRequest.id).where(RegenRequest.done_at.is_(None))).all())


def test_two_callers_draining_at_once_never_both_write(
    factory: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    gen = Overlap()
    monkeypatch.setattr(generate, "generate_playlists", gen)
    go = threading.Barrier(2)
    results: list[int | None] = []

    def caller(code: str) -> None:
        _request(factory, code)
        go.wait()
        results.append(outbox.process_requests(factory, settings))

    threads = [threading.Thread(target=caller, args=(c,)) for c in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert gen.calls > 0 and gen.most == 1
    assert _pending(factory) == 0  # the loser's request was not left behind
    assert sum(r or 0 for r in results) == 2
    with session_scope(factory) as s:
        claim = s.scalar(select(SchedulerClaim).where(SchedulerClaim.name == DRAIN_LOCK))
        assert claim is not None and claim.status == "released"


def test_with_a_live_holder_a_caller_only_leaves_the_work_to_it(
    factory: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    gen = Overlap(0)
    monkeypatch.setattr(generate, "generate_playlists", gen)
    assert try_claim(factory, DRAIN_LOCK, "other-host:1:abc", lease_s=60)
    _request(factory, "A")
    assert outbox.process_requests(factory, settings) is None
    assert gen.calls == 0 and _pending(factory) == 1
    finish_claim(factory, DRAIN_LOCK, "other-host:1:abc", "released")  # the holder stops
    assert outbox.process_requests(factory, settings) == 1
    assert gen.calls > 0 and _pending(factory) == 0


def test_a_serving_scheduler_holds_the_claim_and_a_nudge_drains_at_once(
    factory: Any, settings: Settings, engine: Engine
) -> None:
    drained = threading.Event()

    def drain(session: Any, settings: Settings, now: Any) -> int:
        n = 0
        for req in session.scalars(select(RegenRequest).where(RegenRequest.done_at.is_(None))):
            req.done_at = now
            n += 1
        if n:
            drained.set()
        return n

    # The interval is an hour: only the nudge can drain within the test.
    d = SchedulerDaemon(settings, engine, DaemonOptions(drain_every_s=3600), generate=lambda *a, **k: [],
                        drain_requests=drain)
    t = threading.Thread(target=d.serve)
    t.start()
    try:
        deadline = _time.monotonic() + 10
        while _time.monotonic() < deadline and not d.nudge():
            _time.sleep(0.05)
        assert d.nudge(), "the serving daemon never took the outbox's claim"
        drained.clear()
        _request(factory, "A")
        started = _time.monotonic()
        assert outbox.process_requests(factory, settings) is None  # nudged, not drained here
        while _pending(factory) and _time.monotonic() - started < 5:
            _time.sleep(0.05)
        assert drained.is_set() and _pending(factory) == 0 and _time.monotonic() - started < 5
        # A second, standby daemon does not drain while the first holds the claim.
        other = SchedulerDaemon(settings, engine, DaemonOptions(), drain_requests=drain)
        other._serving = True
        _request(factory, "B")
        assert other.drain() == 0
    finally:
        d.stopping.set()
        t.join(20)
    assert not t.is_alive()
    with session_scope(factory) as s:
        claim = s.scalar(select(SchedulerClaim).where(SchedulerClaim.name == DRAIN_LOCK))
        assert claim is not None and claim.status == "released"  # freed at once for the next drainer
    assert not outbox._local_drainers
