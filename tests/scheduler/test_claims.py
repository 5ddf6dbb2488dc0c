"""Claims decide which daemon does a piece of work; these run against a real SQLite file."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from broadcast.db import session_factory, session_scope
from broadcast.models import SchedulerClaim
from broadcast.scheduler import finish_claim, renew_claims, try_claim


def _row(factory, name: str) -> SchedulerClaim:  # type: ignore[no-untyped-def]
    with session_scope(factory) as s:
        row = s.scalar(select(SchedulerClaim).where(SchedulerClaim.name == name))
        assert row is not None
        s.expunge(row)
        return row


def test_a_live_claim_is_not_shared(engine: Engine) -> None:
    f = session_factory(engine)
    assert try_claim(f, "nightly:2026-11-26", "a", lease_s=60)
    assert not try_claim(f, "nightly:2026-11-26", "b", lease_s=60)
    assert not try_claim(f, "nightly:2026-11-26", "a", lease_s=60)  # not re-entrant either
    assert try_claim(f, "nightly:2026-11-27", "b", lease_s=60)  # another name is free


def test_done_is_final_released_is_free(engine: Engine) -> None:
    f = session_factory(engine)
    assert try_claim(f, "n", "a", lease_s=60)
    finish_claim(f, "n", "a", "done")
    later = datetime.now(UTC) + timedelta(days=30)
    assert not try_claim(f, "n", "b", lease_s=60, now=later, max_attempts=None)
    assert try_claim(f, "lock", "a", lease_s=60)
    finish_claim(f, "lock", "a", "released")
    assert try_claim(f, "lock", "b", lease_s=60)
    assert _row(f, "lock").owner == "b"


def test_failed_is_retried_up_to_max_attempts(engine: Engine) -> None:
    f = session_factory(engine)
    assert try_claim(f, "n", "a", lease_s=60, max_attempts=2)
    finish_claim(f, "n", "a", "failed")
    assert try_claim(f, "n", "b", lease_s=60, max_attempts=2)
    assert _row(f, "n").attempts == 2
    finish_claim(f, "n", "b", "failed")
    assert not try_claim(f, "n", "c", lease_s=60, max_attempts=2)


def test_a_stale_claim_is_taken_over_and_its_old_owner_learns_it(engine: Engine) -> None:
    f = session_factory(engine)
    assert try_claim(f, "n", "dead", lease_s=1)
    assert not try_claim(f, "n", "b", lease_s=60)  # lease still running
    after = datetime.now(UTC) + timedelta(seconds=2)
    assert try_claim(f, "n", "b", lease_s=60, now=after)
    row = _row(f, "n")
    assert (row.owner, row.status, row.attempts) == ("b", "running", 2)
    # The old owner, if it was only slow, finds out on its next renewal and cannot mark it done.
    assert renew_claims(f, ["n"], "dead", lease_s=60) == {"n"}
    finish_claim(f, "n", "dead", "done")
    assert _row(f, "n").status == "running"
    assert renew_claims(f, ["n"], "b", lease_s=60) == set()


def test_renewal_keeps_a_claim_alive(engine: Engine) -> None:
    f = session_factory(engine)
    assert try_claim(f, "n", "a", lease_s=1)
    before = _row(f, "n").lease_until
    assert renew_claims(f, ["n"], "a", lease_s=3600) == set()
    assert _row(f, "n").lease_until > before + timedelta(minutes=30)
    assert not try_claim(f, "n", "b", lease_s=60, now=datetime.now(UTC) + timedelta(seconds=5))


@pytest.mark.parametrize("state", ["new", "stale", "released"])
def test_racing_claimers_exactly_one_wins(engine: Engine, state: str) -> None:
    f = session_factory(engine)
    if state != "new":
        assert try_claim(f, "n", "old", lease_s=0.01)
    if state == "released":
        finish_claim(f, "n", "old", "released")
    wins: list[str] = []
    barrier = threading.Barrier(6)
    now = datetime.now(UTC) + timedelta(seconds=1)

    def claim(owner: str) -> None:
        barrier.wait()
        if try_claim(f, "n", owner, lease_s=60, now=now):
            wins.append(owner)

    threads = [threading.Thread(target=claim, args=(f"d{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1, wins
    assert _row(f, "n").owner == wins[0]
