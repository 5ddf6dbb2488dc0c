"""Claims: named, leased rows in ``scheduler_claims`` that decide which process does a piece of
work (a night's generation, the regeneration outbox) when several could.

A new claim is an INSERT on a unique name; an existing one is retaken by an UPDATE that only
matches the row exactly as it was read, so of two racing claimers exactly one wins. The holder
renews its lease while it works; a claim whose lease ran out belongs to a dead process and may be
taken over.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from broadcast.db import session_scope
from broadcast.models import SchedulerClaim

log = logging.getLogger(__name__)

#: A claim not renewed for this long (seconds) belongs to a dead process and may be taken over.
LEASE_S = 60.0


def _claimable(status: str, attempts: int, lease_until: datetime, now: datetime, max_attempts: int | None) -> bool:
    if status == "released":
        return True
    if status == "running":
        return lease_until < now  # the holder stopped renewing: it died
    if status == "failed":
        return max_attempts is None or attempts < max_attempts
    return False  # done


def try_claim(
    factory: sessionmaker[Session],
    name: str,
    owner: str,
    *,
    lease_s: float,
    max_attempts: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Take the claim ``name`` for ``owner``; False if it is done, held by a live owner, or lost a race.

    A new claim is an INSERT on a unique name; an existing one is retaken by an UPDATE that only
    matches the row exactly as it was read, so of two daemons racing exactly one wins."""
    now = now or datetime.now(UTC)
    lease_until = now + timedelta(seconds=lease_s)
    with session_scope(factory) as s:
        row = s.execute(
            select(
                SchedulerClaim.id, SchedulerClaim.owner, SchedulerClaim.status,
                SchedulerClaim.attempts, SchedulerClaim.lease_until,
            ).where(SchedulerClaim.name == name)
        ).one_or_none()
    if row is None:
        try:
            with session_scope(factory) as s:
                s.add(SchedulerClaim(name=name, owner=owner, status="running", attempts=1,
                                     lease_until=lease_until, updated_at=now))
        except IntegrityError:
            return False
        return True
    if not _claimable(row.status, row.attempts, row.lease_until, now, max_attempts):
        return False
    with session_scope(factory) as s:
        result = s.execute(
            update(SchedulerClaim)
            .where(
                SchedulerClaim.id == row.id,
                SchedulerClaim.owner == row.owner,
                SchedulerClaim.status == row.status,
                SchedulerClaim.attempts == row.attempts,
                SchedulerClaim.lease_until == row.lease_until,
            )
            .values(owner=owner, status="running", attempts=row.attempts + 1,
                    lease_until=lease_until, updated_at=now)
        )
        won = result.rowcount == 1  # type: ignore[attr-defined]
    if won and row.status == "running":
        log.warning("nhận lại quyền %s từ %s (đã quá hạn) / took over a stale claim", name, row.owner)
    return won


def renew_claims(factory: sessionmaker[Session], names: Iterable[str], owner: str, *, lease_s: float) -> set[str]:
    """Extend the leases of claims ``owner`` is working on; returns the names it no longer holds."""
    now = datetime.now(UTC)
    lost: set[str] = set()
    with session_scope(factory) as s:
        for name in names:
            result = s.execute(
                update(SchedulerClaim)
                .where(SchedulerClaim.name == name, SchedulerClaim.owner == owner,
                       SchedulerClaim.status == "running")
                .values(lease_until=now + timedelta(seconds=lease_s), updated_at=now)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                lost.add(name)
    return lost


def finish_claim(factory: sessionmaker[Session], name: str, owner: str, status: str) -> None:
    """Mark a held claim done, failed or released (no-op if another owner has taken it over)."""
    now = datetime.now(UTC)
    with session_scope(factory) as s:
        s.execute(
            update(SchedulerClaim)
            .where(SchedulerClaim.name == name, SchedulerClaim.owner == owner)
            .values(status=status, lease_until=now, updated_at=now)
        )


@contextmanager
def holding(factory: sessionmaker[Session], name: str, owner: str, *, lease_s: float = LEASE_S) -> Iterator[bool]:
    """Take ``name`` for the ``with`` block (True) or not (False: someone else holds it); while
    held, a thread renews the lease; it is released at the end."""
    if not try_claim(factory, name, owner, lease_s=lease_s):
        yield False
        return
    done = threading.Event()

    def keep() -> None:
        while not done.wait(lease_s / 3):
            try:
                if renew_claims(factory, [name], owner, lease_s=lease_s):
                    log.error("mất quyền %s / lost the claim %s", name, name)
                    return
            except Exception:
                log.exception("không gia hạn được quyền %s / could not renew the claim", name)

    keeper = threading.Thread(target=keep, name=f"loa-lease-{name}", daemon=True)
    keeper.start()
    try:
        yield True
    finally:
        done.set()
        keeper.join()
        finish_claim(factory, name, owner, "released")
