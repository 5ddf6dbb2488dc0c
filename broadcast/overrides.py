"""Operators' changes to one station's day: pin or drop a bulletin (a PlaylistOverride), or
regenerate the day as planned.

Each regenerates that station's playlist for that day at once, in the caller's transaction (the
operator sees the new timeline as soon as the page reloads), and is audited.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast.changes import audit
from broadcast.errors import BroadcastError
from broadcast.generate import generate_playlists
from broadcast.models import Bulletin, DayOrder, PlaylistOverride, Station
from loa.config import Settings

#: pin: play it that day even if the plan left it out; drop: leave it out; clear: back to the plan.
ACTIONS = ("pin", "drop", "clear")


def set_override(
    session: Session, settings: Settings, station: Station, day: date, bulletin: Bulletin, action: str,
    *, actor: str,
) -> None:
    """Pin, drop or clear one bulletin for one station and day, then regenerate that day."""
    if action not in ACTIONS:
        raise BroadcastError("Thao tác '%(action)s' không hợp lệ (pin, drop hoặc clear).", action=action)
    existing = session.scalar(select(PlaylistOverride).where(
        PlaylistOverride.station_id == station.id, PlaylistOverride.date == day,
        PlaylistOverride.bulletin_id == bulletin.id))
    if action == "clear":
        if existing is not None:
            session.delete(existing)
    elif existing is None:
        session.add(PlaylistOverride(station_id=station.id, date=day, bulletin_id=bulletin.id, action=action,
                                     actor=actor))
    else:
        existing.action, existing.actor = action, actor
    session.flush()
    audit(session, actor, f"schedule.{action}", f"{station.code}/{day.isoformat()}", bulletin_id=bulletin.id,
          title=bulletin.title)
    generate_playlists(session, settings, [day], [station.code])


def regenerate_day(session: Session, settings: Settings, station: Station, day: date, *, actor: str) -> None:
    """Plan the station's day again now (e.g. after new audio), and record who asked."""
    generate_playlists(session, settings, [day], [station.code])
    audit(session, actor, "schedule.generate", f"{station.code}/{day.isoformat()}")


#: Most bulletins one day's order may name.
MAX_ORDER = 500


def set_order(
    session: Session, settings: Settings, station: Station, day: date, bulletin_ids: list[int], *, actor: str,
) -> None:
    """Save the operator's order of the day's bulletins (first to air first; an empty list goes
    back to the planner's order), then regenerate that day."""
    if len(bulletin_ids) > MAX_ORDER:
        raise BroadcastError("Thứ tự phát quá dài (tối đa %(n)d bản tin).", n=MAX_ORDER)
    if len(set(bulletin_ids)) != len(bulletin_ids):
        raise BroadcastError("Thứ tự phát có bản tin bị lặp lại.")
    known = set(session.scalars(select(Bulletin.id).where(Bulletin.id.in_(bulletin_ids)))) if bulletin_ids else set()
    unknown = [str(b) for b in bulletin_ids if b not in known]
    if unknown:
        raise BroadcastError("Không có bản tin #%(ids)s.", ids=", #".join(unknown))
    row = session.scalar(select(DayOrder).where(DayOrder.station_id == station.id, DayOrder.date == day))
    if not bulletin_ids:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(DayOrder(station_id=station.id, date=day, bulletin_ids=list(bulletin_ids), actor=actor))
    else:
        row.bulletin_ids, row.actor = list(bulletin_ids), actor
    session.flush()
    audit(session, actor, "schedule.order", f"{station.code}/{day.isoformat()}", order=list(bulletin_ids))
    generate_playlists(session, settings, [day], [station.code])


def day_order(session: Session, station: Station, day: date) -> list[int]:
    """The order saved for the station's day, or [] (the planner's own)."""
    row = session.scalar(select(DayOrder).where(DayOrder.station_id == station.id, DayOrder.date == day))
    return list(row.bulletin_ids) if row is not None else []
