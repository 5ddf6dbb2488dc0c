"""Who may do what: one table of actions and the roles allowed each, asked by the panel, the API
and the CLI alike. An administrator may do everything.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast.errors import Forbidden
from broadcast.models import Role, User

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
    #: Orders to a station's agent from the dashboard: stop, skip, volume, test tone, play now.
    "remote": frozenset({_O, ADMIN}),
    #: /status: scheduler, queues, voices, disk, versions, errors.
    "status": frozenset({_O, ADMIN}),
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


def require_actor(session: Session, actor: str, action: str) -> None:
    """The CLI's check: a panel user's name acts with that user's role (refused when locked);
    any other name (an OS account) acts as administrator, since whoever runs ``loa`` on the
    server already controls its data."""
    user = session.scalar(select(User).where(User.username == actor)) if actor else None
    if user is None:
        return
    if not user.active:
        raise Forbidden("Tài khoản '%(who)s' đang bị khoá.", who=actor)
    require(user.role, action, actor)
