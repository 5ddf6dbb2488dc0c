"""Issue 7's login defects: a poisoned next=, limits per address, unknown names' timing, and
logins that outlived logout and password resets."""

from __future__ import annotations

import pytest
from panel_support import PASSWORD, Panel, post
from sqlalchemy import select

from broadcast import security
from broadcast.models import User


@pytest.mark.parametrize("target", [
    "/stations/%0d%0aSet-Cookie:%20x=1", "/stations/%0aLocation:%20https://evil.example", "/%5Cevil.example",
    "/\t/evil.example",
])
def test_a_next_with_control_characters_is_ignored_not_a_500(panel: Panel, target: str) -> None:
    c = panel.anonymous()
    r = post(c, f"/login?next={target}", {"username": "operator", "password": PASSWORD})
    assert r.status_code == 302 and r.location == "/dashboard"  # the operator's home
    assert "Set-Cookie: x" not in str(r.headers) and "evil" not in r.location


def test_the_address_is_limited_across_user_names(panel: Panel) -> None:
    c = panel.anonymous()
    codes = [post(c, "/login", {"username": f"ten{i}", "password": "sai"}).status_code for i in range(30)]
    assert codes[:20] == [401] * 20 and set(codes[20:]) == {429}
    other = panel.anonymous()  # same test address: every client here is 127.0.0.1
    assert post(other, "/login", {"username": "editor", "password": PASSWORD}).status_code == 429


def test_a_successful_login_does_not_count(panel: Panel) -> None:
    c = panel.anonymous()
    for _ in range(8):
        assert post(c, "/login", {"username": "editor", "password": PASSWORD}).status_code == 302
        post(c, "/logout")
    for _ in range(5):
        assert post(c, "/login", {"username": "editor", "password": "sai"}).status_code == 401
    assert post(c, "/login", {"username": "editor", "password": "sai"}).status_code == 429


def test_unknown_names_are_checked_against_a_hash_too(panel: Panel, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    real = security.verify_password
    monkeypatch.setattr(security, "verify_password", lambda pw, h: checked.append(h) or real(pw, h))
    assert post(panel.anonymous(), "/login", {"username": "khong-co-ai", "password": "x"}).status_code == 401
    assert len(checked) == 1 and checked[0].startswith("$argon2")


def _cookie(client: object) -> str:
    jar = client._cookies  # type: ignore[attr-defined]
    return next(v.value for (_d, _p, name), v in jar.items() if name == "loa_session")


def test_logout_revokes_a_copied_cookie(panel: Panel) -> None:
    c = panel.anonymous()
    assert post(c, "/login", {"username": "editor", "password": PASSWORD}).status_code == 302
    stolen = _cookie(c)
    thief = panel.anonymous()
    thief.set_cookie("loa_session", stolen)
    assert thief.get("/bulletins/").status_code == 200
    post(c, "/logout")
    assert thief.get("/bulletins/").status_code == 302  # back to the login page


def test_a_password_reset_ends_the_users_logins(panel: Panel) -> None:
    editor = panel.client("editor")
    assert editor.get("/bulletins/").status_code == 200
    with panel.session() as s:
        uid = s.scalar(select(User.id).where(User.username == "editor"))
    assert post(panel.client("admin"), f"/users/{uid}", {"action": "password", "password": "mat-khau-moi-1"}
                ).status_code == 302
    assert editor.get("/bulletins/").status_code == 302
    assert post(panel.anonymous(), "/login", {"username": "editor", "password": "mat-khau-moi-1"}).status_code == 302
