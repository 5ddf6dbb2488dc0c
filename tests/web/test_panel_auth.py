"""Logging in, roles, cookies, the secret key, the language toggle and the first-run setup."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from panel_support import CSRF_RE, PASSWORD, Panel, csrf_token, make_panel, post
from sqlalchemy import select

from broadcast.models import AuditLog, User
from loa import config
from web.app import create_app
from web.jobs import InlineJobQueue


def test_root_sends_visitors_to_login(panel: Panel) -> None:
    r = panel.anonymous().get("/")
    assert r.status_code == 302 and r.location.endswith("/login")
    page = panel.anonymous().get("/login").get_data(as_text=True)
    assert "Đăng nhập" in page and 'lang="vi"' in page


def test_login_lands_on_the_role_home(panel: Panel) -> None:
    homes = {"editor": "/bulletins/", "reviewer": "/review/", "operator": "/dashboard", "admin": "/dashboard"}
    for role, home in homes.items():
        c = panel.anonymous()
        r = post(c, "/login", {"username": role, "password": PASSWORD})
        assert r.status_code == 302 and r.location.endswith(home)
        assert c.get(home).status_code == 200


def test_wrong_password_is_refused_in_vietnamese(panel: Panel) -> None:
    c = panel.anonymous()
    r = post(c, "/login", {"username": "editor", "password": "sai"})
    assert r.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in r.get_data(as_text=True)
    assert c.get("/bulletins/").status_code == 302  # still anonymous


def test_inactive_user_cannot_log_in_and_is_logged_out(panel: Panel) -> None:
    c = panel.client("editor")
    with panel.session() as s:
        user = s.scalar(select(User).where(User.username == "editor"))
        assert user is not None
        user.active = False
    assert c.get("/bulletins/").status_code == 302
    r = post(panel.anonymous(), "/login", {"username": "editor", "password": PASSWORD})
    assert r.status_code == 401


def test_login_is_rate_limited_per_user_with_a_vietnamese_page(panel: Panel) -> None:
    c = panel.anonymous()
    for _ in range(5):
        assert post(c, "/login", {"username": "admin", "password": "sai"}).status_code == 401
    r = post(c, "/login", {"username": "admin", "password": PASSWORD})
    assert r.status_code == 429
    page = r.get_data(as_text=True)
    assert "Thử quá nhiều lần" in page and "Traceback" not in page
    # Another user from the same address is not locked out by it.
    assert post(c, "/login", {"username": "editor", "password": PASSWORD}).status_code == 302


def test_next_only_follows_local_paths(panel: Panel) -> None:
    c = panel.anonymous()
    r = c.get("/stations/")
    assert r.status_code == 302 and "next=/stations/" in r.location
    r = post(c, "/login?next=https://evil.example/x", {"username": "operator", "password": PASSWORD})
    assert r.location == "/dashboard"  # the operator's home, not the outside address
    c2 = panel.anonymous()
    r = post(c2, "/login?next=/reports/", {"username": "operator", "password": PASSWORD})
    assert r.location == "/reports/"


def test_session_cookie_is_httponly_and_lax(panel: Panel) -> None:
    c = panel.anonymous()
    r = post(c, "/login", {"username": "editor", "password": PASSWORD})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_cookie_is_secure_behind_https(tmp_path: Path) -> None:
    p = make_panel(tmp_path / "d", public_url="https://loa.example.vn")
    c = p.anonymous()
    r = post(c, "/login", {"username": "editor", "password": PASSWORD})
    assert "Secure" in r.headers["Set-Cookie"]


def test_secret_key_is_generated_once_with_owner_only_permissions(tmp_path: Path) -> None:
    settings = config.load(data_dir=tmp_path / "d", engine_order=("espeak",))
    app = create_app(settings, jobs=InlineJobQueue())
    key_file = settings.data_dir / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert app.secret_key == key_file.read_text().strip() and len(app.secret_key) >= 32
    assert create_app(settings, jobs=InlineJobQueue()).secret_key == app.secret_key


def test_explicit_secret_key_wins(tmp_path: Path) -> None:
    app = create_app(config.load(data_dir=tmp_path / "d", secret_key="k" * 40), jobs=InlineJobQueue())
    assert app.secret_key == "k" * 40
    assert not (tmp_path / "d" / "secret_key").exists()


def test_language_toggle_switches_to_english_and_back(panel: Panel) -> None:
    c = panel.client("editor")
    assert "Bản tin" in c.get("/bulletins/").get_data(as_text=True)
    r = post(c, "/lang", {"lang": "en", "next": "/bulletins/"})
    assert r.status_code == 302 and r.location == "/bulletins/"
    page = c.get("/bulletins/").get_data(as_text=True)
    assert 'lang="en"' in page and "Bulletins" in page and "Write a new bulletin" in page
    post(c, "/lang", {"lang": "vi", "next": "/bulletins/"})
    assert "Viết bản tin mới" in c.get("/bulletins/").get_data(as_text=True)


def test_first_run_setup_creates_the_admin_then_disappears(tmp_path: Path) -> None:
    app = create_app(config.load(data_dir=tmp_path / "d", secret_key="x"), jobs=InlineJobQueue())
    c = app.test_client()
    assert c.get("/login").location.endswith("/setup")
    token = csrf_token_from(c, "/setup")
    r = c.post("/setup", data={"csrf_token": token, "username": "quantri", "full_name": "Quản trị",
                               "password": "12345678x", "password2": "12345678y"})
    assert r.status_code == 400 and "không khớp" in r.get_data(as_text=True)
    r = c.post("/setup", data={"csrf_token": token, "username": "quantri", "full_name": "Quản trị",
                               "password": "12345678x", "password2": "12345678x"})
    assert r.status_code == 302 and r.location.endswith("/users")
    assert c.get("/users").status_code == 200
    assert app.test_client().get("/setup").status_code == 404


def csrf_token_from(client: FlaskClient, url: str) -> str:
    m = CSRF_RE.search(client.get(url).get_data(as_text=True))
    assert m is not None
    return m.group(1)


def test_admin_manages_users_and_it_is_audited(panel: Panel) -> None:
    c = panel.client("admin")
    r = post(c, "/users", {"username": "bientap2", "full_name": "Biên tập 2", "role": "editor",
                           "password": "mot-hai-ba-bon", "password2": "mot-hai-ba-bon"})
    assert r.status_code == 302
    r = post(c, "/users", {"username": "bientap2", "role": "editor", "password": "x", "password2": "x"})
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "đã có người dùng" in page and "ít nhất 8 ký tự" in page
    with panel.session() as s:
        user = s.scalar(select(User).where(User.username == "bientap2"))
        assert user is not None and user.role.value == "editor"
        uid = user.id
    assert post(c, f"/users/{uid}", {"action": "role", "role": "reviewer"}).status_code == 302
    r = post(c, f"/users/{uid}", {"action": "api_token"})
    assert r.status_code == 200 and "chỉ hiện một lần" in r.get_data(as_text=True)
    with panel.session() as s:
        user = s.get(User, uid)
        assert user is not None
        assert user.role.value == "reviewer" and user.api_token_hash
        actions = set(s.scalars(select(AuditLog.action).where(AuditLog.target == "bientap2")))
    assert {"user.create", "user.role", "user.api_token"} <= actions


def test_admin_cannot_demote_or_lock_themselves(panel: Panel) -> None:
    c = panel.client("admin")
    with panel.session() as s:
        uid = s.scalar(select(User.id).where(User.username == "admin"))
    post(c, f"/users/{uid}", {"action": "role", "role": "editor"})
    post(c, f"/users/{uid}", {"action": "active"})
    with panel.session() as s:
        me = s.get(User, uid)
        assert me is not None
        assert me.role.value == "admin" and me.active


def test_token_in_form_is_required(panel: Panel) -> None:
    c = panel.client("admin")
    csrf_token(c)
    r = c.post("/users", data={"username": "x", "role": "editor", "password": "12345678", "password2": "12345678"})
    assert r.status_code == 400
    assert "mã bảo vệ" in r.get_data(as_text=True)


def test_login_page_sends_a_logged_in_user_home(panel: Panel) -> None:
    r = panel.client("operator").get("/login")
    assert r.status_code == 302 and r.location.endswith("/dashboard")


def test_secret_key_written_by_another_process_first_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    import web.app

    settings = config.load(data_dir=tmp_path / "d")
    real_link = os.link

    def other_process_first(src: str, dst: str) -> None:
        Path(dst).write_text("cua-tien-trinh-khac")  # the scheduler started at the same moment
        real_link(src, dst)

    monkeypatch.setattr(web.app.os, "link", other_process_first)
    assert web.app._secret_key(settings) == "cua-tien-trinh-khac"
    assert [p.name for p in settings.data_dir.iterdir()] == ["secret_key"]  # no temp file left
