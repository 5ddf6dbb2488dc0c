"""Work after commit (broadcast/on_commit.py): queue order, independent actions side by side, a
failed file write that does not stop the others, and nothing at all after a rollback."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from broadcast.on_commit import after_commit


def test_independent_actions_run_side_by_side_and_the_next_waits_for_them(
    factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    done: list[str] = []
    threads: set[str] = set()
    lock = threading.Lock()

    def write(name: str) -> None:
        time.sleep(0.05)
        with lock:
            done.append(name)
            threads.add(threading.current_thread().name)
        if name == "bad":
            raise OSError("disk full")

    with factory() as s:
        after_commit(s, lambda: done.append("first"))
        for name in ("a", "b", "bad", "c", "d", "e", "f", "g"):
            after_commit(s, lambda n=name: write(n), independent=True)
        after_commit(s, lambda: done.append("last"))
        assert done == []  # nothing before the commit
        started = time.monotonic()
        s.commit()
        elapsed = time.monotonic() - started
    assert done[0] == "first" and done[-1] == "last"
    assert sorted(done[1:-1]) == ["a", "b", "bad", "c", "d", "e", "f", "g"]  # the failure stopped nothing
    assert len(threads) > 1 and elapsed < 8 * 0.05  # side by side, not one after another
    assert "could not write a file after commit" in caplog.text


def test_a_rollback_drops_what_was_queued(factory: sessionmaker[Session]) -> None:
    done: list[str] = []
    with factory() as s:
        s.execute(text("SELECT 1"))  # a transaction under way, as a generation's always is
        after_commit(s, lambda: done.append("x"), independent=True)
        after_commit(s, lambda: done.append("y"), independent=True)
        s.rollback()
        s.commit()
    assert done == []
