"""The role matrix: every route that changes something, tried by every role and by an anonymous
visitor, gets exactly the expected answer. One table, read like the permission rules."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

import pytest
from panel_support import PASSWORD, Panel, csrf_token, post

from broadcast import clock
from broadcast.models import BroadcastSession, Relay, Role, Station, StationGroup, User
from broadcast.security import hash_password
from web.i18n import today as local_today

ALL = frozenset({"editor", "reviewer", "operator", "admin"})
WRITE = frozenset({"editor", "admin"})
REVIEW = frozenset({"reviewer", "admin"})
OPERATE = frozenset({"operator", "admin"})
ADMIN = frozenset({"admin"})
NOBODY: frozenset[str] = frozenset()

_n = itertools.count(1)
DAY = clock.today("Asia/Ho_Chi_Minh") + timedelta(days=1)  # the stations' tomorrow


def bulletin_form(**over: Any) -> dict[str, Any]:
    return {"title": "Tin thử quyền", "body": "Nội dung thử quyền.", "priority": "normal",
            "valid_from": DAY.isoformat(), "valid_to": DAY.isoformat(), "plays_per_day": "1",
            "voice": "", "speech_rate": "1.0", "target_kind": "all", **over}


def station(panel: Panel, code: str = "ta-nang") -> Station:
    with panel.session() as s:
        st = s.query(Station).filter_by(code=code).one()
        return st


def new_session(panel: Panel) -> tuple[int, int]:
    with panel.session() as s:
        st = s.query(Station).filter_by(code="lien-nghia").one()
        bs = BroadcastSession(station_id=st.id, weekdays="1", start_time=time(12, 0), max_minutes=5,
                              on_date=date(2031, 1, 1) + timedelta(days=next(_n)))
        s.add(bs)
        s.flush()
        return st.id, bs.id


def new_group(panel: Panel) -> int:
    with panel.session() as s:
        g = StationGroup(name=f"Nhóm {next(_n)}")
        s.add(g)
        s.flush()
        return g.id


def new_relay(panel: Panel) -> int:
    with panel.session() as s:
        r = Relay(name="VOV", stream_url="https://vov.example/1", start_time=time(6, 0), duration_min=15)
        s.add(r)
        s.flush()
        return r.id


def new_user(panel: Panel) -> int:
    with panel.session() as s:
        u = User(username=f"u{next(_n)}", role=Role.EDITOR, password_hash=hash_password("12345678"))
        s.add(u)
        s.flush()
        return u.id


@dataclass(frozen=True)
class Case:
    name: str
    allowed: frozenset[str]
    #: Builds (url, form) for one attempt; runs before every attempt so each has fresh rows.
    make: Callable[[Panel], tuple[str, dict[str, Any]]]
    json: bool = False
    anonymous: int = 401
    multipart: bool = False
    ok: frozenset[int] = field(default=frozenset({200, 201, 202, 302}))


CASES = [
    Case("bulletins.new", WRITE, lambda p: ("/bulletins/new", bulletin_form())),
    Case("bulletins.edit", WRITE, lambda p: (f"/bulletins/{p.bulletin()}/edit", bulletin_form(title="Sửa"))),
    Case("bulletins.submit", WRITE, lambda p: (f"/bulletins/{p.bulletin()}/submit", {})),
    Case("bulletins.archive draft", WRITE | REVIEW, lambda p: (f"/bulletins/{p.bulletin()}/archive", {})),
    Case("bulletins.archive approved", REVIEW, lambda p: (f"/bulletins/{p.bulletin('approved')}/archive", {})),
    Case("bulletins.normalize", ALL, lambda p: ("/bulletins/normalize", {"text": "Họp lúc 7h."}), json=True),
    Case("bulletins.preview", WRITE | REVIEW, lambda p: (f"/bulletins/{p.bulletin()}/preview", {}), json=True),
    Case("review.approve", REVIEW, lambda p: (f"/review/{p.bulletin('submitted')}/approve", {})),
    Case("review.reject", REVIEW, lambda p: (f"/review/{p.bulletin('submitted')}/reject", {"comment": "Chưa đạt"})),
    Case("review.emergency", REVIEW, lambda p: ("/review/emergency", bulletin_form(  # an emergency airs today
        title="Khẩn", valid_from=local_today(p.settings.timezone).isoformat(),
        valid_to=local_today(p.settings.timezone).isoformat()))),
    Case("review.approve emergency", REVIEW,
         lambda p: (f"/review/{p.bulletin('submitted', priority='emergency')}/approve", {"confirm": "yes"})),
    Case("stations.new", OPERATE, lambda p: ("/stations/new", {"code": f"moi-{next(_n)}", "name": "Xã Mới", "kind": "xa",
                                                              "timezone": "Asia/Ho_Chi_Minh"})),
    Case("stations.update", OPERATE, lambda p: (f"/stations/{station(p).id}", {
        "name": "Xã Tà Năng", "kind": "xa", "timezone": "Asia/Ho_Chi_Minh", "active": "on"})),
    Case("stations.add_session", OPERATE, lambda p: (f"/stations/{station(p).id}/sessions", {
        "spec": f"{date(2030, 1, 1) + timedelta(days=next(_n))} 12:00-12:10"})),
    Case("stations.delete_session", OPERATE,
         lambda p: ("/stations/{}/sessions/{}/delete".format(*new_session(p)), {})),
    Case("stations.token", OPERATE, lambda p: (f"/stations/{station(p).id}/token", {})),
    Case("stations.import", OPERATE, lambda p: ("/stations/import", {"file": (
        __import__("io").BytesIO(f"code,name,kind,sessions\nnhap-{next(_n)},Xã Nhập,xa,Mon 05:00-05:30\n".encode()),
        "dai.csv")}), multipart=True),
    Case("stations.groups", OPERATE, lambda p: ("/stations/groups", {"name": f"Nhóm mới {next(_n)}"})),
    Case("stations.update_group", OPERATE,
         lambda p: (f"/stations/groups/{new_group(p)}", {"action": "members", "stations": ["ta-nang"]})),
    Case("stations.relays", OPERATE, lambda p: ("/stations/relays", {
        "name": "VOV1", "stream_url": "https://vov.example/1", "start_time": "06:00", "duration_min": "15",
        "weekdays": ["1"]})),
    Case("stations.delete_relay", OPERATE, lambda p: (f"/stations/relays/{new_relay(p)}/delete", {})),
    Case("schedule.override", OPERATE, lambda p: (f"/schedule/ta-nang/{DAY.isoformat()}/override",
                                                 {"bulletin_id": str(p.bulletin("approved")), "action": "drop"})),
    Case("schedule.generate", OPERATE, lambda p: (f"/schedule/ta-nang/{DAY.isoformat()}/generate", {})),
    Case("users.create", ADMIN, lambda p: ("/users", {"username": f"moi{next(_n)}", "role": "editor",
                                                     "password": "12345678", "password2": "12345678"})),
    Case("users.update", ADMIN, lambda p: (f"/users/{new_user(p)}", {"action": "active"})),
    Case("lang", ALL, lambda p: ("/lang", {"lang": "vi", "next": "/"}), anonymous=302),
    Case("setup after first run", NOBODY, lambda p: ("/setup", {"username": "x"}), anonymous=404),
]


def expected(case: Case, role: str | None) -> set[int]:
    if case.name == "setup after first run":
        return {404}  # gone for everyone once a user exists
    if role is None:
        return {case.anonymous}
    return set(case.ok) if role in case.allowed else {403}


@pytest.mark.parametrize("role", [None, "editor", "reviewer", "operator", "admin"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_role_matrix(shared_panel: Panel, case: Case, role: str | None) -> None:
    client = shared_panel.client(role) if role else shared_panel.anonymous()
    url, data = case.make(shared_panel)
    if case.json:
        r = client.post(url, json=data, headers={"X-CSRFToken": csrf_token(client), "Accept": "application/json"})
    elif case.multipart:
        r = post(client, url, data, content_type="multipart/form-data")
    else:
        r = post(client, url, data)
    assert r.status_code in expected(case, role), (case.name, role, r.status_code, r.get_data(as_text=True)[:500])
    body = r.get_data(as_text=True)
    assert "Traceback" not in body
    if role in case.allowed and r.status_code == 302:
        # An allowed attempt must have worked, not bounced back with an error message.
        follow = client.get(r.location).get_data(as_text=True)
        assert 'class="flash error"' not in follow, (case.name, role, follow[follow.find("flash error"):][:300])


@pytest.mark.parametrize("role", ["editor", "reviewer", "operator", "admin"])
def test_logout_for_every_role(shared_panel: Panel, role: str) -> None:
    c = shared_panel.anonymous()
    assert post(c, "/login", {"username": role, "password": PASSWORD}).status_code == 302
    r = post(c, "/logout")
    assert r.status_code == 302 and r.location.endswith("/login")
    assert c.get("/bulletins/").status_code == 302
    shared_panel.clients.pop(role, None)  # logout ends every login of the user, the cached one too


def test_navigation_shows_only_what_the_role_may_use(shared_panel: Panel) -> None:
    links = {
        "editor": ({"/bulletins/"}, {"/review/", "/stations/", "/users"}),
        "reviewer": ({"/review/", "/review/emergency", "/reports/"}, {"/users", "/bulletins/new"}),
        "operator": ({"/stations/", "/schedule/", "/reports/"}, {"/review/", "/users"}),
        "admin": ({"/bulletins/", "/review/", "/stations/", "/schedule/", "/reports/", "/users"}, set()),
    }
    for role, (shown, hidden) in links.items():
        page = shared_panel.client(role).get("/schedule/" if role != "editor" else "/bulletins/").get_data(as_text=True)
        nav = re.search(r"<nav aria-label=[^>]*>(.*?)</nav>", page, re.S)
        assert nav is not None
        hrefs = set(re.findall(r'href="([^"]+)"', nav.group(1)))
        assert shown <= hrefs, (role, hrefs)
        assert not (hidden & hrefs), (role, hrefs)


PAGES = [
    ("/bulletins/", ALL), ("/bulletins/new", WRITE), ("/review/", REVIEW), ("/review/emergency", REVIEW),
    ("/stations/", OPERATE | {"reviewer"}), ("/stations/new", OPERATE), ("/stations/import", OPERATE),
    ("/stations/groups", OPERATE), ("/stations/relays", OPERATE), ("/schedule/", ALL),
    ("/reports/", OPERATE | {"reviewer"}), ("/reports/asrun.csv", OPERATE | {"reviewer"}),
    ("/reports/chart.svg", OPERATE | {"reviewer"}), ("/reports/audit", OPERATE | {"reviewer"}), ("/users", ADMIN),
]


@pytest.mark.parametrize("role", [None, "editor", "reviewer", "operator", "admin"])
@pytest.mark.parametrize(("url", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_page_matrix(shared_panel: Panel, url: str, allowed: frozenset[str], role: str | None) -> None:
    client = shared_panel.client(role) if role else shared_panel.anonymous()
    r = client.get(url)
    if role is None:
        assert r.status_code == 302 and "/login?next=" in r.location
    else:
        assert r.status_code == (200 if role in allowed else 403), (url, role)
