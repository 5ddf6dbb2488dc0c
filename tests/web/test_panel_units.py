"""Scope in the panel and the API (issue 11): a commune's staff see and act on their commune's
stations and bulletins only; the inbox pages carry Circular 39's decisions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from panel_support import PASSWORD_HASH, Panel, post

from broadcast import bulletins, clock, inbox, units
from broadcast import stations as stations_svc
from broadcast.models import Bulletin, Role, Station, StationGroup, User
from broadcast.security import hash_token

TREE = "code,name,kind,parent\n68,Tỉnh Lâm Đồng,tinh,\n24823,Xã Tà Năng,xa,68\n24826,Xã Liên Nghĩa,xa,68\n"
TOKEN_A = "commune-a-operator-token-" + "a" * 20


@pytest.fixture
def tree(panel: Panel) -> dict[str, int]:
    """Tà Năng's station under commune A, Liên Nghĩa's under commune B; staff at each level."""
    with panel.session() as s:
        units.import_units(s, units.parse_units_csv(TREE), actor="admin")
        t = {u.code: u.id for u in units.all_units(s)}
        for code, unit in (("ta-nang", "24823"), ("lien-nghia", "24826")):
            s.query(Station).filter_by(code=code).one().unit_id = t[unit]
        for name, role, unit in (("op-a", "operator", "24823"), ("ed-a", "editor", "24823"),
                                 ("rev-a", "reviewer", "24823"), ("op-b", "operator", "24826"),
                                 ("ed-b", "editor", "24826"), ("ed-tinh", "editor", "68"),
                                 ("rev-tinh", "reviewer", "68")):
            s.add(User(username=name, role=Role(role), password_hash=PASSWORD_HASH, unit_id=t[unit],
                       api_token_hash=hash_token(TOKEN_A) if name == "op-a" else None))
    return t


def _bulletin(panel: Panel, actor: str, title: str, status: str = "approved", **kw: object) -> int:
    today = clock.today("Asia/Ho_Chi_Minh")
    with panel.session() as s:
        b = bulletins.create_bulletin(s, title=title, body="Nội dung.", valid_from=today,
                                      valid_to=today + timedelta(days=3), actor=actor, **kw)  # type: ignore[arg-type]
        if status in ("submitted", "approved"):
            bulletins.submit(s, b, actor)
        if status == "approved":
            bulletins.approve(s, b, "admin")
        s.flush()
        return b.id


def _station_id(panel: Panel, code: str) -> int:
    with panel.session() as s:
        return s.query(Station).filter_by(code=code).one().id


def test_a_commune_operator_sees_and_changes_only_its_stations(panel: Panel, tree: dict[str, int]) -> None:
    c = panel.client("op-a")
    page = c.get("/stations/").get_data(as_text=True)
    assert "Xã Tà Năng" in page and "Thị trấn Liên Nghĩa" not in page
    other = _station_id(panel, "lien-nghia")
    assert c.get(f"/stations/{other}").status_code == 404
    assert post(c, f"/stations/{other}", {"name": "Đổi tên"}).status_code == 404
    assert post(c, f"/stations/{other}/token").status_code == 404
    assert c.get("/schedule/?station=lien-nghia").status_code == 404
    assert "Thị trấn Liên Nghĩa" not in c.get("/schedule/").get_data(as_text=True)
    assert post(c, "/schedule/lien-nghia/2026-12-01/generate").status_code == 404
    assert c.get("/reports/?station=lien-nghia").status_code == 404
    with panel.session() as s:
        assert s.query(Station).filter_by(code="lien-nghia").one().name == "Thị trấn Liên Nghĩa"
    # The province's staff see both.
    page = panel.client("admin").get("/stations/").get_data(as_text=True)  # no unit: everywhere
    assert "Xã Tà Năng" in page and "Thị trấn Liên Nghĩa" in page


def test_each_commune_has_its_own_editors_and_reviewers(panel: Panel, tree: dict[str, int]) -> None:
    mine = _bulletin(panel, "ed-a", "Tin của xã A", status="submitted")
    theirs = _bulletin(panel, "ed-b", "Tin của xã B", status="submitted")
    ed = panel.client("ed-a")
    listing = ed.get("/bulletins/").get_data(as_text=True)
    assert "Tin của xã A" in listing and "Tin của xã B" not in listing
    assert ed.get(f"/bulletins/{theirs}").status_code == 404
    assert ed.get(f"/bulletins/{theirs}/edit").status_code == 404
    rev = panel.client("rev-a")
    queue = rev.get("/review/").get_data(as_text=True)
    assert "Tin của xã A" in queue and "Tin của xã B" not in queue
    assert post(rev, f"/review/{theirs}/approve").status_code == 404
    assert panel.get_bulletin(theirs).status == "submitted"
    assert post(rev, f"/review/{mine}/approve").status_code == 302
    assert panel.get_bulletin(mine).status == "approved"
    with panel.session() as s:
        assert bulletins.target_station_codes(s, s.get(Bulletin, mine)) == ["ta-nang"]  # type: ignore[arg-type]


def test_the_api_answers_within_the_users_scope(panel: Panel, tree: dict[str, int]) -> None:
    c = panel.anonymous()
    auth = {"Authorization": f"Bearer {TOKEN_A}"}
    listed = c.get("/api/v1/stations", headers=auth).get_json()
    assert [s["code"] for s in listed] == ["ta-nang"]
    r = c.get("/api/v1/stations/lien-nghia/playlists/2026-12-01", headers=auth)
    assert r.status_code == 403
    sent = _bulletin(panel, "ed-tinh", "Tỉnh: thông báo")
    got = c.get("/api/v1/inbox", headers=auth).get_json()
    assert [(e["bulletin"], e["unit"], e["state"]) for e in got] == [(sent, "24823", "waiting")]
    r = c.post(f"/api/v1/inbox/{sent}", json={"decision": "decline"}, headers=auth)
    assert r.status_code == 400 and "Cần ghi lý do" in r.get_json()["error"]
    r = c.post(f"/api/v1/inbox/{sent}", json={"decision": "decline", "reason": "Trùng lịch", "unit": "24826"},
               headers=auth)
    assert r.status_code == 403  # another commune
    r = c.post(f"/api/v1/inbox/{sent}", json={"decision": "accept"}, headers=auth)
    assert r.status_code == 200 and r.get_json()["state"] == "accepted" and r.get_json()["actor"] == "op-a"
    assert c.get(f"/api/v1/bulletins/{sent}/inbox", headers=auth).status_code == 404  # not its unit's


def test_inbox_pages_accept_decline_and_the_senders_view(panel: Panel, tree: dict[str, int]) -> None:
    normal = _bulletin(panel, "ed-tinh", "Tỉnh: thông báo thường")
    urgent = _bulletin(panel, "ed-tinh", "Tỉnh: bão", priority="emergency")
    a = panel.client("op-a")
    page = a.get("/inbox/").get_data(as_text=True)
    assert "Tỉnh: thông báo thường" in page and "Không thể từ chối" in page
    assert post(a, f"/inbox/{normal}", {"decision": "accept"}).status_code == 302
    r = post(a, f"/inbox/{urgent}", {"decision": "decline", "reason": "x"}, follow_redirects=True)
    assert "Bản tin khẩn cấp phát ngay" in r.get_data(as_text=True)
    b = panel.client("op-b")
    assert post(b, f"/inbox/{normal}", {"decision": "decline", "reason": "Đã phát bản khác"}).status_code == 302
    assert b.get("/inbox/?unit=24823").status_code == 404  # not its commune's inbox
    assert post(b, "/inbox/auto", {"unit": "24823", "on": "1"}).status_code == 404
    assert panel.client("ed-a").get("/inbox/").status_code == 200  # editors read it, cannot decide
    assert post(panel.client("ed-a"), f"/inbox/{normal}", {"decision": "accept"}).status_code == 403
    sent = panel.client("ed-tinh").get("/inbox/sent").get_data(as_text=True)
    assert "Tỉnh: thông báo thường" in sent and "Đã phát bản khác" in sent and "op-a" in sent
    assert "2 xã: 0 đang chờ, 1 từ chối." in sent
    with panel.session() as s:
        b_ = s.get(Bulletin, normal)
        assert b_ is not None
        assert {e.unit_code: e.state for e in inbox.status(s, b_)} == {"24823": "accepted", "24826": "declined"}
    assert panel.client("ed-b").get(f"/inbox/sent/{normal}").status_code == 404


def test_a_communes_administrator_manages_only_its_staff(panel: Panel, tree: dict[str, int]) -> None:
    with panel.session() as s:
        s.add(User(username="admin-a", role=Role.ADMIN, password_hash=PASSWORD_HASH, unit_id=tree["24823"]))
    c = panel.client("admin-a")
    page = c.get("/users").get_data(as_text=True)
    assert "op-a" in page and "op-b" not in page and "Xã Liên Nghĩa" not in page
    with panel.session() as s:
        op_b = s.query(User).filter_by(username="op-b").one().id
        ed_a = s.query(User).filter_by(username="ed-a").one().id
    assert post(c, f"/users/{op_b}", {"action": "active"}).status_code == 404
    r = post(c, "/users", {"username": "moi", "role": "editor", "password": "mat-khau-1", "password2": "mat-khau-1",
                          "unit": "24826"})
    assert r.status_code == 404
    assert post(c, "/users", {"username": "moi", "role": "editor", "password": "mat-khau-1",
                              "password2": "mat-khau-1"}).status_code == 302
    r = post(c, f"/users/{ed_a}", {"action": "unit", "unit": "24826"}, follow_redirects=True)
    assert "không làm việc cho đơn vị này" in r.get_data(as_text=True)
    with panel.session() as s:
        assert s.query(User).filter_by(username="moi").one().unit_id == tree["24823"]
        assert s.query(User).filter_by(username="ed-a").one().unit_id == tree["24823"]
    assert post(panel.client("admin"), f"/users/{ed_a}", {"action": "unit", "unit": "24826"}).status_code == 302
    with panel.session() as s:
        assert s.query(User).filter_by(username="ed-a").one().unit_id == tree["24826"]


def test_a_commune_operators_new_stations_groups_and_relays_stay_in_its_commune(
    panel: Panel, tree: dict[str, int]
) -> None:
    c = panel.client("op-a")
    r = post(c, "/stations/new", {"code": "ta-nang-2", "name": "Cụm 2 Tà Năng", "kind": "xa",
                                  "sessions": "Mon-Sun 05:30-06:00"})
    assert r.status_code == 302
    csv = b"code,name,kind,sessions\nta-nang-3,Cum 3,xa,Mon-Sun 05:30-06:00\n"
    import io

    r = c.post("/stations/import", data={"csrf_token": _token(c), "file": (io.BytesIO(csv), "s.csv")},
               content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    with panel.session() as s:
        got = {st.code: st.unit_id for st in s.query(Station).filter(Station.code.like("ta-nang-%"))}
    assert got == {"ta-nang-2": tree["24823"], "ta-nang-3": tree["24823"]}
    r = post(c, "/stations/relays", {"name": "VOV1", "stream_url": "http://127.0.0.1:9/vov1", "start_time": "06:00",
                                     "duration_min": "15", "weekdays": ["1"], "station": ""})
    assert r.status_code == 404  # a relay for every station is not a commune's to add
    with panel.session() as s:
        group_id = s.query(StationGroup).one().id  # the sample group holds both communes' stations
    assert post(c, f"/stations/groups/{group_id}", {"stations": ["ta-nang"]}).status_code == 404


def _token(c: object) -> str:
    from panel_support import csrf_token

    return csrf_token(c)  # type: ignore[arg-type]


def test_the_sending_unit_links_to_each_communes_answer_and_a_merged_commune_stays_visible(
    panel: Panel, tree: dict[str, int]
) -> None:
    sent = _bulletin(panel, "ed-tinh", "Tỉnh: thông báo")
    page = panel.client("ed-tinh").get(f"/bulletins/{sent}").get_data(as_text=True)
    assert "Tỉnh Lâm Đồng" in page and f"/inbox/sent/{sent}" in page
    a_page = panel.client("op-a").get(f"/bulletins/{sent}")  # it came to commune A's inbox
    assert a_page.status_code == 200 and f"/inbox/sent/{sent}" not in a_page.get_data(as_text=True)
    with panel.session() as s:
        units.merge(s, units.get(s, "24823"), units.get(s, "24826"), actor="admin")
    page = panel.client("op-b").get("/stations/").get_data(as_text=True)
    assert "Xã Tà Năng" in page and "Thị trấn Liên Nghĩa" in page  # B now runs A's clusters too


def test_history_and_the_period_report_stay_within_the_users_unit(panel: Panel, tree: dict[str, int]) -> None:
    c = panel.client("op-a")
    assert c.get("/reports/history?station=lien-nghia").status_code == 404
    page = c.get("/reports/history?station=ta-nang").get_data(as_text=True)
    assert "Thị trấn Liên Nghĩa" not in page
    assert c.get("/reports/period?unit=24826&from=01/11/2026&to=30/11/2026").status_code == 404
    own = c.get("/reports/period?from=01/11/2026&to=30/11/2026")  # no unit: the user's own commune
    assert own.status_code == 200
    assert "Xã Tà Năng" in own.get_data(as_text=True) and "Xã Liên Nghĩa" not in own.get_data(as_text=True)
    assert panel.client("admin").get("/reports/period?unit=24826&from=01/11/2026&to=30/11/2026").status_code == 200


def test_the_dashboard_and_its_orders_stay_within_the_users_unit(panel: Panel, tree: dict[str, int]) -> None:
    """A commune's operator sees its own stations on the console and cannot order another
    commune's agent (told, as for any unknown code, that there is no such station)."""
    from broadcast.models import RemoteCommand

    with panel.session() as s:
        for st in s.query(Station):
            stations_svc.issue_agent_token(s, st, "admin")
    c = panel.client("op-a")
    for path in ("/dashboard", "/dashboard/live"):
        page = c.get(path).get_data(as_text=True)
        assert "Xã Tà Năng" in page and "Thị trấn Liên Nghĩa" not in page and "0/1 trực tuyến" in page
    assert [s["code"] for s in c.get("/dashboard.json").get_json()["stations"]] == ["ta-nang"]
    r = post(c, "/dashboard/commands", {"station": "lien-nghia", "kind": "stop"}, follow_redirects=True)
    assert "Không có đài mã &#39;lien-nghia&#39;." in r.get_data(as_text=True)
    assert post(c, "/dashboard/stations/ta-nang/commands", {"kind": "tone"}).status_code == 302
    with panel.session() as s:
        assert [(cmd.kind, cmd.station_id) for cmd in s.query(RemoteCommand)] == [("tone", _station_id(panel, "ta-nang"))]
    # The province's operator sees both, and narrows to one commune.
    admin = panel.client("admin")
    assert "0/2 trực tuyến" in admin.get("/dashboard").get_data(as_text=True)
    page = admin.get(f"/dashboard?unit={tree['24826']}").get_data(as_text=True)
    assert 'id="st-lien-nghia"' in page and 'id="st-ta-nang"' not in page
