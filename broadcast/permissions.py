"""Who may do what, and where: one table of actions and the roles allowed each, asked by the
panel, the API and the CLI alike. An administrator may do everything.

Every action is also scoped (issue 11.1): a user belongs to a unit and acts on that unit and the
units below it (``Scope``). A commune's editor, reviewer or operator sees and changes only the
commune's own stations and bulletins; a province's staff, every commune of the province.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from broadcast.errors import Forbidden
from broadcast.models import Role, Station, Unit, User

ADMIN = Role.ADMIN
_E, _R, _O = Role.EDITOR, Role.REVIEWER, Role.OPERATOR

#: Action → roles allowed.
ACTIONS: dict[str, frozenset[Role]] = {
    "bulletins.view": frozenset({_E, _R, _O, ADMIN}),
    "bulletins.write": frozenset({_E, ADMIN}),
    #: Send a bulletin for review from another system (POST /api/v1/bulletins).
    "bulletins.send": frozenset({_E, _R, ADMIN}),
    "review": frozenset({_R, ADMIN}),
    "emergency": frozenset({_R, ADMIN}),
    "stations.view": frozenset({_O, _R, ADMIN}),
    "stations.manage": frozenset({_O, ADMIN}),
    "schedule.view": frozenset({_O, _R, _E, ADMIN}),
    "schedule.edit": frozenset({_O, ADMIN}),
    "reports": frozenset({_O, _R, ADMIN}),
    "users": frozenset({ADMIN}),
    # --- units11: units and the inbox of bulletins from higher units (Circular 39) ---
    "units.view": frozenset({_E, _R, _O, ADMIN}),
    #: Import, rename and merge units below one's own; set a commune's default of accepting.
    "units.manage": frozenset({ADMIN}),
    "inbox.view": frozenset({_O, _R, _E, ADMIN}),
    #: Accept or decline a higher unit's normal bulletin, order its priority ones.
    "inbox.decide": frozenset({_O, ADMIN}),
    #: The sending unit's view of each commune's answer.
    "inbox.sent": frozenset({_E, _R, _O, ADMIN}),
}


def allowed(role: Role | str | None, action: str) -> bool:
    """True when the role may take the action; an unknown action is allowed to nobody."""
    if role is None:
        return False
    try:
        return Role(role) in ACTIONS.get(action, frozenset())
    except ValueError:
        return False


def require(role: Role | str | None, action: str, who: str = "") -> None:
    """Raise Forbidden unless the role may take the action."""
    if not allowed(role, action):
        raise Forbidden("Tài khoản '%(who)s' không có quyền làm việc này (%(action)s).", who=who, action=action)


_ANYWHERE = object()


def require_actor(session: Session, actor: str, action: str, unit_id: Any = _ANYWHERE) -> None:
    """The CLI's check: a panel user's name acts with that user's role (refused when locked),
    and, given ``unit_id``, only within the user's scope; any other name (an OS account) acts as
    administrator everywhere, since whoever runs ``loa`` on the server controls its data."""
    user = actor_user(session, actor)
    if user is None:
        return
    require(user.role, action, actor)
    if unit_id is not _ANYWHERE:
        require_scope(session, user, unit_id)


def actor_user(session: Session, actor: str) -> User | None:
    """The panel user of this name (Forbidden when locked), or None for any other name."""
    user = session.scalar(select(User).where(User.username == actor)) if actor else None
    if user is not None and not user.active:
        raise Forbidden("Tài khoản '%(who)s' đang bị khoá.", who=actor)
    return user


# --- scope: a user's unit and the units below it ----------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The units a user works for. ``unit_ids`` None: every unit (an OS account at the CLI).
    Rows with no unit (made before units existed) belong to the top: only a top unit's staff
    see them."""

    unit_ids: frozenset[int] | None
    unassigned: bool = True

    def covers(self, unit_id: int | None) -> bool:
        if self.unit_ids is None:
            return True
        return self.unassigned if unit_id is None else unit_id in self.unit_ids

    def clause(self, column: Any) -> ColumnElement[bool]:
        """A WHERE condition keeping the rows whose unit column is in scope."""
        if self.unit_ids is None:
            return true()
        inside = column.in_(sorted(self.unit_ids)) if self.unit_ids else false()
        return or_(inside, column.is_(None)) if self.unassigned else inside


EVERYWHERE = Scope(None)


def scope_of(session: Session, user: User | None) -> Scope:
    """The scope of a user: its unit and everything below (merged units included)."""
    from broadcast import units

    if user is None or user.unit_id is None:
        return EVERYWHERE
    unit = session.get(Unit, user.unit_id)
    top = unit is not None and unit.parent_id is None and unit.merged_into_id is None
    return Scope(frozenset(units.subtree_ids(session, user.unit_id)), unassigned=top)


def require_scope(session: Session, user: User | None, unit_id: int | None) -> None:
    """Forbidden unless the unit is the user's or below it."""
    if not scope_of(session, user).covers(unit_id):
        who = user.username if user else ""
        raise Forbidden("Tài khoản '%(who)s' không làm việc cho đơn vị này.", who=who)


def require_in(session: Session, user: User | None, action: str, unit_id: int | None) -> None:
    """The role may take the action, and the unit is within the user's scope."""
    if user is not None:
        require(user.role, action, user.username)
    require_scope(session, user, unit_id)


def require_station(session: Session, user: User | None, action: str, station: Station) -> None:
    """The role may take the action on this station (cluster), which is within the user's scope."""
    require_in(session, user, action, station.unit_id)
