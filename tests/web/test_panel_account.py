"""/account/password: a user changes their own password; other logins end, this one stays."""

from __future__ import annotations

from panel_support import PASSWORD, Panel, post
from sqlalchemy import select

from broadcast import security
from broadcast.models import AuditLog, User

NEW = "mat-khau-moi-456"


def _login(panel: Panel, password: str) -> object:
    c = panel.anonymous()
    r = post(c, "/login", {"username": "operator", "password": password})
    return c if r.status_code == 302 else None


def test_change_own_password_keeps_this_login_and_ends_the_others(panel: Panel) -> None:
    me, other = _login(panel, PASSWORD), _login(panel, PASSWORD)
    assert me is not None and other is not None
    page = me.get("/account/password")  # type: ignore[attr-defined]
    assert page.status_code == 200 and "Mật khẩu hiện tại" in page.get_data(as_text=True)
    r = post(me, "/account/password", {"current": PASSWORD, "password": NEW, "password2": NEW})  # type: ignore[arg-type]
    assert r.status_code == 302
    assert me.get("/stations/").status_code == 200  # type: ignore[attr-defined]
    assert other.get("/stations/").status_code == 302  # type: ignore[attr-defined]  # sent to the login page
    assert _login(panel, PASSWORD) is None and _login(panel, NEW) is not None
    with panel.session() as s:
        user = s.scalar(select(User).where(User.username == "operator"))
        assert user is not None and user.password_hash.startswith("$argon2")
        assert security.verify_password(NEW, user.password_hash)
        rows = s.scalars(select(AuditLog).where(AuditLog.action == "user.password.self")).all()
        assert [(a.actor, a.target) for a in rows] == [("operator", "operator")]


def test_wrong_current_password_short_or_mismatched_is_refused_in_vietnamese(panel: Panel) -> None:
    c = panel.client("editor")
    r = post(c, "/account/password", {"current": "sai-roi-nhe", "password": "ngan", "password2": "khac"})
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "Mật khẩu hiện tại không đúng." in page
    assert "ít nhất 8 ký tự" in page and "không khớp" in page
    r = post(c, "/account/password", {"current": PASSWORD, "password": PASSWORD, "password2": PASSWORD})
    assert r.status_code == 400 and "phải khác mật khẩu hiện tại" in r.get_data(as_text=True)
    with panel.session() as s:
        user = s.scalar(select(User).where(User.username == "editor"))
        assert user is not None and security.verify_password(PASSWORD, user.password_hash)
        assert s.scalar(select(AuditLog.id).where(AuditLog.action == "user.password.self")) is None


def test_account_page_needs_a_login(panel: Panel) -> None:
    r = panel.anonymous().get("/account/password")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert panel.anonymous().post("/account/password", data={}).status_code in (400, 401)
