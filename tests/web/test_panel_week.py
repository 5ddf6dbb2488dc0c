"""/schedule/week: the grid of sessions, editing them, and a session's order saved as the day's override."""

from __future__ import annotations

from datetime import timedelta

from panel_support import Panel, post
from sqlalchemy import select

from broadcast import clock
from broadcast.generate import generate_playlists, latest_playlist
from broadcast.models import AuditLog, BroadcastSession, DayOrder, MediaFile, Station

TODAY = clock.today("Asia/Ho_Chi_Minh")
DAY = TODAY + timedelta(days=1)


def _sessions(panel: Panel, code: str) -> list[tuple[str, str, int, object]]:
    with panel.session() as s:
        st = s.scalar(select(Station).where(Station.code == code))
        assert st is not None
        return [(b.weekdays, b.start_time.strftime("%H:%M"), b.max_minutes, b.on_date)
                for b in sorted(st.sessions, key=lambda b: b.start_time)]


def test_week_of_one_station_and_day_of_many(panel: Panel) -> None:
    c = panel.client("operator")
    page = c.get(f"/schedule/week/?station=ta-nang&date={DAY:%d/%m/%Y}").get_data(as_text=True)
    monday = DAY - timedelta(days=DAY.isoweekday() - 1)
    assert page.count('class="week-col') == 7 and f'data-day="{monday.isoformat()}"' in page
    assert page.count('class="session-block') == 14  # two sessions every day
    assert 'data-start="05:30"' in page and 'data-end="06:00"' in page
    many = c.get(f"/schedule/week/?view=day&date={DAY.isoformat()}").get_data(as_text=True)
    assert many.count('class="week-col') == 2 and "Xã Tà Năng" in many and "Thị trấn Liên Nghĩa" in many
    assert c.get("/schedule/week/?station=khong-co").status_code == 404
    bad = c.get("/schedule/week/?date=31/02/2026")
    assert bad.status_code == 400 and "Ngày không hợp lệ" in bad.get_data(as_text=True)
    assert panel.client("editor").get("/schedule/week").status_code == 200  # the route; editors may look


def test_sessions_are_added_moved_and_deleted_on_the_grid(panel: Panel) -> None:
    c = panel.client("operator")
    r = post(c, "/schedule/week/ta-nang/sessions", {"start": "11:00", "end": "11:20", "weekday": ["1", "3", "5"],
                                                    "name": "Trưa"}, follow_redirects=True)
    assert "Đã thêm phiên phát 11:00–11:20" in r.get_data(as_text=True)
    assert ("135", "11:00", 20, None) in _sessions(panel, "ta-nang")
    post(c, "/schedule/week/ta-nang/sessions", {"start": "19:00", "end": "19:30", "weekday": ["2"],
                                                "only_date": f"{DAY:%d/%m/%Y}"})
    assert (str(DAY.isoweekday()), "19:00", 30, DAY) in _sessions(panel, "ta-nang")
    r = post(c, "/schedule/week/ta-nang/sessions", {"start": "05:45", "end": "06:15", "weekday": ["1"]},
             follow_redirects=True)
    assert "trùng giờ" in r.get_data(as_text=True)
    r = post(c, "/schedule/week/ta-nang/sessions", {"start": "07:00", "end": "06:00", "weekday": ["1"]},
             follow_redirects=True)
    assert "Giờ kết thúc phải sau giờ bắt đầu" in r.get_data(as_text=True)
    r = post(c, "/schedule/week/ta-nang/sessions", {"start": "07:00", "end": "07:30"}, follow_redirects=True)
    assert "Hãy chọn ít nhất một ngày" in r.get_data(as_text=True)
    with panel.session() as s:
        sid = s.scalar(select(BroadcastSession.id).where(BroadcastSession.name == "Trưa"))
    r = post(c, f"/schedule/week/ta-nang/sessions/{sid}", {"start": "11:30", "end": "12:00", "weekday": ["1", "2"]},
             follow_redirects=True)
    assert "Đã lưu phiên phát." in r.get_data(as_text=True)
    assert ("12", "11:30", 30, None) in _sessions(panel, "ta-nang")
    post(c, f"/schedule/week/ta-nang/sessions/{sid}", {"action": "delete"})
    assert all(t != "11:30" for _d, t, _m, _o in _sessions(panel, "ta-nang"))
    with panel.session() as s:
        actions = list(s.scalars(select(AuditLog.action).where(AuditLog.target == "ta-nang")))
    assert {"session.add", "session.update", "session.delete"} <= set(actions)
    assert post(panel.client("editor"), "/schedule/week/ta-nang/sessions",
                {"start": "11:00", "end": "11:20", "weekday": ["1"]}).status_code == 403


def _rendered(panel: Panel, title: str) -> int:
    bid = panel.bulletin("approved", title=title, valid_from=DAY, valid_to=DAY)
    with panel.session() as s:
        sha = (title.encode().hex() * 64)[:64]
        s.add(MediaFile(sha256=sha, path=f"{sha[:2]}/{sha}.mp3", size=100, duration_s=40.0, mime="audio/mpeg"))
        from broadcast.models import Bulletin
        b = s.get(Bulletin, bid)
        assert b is not None
        b.media_sha256, b.render_status = sha, "done"
    return bid


def test_reordering_a_session_saves_the_days_order(panel: Panel) -> None:
    a, b = _rendered(panel, "Tin một"), _rendered(panel, "Tin hai")
    with panel.session() as s:
        generate_playlists(s, panel.settings, [DAY], ["ta-nang"])
    c = panel.client("operator")
    page = c.get(f"/schedule/week/?station=ta-nang&date={DAY.isoformat()}").get_data(as_text=True)
    assert f'data-bulletin-id="{a}"' in page and f'data-bulletin-id="{b}"' in page

    def order() -> list[int]:
        with panel.session() as s:
            pl = latest_playlist(s, "ta-nang", DAY)
            assert pl is not None
            first = pl.manifest["items"][0]["start"][:16]
            return [i["bulletin_id"] for i in pl.manifest["items"] if i["kind"] == "bulletin" and i["start"][:16] >= first
                    and i["start"][11:13] == "05"]

    before = order()
    assert sorted(before) == sorted([a, b])
    wanted = list(reversed(before))
    r = post(c, f"/schedule/week/ta-nang/order/{DAY.isoformat()}", {"bulletin_id": [str(x) for x in wanted]},
             follow_redirects=True)
    assert f"Đã lưu thứ tự phát ngày {DAY:%d/%m/%Y}" in r.get_data(as_text=True)
    assert order() == wanted
    with panel.session() as s:
        row = s.scalar(select(DayOrder))
        assert row is not None and row.bulletin_ids == wanted and row.actor == "operator"
    assert post(c, f"/schedule/week/ta-nang/order/{DAY.isoformat()}", {"bulletin_id": "x"}).status_code == 400
    assert post(panel.client("editor"), f"/schedule/week/ta-nang/order/{DAY.isoformat()}",
                {"bulletin_id": [str(a)]}).status_code == 403
