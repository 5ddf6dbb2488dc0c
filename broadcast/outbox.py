"""The regeneration outbox: RegenRequest rows that services write in the caller's transaction
(broadcast/changes.py), drained here into new playlist versions.

Requests are coalesced (the union of their stations is regenerated once: ten approvals in a row
cost one regeneration, not ten) in three committed steps: today for emergencies (so an emergency
reaches agents first), today for the rest, then the ``days_ahead`` following days. If a step
fails it is retried request by request, so the failure is recorded on the request that causes it
(``error``) and the others still go through.

One drainer at a time, the holder of the claim ``regen-drain`` (broadcast/claims.py). A serving
scheduler (``loa scheduler``, or the one ``loa serve`` runs) holds it for as long as it runs and
polls every 2 s. Any other process that has just written requests calls :func:`process_requests`:
with a live holder it only nudges it (in the same process, the scheduler's drain wakes at once;
in another one, its poll picks the requests up); with no holder (a CLI run alone, the demo, a
panel without a scheduler) it takes the claim, drains and releases it.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from broadcast.batches import chunks
from broadcast.claims import holding
from broadcast.db import session_scope
from broadcast.models import RegenRequest, Station
from broadcast.planner import zone
from loa.config import Settings

log = logging.getLogger(__name__)

#: The claim of the outbox's one drainer.
DRAIN_CLAIM = "regen-drain"

#: Wake-ups of the schedulers serving in this process; each returns whether it holds the claim.
_local_drainers: list[Callable[[], bool]] = []
_local_lock = threading.Lock()


def _regenerate(session: Session, settings: Settings, codes: list[str] | None, days: list[date],
                emergency: bool, now: datetime) -> None:
    """One committed generation; a version another process stored first is read and tried again."""
    from broadcast import generate  # generate imports this module; looked up late (tests patch it)

    if codes is not None and not codes:
        return
    for attempt in range(2):
        try:
            generate.generate_playlists(session, settings, days, codes, emergency=emergency, now=now)
            session.commit()
            return
        except IntegrityError:
            session.rollback()
            if attempt:
                raise


def _codes_of(reqs: Sequence[Any], known: set[str]) -> list[str] | None:
    """The known stations the requests name; None: every station."""
    if any(r.station_codes is None for r in reqs):
        return None
    return sorted({c for r in reqs for c in r.station_codes} & known)


def _pending(session: Session) -> tuple[list[Any], set[str]]:
    pending = session.execute(
        select(RegenRequest.id, RegenRequest.station_codes, RegenRequest.emergency)
        .where(RegenRequest.done_at.is_(None))
        .order_by(RegenRequest.id)
    ).all()
    codes = sorted({c for r in pending for c in (r.station_codes or ())})
    known: set[str] = set()
    for part in chunks(codes):
        known.update(session.scalars(select(Station.code).where(Station.code.in_(part))))
    return list(pending), known


def _run_steps(session: Session, settings: Settings, pending: list[Any], known: set[str],
               now: datetime) -> dict[int, list[str]]:
    """The three steps, each retried request by request on failure; request id → errors."""
    today = now.astimezone(zone(settings.timezone)).date()
    later = [today + timedelta(days=i) for i in range(1, max(settings.days_ahead, 0) + 1)]
    errors: dict[int, list[str]] = {r.id: [] for r in pending}
    steps = [
        ([r for r in pending if r.emergency], [today], True),
        ([r for r in pending if not r.emergency], [today], False),
        (list(pending), later, False),
    ]
    for reqs, days, emergency in steps:
        if not reqs or not days:
            continue
        try:
            _regenerate(session, settings, _codes_of(reqs, known), days, emergency, now)
            continue
        except Exception:
            session.rollback()
            log.exception("regen: %d requests together failed, retrying one by one", len(reqs))
        for r in reqs:
            try:
                _regenerate(session, settings, _codes_of([r], known), days, emergency, now)
            except Exception as exc:  # one bad request must not stop the others
                session.rollback()
                log.exception("regen request %s failed", r.id)
                errors[r.id].append(f"{type(exc).__name__}: {exc}")
    return errors


def _record(session: Session, pending: list[Any], known: set[str], errors: dict[int, list[str]],
            now: datetime) -> int:
    handled = 0
    for r in pending:
        missing = [c for c in (r.station_codes or ()) if c not in known]
        parts = (["Không có đài mã: " + ", ".join(missing) + "."] if missing else []) + errors[r.id]
        try:
            session.execute(
                update(RegenRequest)
                .where(RegenRequest.id == r.id)
                .values(done_at=now, error=" ".join(parts)[:2000])
            )
            session.commit()
            handled += 1
        except Exception:
            session.rollback()
            log.exception("regen request %s: cannot record the result", r.id)
    return handled


def drain_regen_requests(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Process pending RegenRequest rows; returns how many were handled. Never raises.
    Commits step by step (see the module docstring)."""
    now = now or datetime.now(UTC)
    try:
        pending, known = _pending(session)
        session.commit()
    except Exception:
        session.rollback()
        log.exception("regen: cannot read the outbox")
        return 0
    if not pending:
        return 0
    errors = _run_steps(session, settings, pending, known, now)
    return _record(session, pending, known, errors, now)


def add_local_drainer(wake: Callable[[], bool]) -> None:
    """A scheduler serving in this process: ``wake()`` starts its drain now if it holds the claim."""
    with _local_lock:
        _local_drainers.append(wake)


def remove_local_drainer(wake: Callable[[], bool]) -> None:
    with _local_lock:
        if wake in _local_drainers:
            _local_drainers.remove(wake)


def _nudge_local() -> bool:
    with _local_lock:
        drainers = list(_local_drainers)
    return any(wake() for wake in drainers)


def _pending_count(factory: sessionmaker[Session]) -> int:
    with session_scope(factory) as s:
        return len(s.scalars(select(RegenRequest.id).where(RegenRequest.done_at.is_(None))).all())


def process_requests(factory: sessionmaker[Session], settings: Settings, *, now: datetime | None = None) -> int | None:
    """Have the pending requests processed by the one drainer (see the module docstring).

    Returns how many this call handled, or None when it left them to the live holder of the claim.
    After releasing the claim it looks again: a request written while it drained, by a caller
    that then found the claim taken, is not left behind."""
    if _nudge_local():
        return None
    owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}:call"[:120]
    handled = 0
    while True:
        with holding(factory, DRAIN_CLAIM, owner) as held:
            if not held:
                log.info("regen: the drainer holding %s will process the requests", DRAIN_CLAIM)
                return handled or None
            with session_scope(factory) as s:
                done = drain_regen_requests(s, settings, now)
        handled += done
        if not done or not _pending_count(factory):
            return handled
