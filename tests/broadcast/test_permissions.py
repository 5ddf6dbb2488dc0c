"""The one permission table, and the CLI's way of asking it."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from broadcast import permissions
from broadcast.errors import Forbidden
from broadcast.models import Role, User


def test_admin_may_do_everything_and_unknown_actions_nobody() -> None:
    for action in permissions.ACTIONS:
        assert permissions.allowed(Role.ADMIN, action), action
    assert not permissions.allowed(Role.ADMIN, "no.such.action")
    assert not permissions.allowed(None, "bulletins.view")
    assert not permissions.allowed("king", "bulletins.view")


@pytest.mark.parametrize(("role", "action", "ok"), [
    ("operator", "stations.manage", True), ("reviewer", "stations.manage", False),
    ("reviewer", "stations.view", True), ("editor", "stations.view", False),
    ("reviewer", "bulletins.send", True), ("operator", "bulletins.send", False),
    ("editor", "emergency", False), ("reviewer", "emergency", True), ("operator", "users", False),
])
def test_table(role: str, action: str, ok: bool) -> None:
    assert permissions.allowed(role, action) is ok
    if not ok:
        with pytest.raises(Forbidden):
            permissions.require(role, action, "x")


def test_cli_actor_acts_with_the_users_role_else_as_administrator(session: Session) -> None:
    session.add_all([User(username="bientap", role=Role.EDITOR, password_hash="x"),
                     User(username="khoa", role=Role.OPERATOR, password_hash="x", active=False),
                     User(username="vanhanh", role=Role.OPERATOR, password_hash="x")])
    session.flush()
    permissions.require_actor(session, "root", "stations.manage")  # an OS account
    permissions.require_actor(session, "vanhanh", "stations.manage")
    with pytest.raises(Forbidden, match="không có quyền"):
        permissions.require_actor(session, "bientap", "stations.manage")
    with pytest.raises(Forbidden, match="bị khoá"):
        permissions.require_actor(session, "khoa", "stations.manage")
