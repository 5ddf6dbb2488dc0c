"""How far a unit's bulletins reach: the unit that issues a bulletin, and the stations it may
target (its own and those of the units below it, never a sibling's or a higher unit's)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from broadcast import units
from broadcast.errors import BroadcastError
from broadcast.models import Station, Unit, User


def unit_by_id(session: Session, unit_id: int) -> Unit:
    return units.get_by_id(session, unit_id)


def issuing_unit(session: Session, actor: str, code: str = "") -> Unit:
    """The unit named by ``code``, else the actor's own unit (a panel user), else the top unit.
    A panel user may only issue for its unit or one below it."""
    user = session.scalar(select(User).where(User.username == actor)) if actor else None
    if code.strip():
        unit = units.get(session, code)
        if user is not None and user.unit_id is not None and unit.id not in units.subtree_ids(session, user.unit_id):
            raise BroadcastError("Đơn vị '%(code)s' không thuộc phạm vi của bạn.", code=unit.code)
    elif user is not None and user.unit_id is not None:
        unit = units.get_by_id(session, user.unit_id)
    else:
        unit = units.root(session)
    if unit.merged_into_id is not None:
        raise BroadcastError("Đơn vị '%(code)s' đã được sáp nhập, hãy dùng đơn vị nó nhập vào.", code=unit.code)
    return unit


def _covers_unassigned(unit: Unit) -> bool:
    return unit.parent_id is None and unit.merged_into_id is None


def check_reach(session: Session, unit: Unit, stations: Sequence[Station]) -> None:
    """Every station named lies within the unit (a commune targets only its own clusters)."""
    ids = units.subtree_ids(session, unit.id)
    top = _covers_unassigned(unit)
    outside = [s.code for s in stations if not (s.unit_id in ids or (s.unit_id is None and top))]
    if outside:
        raise BroadcastError(
            "Đài %(codes)s không thuộc %(unit)s: chỉ gửi được đến các đài của đơn vị mình.",
            codes=", ".join(outside), unit=unit.name,
        )


def within(session: Session, unit_id: int | None) -> ColumnElement[bool]:
    """A WHERE condition on ``Station.unit_id``: the stations a bulletin of this unit may reach."""
    if unit_id is None:
        return true()
    unit = units.get_by_id(session, unit_id)
    inside = Station.unit_id.in_(sorted(units.subtree_ids(session, unit_id)))
    return or_(inside, Station.unit_id.is_(None)) if _covers_unassigned(unit) else inside
