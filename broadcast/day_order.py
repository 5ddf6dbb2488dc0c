"""An operator's order of a station's day (dragged in the week view), applied after planning.

The planner decides which bulletins air and when; the operator may then say which goes first.
Within each session, every run of consecutive regular bulletins (not split by a relay, a jingle
or an emergency, none started before ``now``) is put in the operator's order. The run keeps its
start, its gaps and its end, so nothing around it moves; bulletins the order does not name keep
their place after the named ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from broadcast.planner import PlannedItem


def _movable(it: PlannedItem, now: datetime | None) -> bool:
    return (it.kind == "bulletin" and it.priority != "emergency" and it.session is not None
            and it.bulletin_id is not None and (now is None or it.start >= now))


def _runs(items: Sequence[PlannedItem], now: datetime | None) -> list[list[int]]:
    """Indices (in start order) of each run of movable bulletins within one session."""
    runs: list[list[int]] = []
    current: list[int] = []
    for i, it in enumerate(items):
        if _movable(it, now) and (not current or items[current[-1]].session == it.session):
            current.append(i)
            continue
        if len(current) > 1:
            runs.append(current)
        current = [i] if _movable(it, now) else []
    if len(current) > 1:
        runs.append(current)
    return runs


def _relaid(run: list[PlannedItem], order: list[PlannedItem]) -> list[PlannedItem]:
    """``order`` placed where ``run`` was: same first start, same gaps between items."""
    gaps = [(b.start.astimezone(UTC) - a.end.astimezone(UTC)) for a, b in zip(run, run[1:], strict=False)]
    out, at = [], run[0].start.astimezone(UTC)
    for k, it in enumerate(order):
        out.append(dataclasses.replace(it, start=at.astimezone(run[0].start.tzinfo)))
        at = at + timedelta(seconds=it.duration_s) + (gaps[k] if k < len(gaps) else timedelta(0))
    return out


def apply_order(items: Sequence[PlannedItem], bulletin_ids: Sequence[int],
                now: datetime | None = None) -> tuple[PlannedItem, ...]:
    """The plan's items with each session's bulletins in the order of ``bulletin_ids``."""
    if not bulletin_ids:
        return tuple(items)
    rank = {bid: i for i, bid in enumerate(bulletin_ids)}
    ordered = sorted(items, key=lambda it: it.start)
    for run in _runs(ordered, now):
        old = [ordered[i] for i in run]
        # Python's sort is stable: unnamed bulletins keep their relative order after the named ones.
        new = sorted(old, key=lambda it: rank.get(it.bulletin_id or 0, len(rank)))
        if new != old:
            for i, it in zip(run, _relaid(old, new), strict=True):
                ordered[i] = it
    return tuple(sorted(ordered, key=lambda it: it.start))
