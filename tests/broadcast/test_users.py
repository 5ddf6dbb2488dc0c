"""broadcast.users: accounts, their problems reported at once, logins revoked on the server, and
unknown names checked against a hash like known ones."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast import security
from broadcast import users as svc
from broadcast.changes import Invalid
from broadcast.errors import BroadcastError
from broadcast.models import AuditLog, Role


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def test_create_reports_every_problem(session: Session) -> None:
    svc.create_user(session, username="bientap", role="editor", password="mot-hai-ba-bon", actor="admin")
    with pytest.raises(Invalid) as info:
        svc.create_user(session, username="bientap", role="vua", password="x", password2="y",
                        full_name="x" * 201, actor="admin")
    text = str(info.value)
    for words in ("đã có người dùng", "Họ tên quá dài", "Vai trò không hợp lệ", "ít nhất 8 ký tự", "không khớp"):
        assert words in text, words
    assert session.scalar(select(AuditLog.target).where(AuditLog.action == "user.create")) == "bientap"


def test_authenticate_checks_a_hash_also_for_unknown_and_locked_names(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = svc.create_user(session, username="bientap", role="editor", password="mot-hai-ba-bon", actor="a")
    checked: list[str] = []
    real = security.verify_password
    monkeypatch.setattr(security, "verify_password", lambda pw, h: checked.append(h) or real(pw, h))
    assert svc.authenticate(session, "bientap", "mot-hai-ba-bon") is user
    assert svc.authenticate(session, "bientap", "sai") is None
    assert svc.authenticate(session, "khong-co-ai", "mot-hai-ba-bon") is None
    user.active = False
    assert svc.authenticate(session, "bientap", "mot-hai-ba-bon") is None
    assert len(checked) == 4 and all(h.startswith("$argon2") for h in checked)


def test_password_reset_logout_and_locking_end_logins(session: Session) -> None:
    admin = svc.create_user(session, username="quantri", role="admin", password="12345678", actor="x")
    user = svc.create_user(session, username="bientap", role="editor", password="12345678", actor="x")
    epochs = [user.session_epoch]
    svc.reset_password(session, user, "87654321", actor="quantri")
    epochs.append(user.session_epoch)
    svc.end_sessions(session, user)
    epochs.append(user.session_epoch)
    svc.toggle_active(session, user, by=admin)
    epochs.append(user.session_epoch)
    assert epochs == [0, 1, 2, 3] and not user.active
    with pytest.raises(BroadcastError, match="ít nhất 8"):
        svc.reset_password(session, user, "ngan", actor="quantri")
    assert user.session_epoch == 3


def test_admin_cannot_demote_or_lock_themselves(session: Session) -> None:
    admin = svc.create_user(session, username="quantri", role="admin", password="12345678", actor="x")
    with pytest.raises(BroadcastError, match="tự bỏ quyền"):
        svc.set_role(session, admin, "editor", by=admin)
    with pytest.raises(BroadcastError, match="tự khoá"):
        svc.toggle_active(session, admin, by=admin)
    other = svc.create_user(session, username="bientap", role="editor", password="12345678", actor="x")
    svc.set_role(session, other, "reviewer", by=admin)
    token = svc.issue_api_token(session, other, actor="quantri")
    assert other.role == Role.REVIEWER and security.verify_token(token, other.api_token_hash)
    actions = set(session.scalars(select(AuditLog.action).where(AuditLog.target == "bientap")))
    assert {"user.create", "user.role", "user.api_token"} <= actions
