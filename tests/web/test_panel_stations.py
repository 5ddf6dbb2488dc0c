"""Stations, sessions, groups, relays and agent tokens in the panel."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from panel_support import Panel, post
from sqlalchemy import select

from broadcast.models import AuditLog, BroadcastSession, RegenRequest, Relay, Station, StationGroup
from broadcast.security import verify_token


def station_id(panel: Panel, code: str) -> int:
    with panel.session() as s:
        sid = s.scalar(select(Station.id).where(Station.code == code))
        assert sid is not None
        return sid


def test_list_shows_online_and_offline_from_heartbeats(panel: Panel) -> None:
    with panel.session() as s:
        st = s.scalar(select(Station).where(Station.code == "ta-nang"))
        assert st is not None
        st.last_heartbeat_at = datetime.now(UTC) - timedelta(seconds=30)
        old = s.scalar(select(Station).where(Station.code == "lien-nghia"))
        assert old is not None
        old.last_heartbeat_at = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    page = panel.client("operator").get("/stations/").get_data(as_text=True)
    row_ta_nang = page[page.index("Xã Tà Năng"):page.index("Xã Tà Năng") + 900]
    row_lien = page[page.index("Thị trấn Liên Nghĩa"):page.index("Thị trấn Liên Nghĩa") + 900]
    assert "Trực tuyến" in row_ta_nang
    assert "Mất kết nối" in row_lien and "02/01/2026, 10:04" in row_lien  # local time, Vietnamese format


def test_create_station_with_sessions(panel: Panel) -> None:
    c = panel.client("operator")
    r = post(c, "/stations/new", {"code": "da-loan", "name": "Xã Đà Loan", "kind": "xa", "district": "Đức Trọng",
                                  "timezone": "Asia/Ho_Chi_Minh", "sessions": "T2-T7 05:30-06:00; CN 17:00-17:30"})
    assert r.status_code == 302
    with panel.session() as s:
        st = s.scalar(select(Station).where(Station.code == "da-loan"))
        assert st is not None and [b.weekdays for b in st.sessions] == ["123456", "7"]
        assert s.scalar(select(AuditLog).where(AuditLog.action == "station.create")) is not None


def test_station_form_errors_in_vietnamese(panel: Panel) -> None:
    c = panel.client("operator")
    r = post(c, "/stations/new", {"code": "Tà Năng!", "name": "", "kind": "tinh", "timezone": "Mars/Base",
                                  "sessions": "Mon-Sat 05:30-06:00; Mon 05:45-06:15"})
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    for msg in ("Mã đài chỉ gồm", "Tên đài không được trống", "Loại đài không hợp lệ", "Múi giờ",
                "trùng giờ"):
        assert msg in page, msg
    r = post(c, "/stations/new", {"code": "ta-nang", "name": "X", "kind": "xa", "timezone": "Asia/Ho_Chi_Minh"})
    assert "đã có" in r.get_data(as_text=True)


def test_overlapping_session_is_refused(panel: Panel) -> None:
    sid = station_id(panel, "ta-nang")
    c = panel.client("operator")
    r = post(c, f"/stations/{sid}/sessions", {"spec": "Mon 05:45-06:10"})
    page = c.get(r.location).get_data(as_text=True)
    assert "Phiên phát trùng giờ" in page
    r = post(c, f"/stations/{sid}/sessions", {"spec": "T2-T6 11:00-11:15", "name": "Trưa"})
    assert "Đã thêm phiên phát" in c.get(r.location).get_data(as_text=True)
    with panel.session() as s:
        sessions = s.scalars(select(BroadcastSession).where(BroadcastSession.station_id == sid)).all()
        assert len(sessions) == 3 and any(b.name == "Trưa" for b in sessions)
        new = next(b for b in sessions if b.name == "Trưa")
        assert s.scalars(select(RegenRequest).where(RegenRequest.reason == "sessions changed")).all()
    other = station_id(panel, "lien-nghia")
    assert post(c, f"/stations/{other}/sessions/{new.id}/delete").status_code == 404  # not that station's
    r = post(c, f"/stations/{sid}/sessions/{new.id}/delete")
    with panel.session() as s:
        assert s.get(BroadcastSession, new.id) is None
        assert {"session.add", "session.delete"} <= set(s.scalars(select(AuditLog.action)))


def test_agent_token_is_shown_once_and_only_its_hash_is_kept(panel: Panel) -> None:
    sid = station_id(panel, "ta-nang")
    c = panel.client("operator")
    r = post(c, f"/stations/{sid}/token")
    page = r.get_data(as_text=True)
    token = page.split('id="token">')[1].split("<")[0]
    assert len(token) >= 40 and "chỉ hiện một lần" in page
    with panel.session() as s:
        st = s.get(Station, sid)
        assert st is not None and verify_token(token, st.token_hash) and token not in (st.token_hash or "")
    assert token not in c.get(f"/stations/{sid}").get_data(as_text=True)


def test_update_station_deactivates(panel: Panel) -> None:
    sid = station_id(panel, "ta-nang")
    post(panel.client("operator"), f"/stations/{sid}", {"name": "Xã Tà Năng mới", "kind": "xa", "district": "",
                                                       "timezone": "Asia/Ho_Chi_Minh"})
    with panel.session() as s:
        st = s.get(Station, sid)
        assert st is not None and st.name == "Xã Tà Năng mới" and not st.active


def test_csv_import_lists_every_bad_line(panel: Panel) -> None:
    c = panel.client("operator")
    bad = "code,name,kind,sessions\nok-1,Xã Một,xa,Mon 05:00-05:30\nBAD,,xa,Mon 05:00-05:30\nok-2,Xã Hai,huyen,x\n"
    r = post(c, "/stations/import", {"file": (io.BytesIO(bad.encode()), "dai.csv")},
             content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "dòng 3" in page and "dòng 4" in page
    with panel.session() as s:
        assert s.scalar(select(Station).where(Station.code == "ok-1")) is None
    good = "code,name,kind,sessions\nok-1,Xã Một,xa,Mon 05:00-05:30\n"
    r = post(c, "/stations/import", {"file": (io.BytesIO(good.encode("utf-8-sig")), "dai.csv"), "group": "Mới"},
             content_type="multipart/form-data")
    assert r.status_code == 302
    with panel.session() as s:
        st = s.scalar(select(Station).where(Station.code == "ok-1"))
        assert st is not None and [g.name for g in st.groups] == ["Mới"]


def test_groups_and_membership(panel: Panel) -> None:
    c = panel.client("operator")
    assert post(c, "/stations/groups", {"name": "Ven sông"}).status_code == 302
    assert post(c, "/stations/groups", {"name": "Ven sông"}).status_code == 400
    with panel.session() as s:
        gid = s.scalar(select(StationGroup.id).where(StationGroup.name == "Ven sông"))
    post(c, f"/stations/groups/{gid}", {"action": "members", "stations": ["ta-nang"]})
    with panel.session() as s:
        grp = s.get(StationGroup, gid)
        assert grp is not None and [st.code for st in grp.stations] == ["ta-nang"]
    post(c, f"/stations/groups/{gid}", {"action": "delete"})
    with panel.session() as s:
        assert s.get(StationGroup, gid) is None


def test_relays_are_validated(panel: Panel) -> None:
    c = panel.client("operator")
    r = post(c, "/stations/relays", {"name": "VOV1", "stream_url": "javascript:alert(1)", "start_time": "25:00",
                                     "duration_min": "0"})
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    for msg in ("http://", "Giờ bắt đầu không hợp lệ", "từ 1 đến 1440", "ít nhất một ngày"):
        assert msg in page, msg
    r = post(c, "/stations/relays", {"name": "VOV1 thời sự", "stream_url": "https://vov.example/vov1.m3u8",
                                     "start_time": "06:00", "duration_min": "15", "weekdays": ["1", "2", "3"],
                                     "station": "ta-nang"})
    assert r.status_code == 302
    with panel.session() as s:
        relay = s.scalar(select(Relay))
        assert relay is not None and relay.weekdays == "123" and relay.station_id == station_id(panel, "ta-nang")
    assert "VOV1 thời sự" in c.get(f"/stations/{station_id(panel, 'ta-nang')}").get_data(as_text=True)
    post(c, f"/stations/relays/{relay.id}/delete")
    with panel.session() as s:
        assert s.scalar(select(Relay)) is None


def test_never_connected_is_not_lost_and_the_page_counts_who_is_online(panel: Panel) -> None:
    with panel.session() as s:
        st = s.scalar(select(Station).where(Station.code == "ta-nang"))
        assert st is not None
        st.last_heartbeat_at = datetime.now(UTC) - timedelta(seconds=30)
    page = panel.client("operator").get("/stations/").get_data(as_text=True)
    row_lien = page[page.index("Thị trấn Liên Nghĩa"):page.index("Thị trấn Liên Nghĩa") + 900]
    assert "Chưa kết nối" in row_lien and "Mất kết nối" not in row_lien and 'badge never' in row_lien
    assert "1/2 trực tuyến" in page
    assert 'data-label="Kết nối"' in page and "table class=\"stations responsive\"" in page
    sid = station_id(panel, "lien-nghia")
    assert "Chưa kết nối" in panel.client("operator").get(f"/stations/{sid}").get_data(as_text=True)


def test_a_relay_that_does_not_answer_is_saved_with_a_warning_and_a_listen_link(panel: Panel) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    c = panel.client("operator")
    url = f"http://127.0.0.1:{port}/vov1"
    r = post(c, "/stations/relays", {"name": "VOV1", "stream_url": url, "start_time": "06:00",
                                     "duration_min": "15", "weekdays": ["1"]})
    assert r.status_code == 302
    page = c.get(r.location)
    text = page.get_data(as_text=True)
    assert 'class="flash warn"' in text and "Không kết nối được" in text and "Đã lưu" in text
    assert f'<audio controls preload="none" src="{url}"' in text and "Nghe thử" in text
    assert f"media-src 'self' http://127.0.0.1:{port};" in page.headers["Content-Security-Policy"]
    with panel.session() as db:
        assert db.scalar(select(Relay.stream_url)) == url
