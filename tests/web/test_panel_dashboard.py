"""/dashboard, its live fragment and JSON, remote orders from the panel through the heartbeat API,
and /status (issue 12)."""

from __future__ import annotations

import html
from datetime import timedelta

from panel_support import Panel, post
from sqlalchemy import func, select

from broadcast import stations
from broadcast.models import AuditLog, MediaFile, RemoteCommand, Station, utcnow


def _tokens(panel: Panel) -> dict[str, str]:
    with panel.session() as s:
        return {st.code: stations.issue_agent_token(s, st, "admin") for st in s.scalars(select(Station))}


def _beat(panel: Panel, token: str, **body: object) -> dict:
    r = panel.anonymous().post("/api/v1/heartbeat", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def test_dashboard_shows_states_counts_and_what_is_on_air(panel: Panel) -> None:
    tokens = _tokens(panel)
    page = panel.client("operator").get("/dashboard").get_data(as_text=True)
    assert "0/2 trực tuyến" in page and "0 phiên bị lỡ hôm nay" in page and "Chưa kết nối" in page
    assert "Giọng đọc:" in page and "espeak" in page  # the deployment's voice (engine_order = espeak)
    _beat(panel, tokens["ta-nang"], playing="Thông báo lịch tiêm chủng")
    with panel.session() as s:
        ln = s.scalar(select(Station).where(Station.code == "lien-nghia"))
        assert ln is not None
        stations.record_heartbeat(s, ln, {}, now=utcnow() - timedelta(hours=2))
    live = panel.client("operator").get("/dashboard/live").get_data(as_text=True)
    assert "1/2 trực tuyến" in live and "Thông báo lịch tiêm chủng" in live
    assert "ngoại tuyến từ" in live and "<html" not in live  # the fragment alone
    data = panel.client("operator").get("/dashboard.json").get_json()
    assert data["online"] == 1 and data["total"] == 2
    by_code = {s["code"]: s for s in data["stations"]}
    assert by_code["ta-nang"]["playing"] == "Thông báo lịch tiêm chủng" and by_code["lien-nghia"]["state"] == "lost"
    assert len(by_code["ta-nang"]["sessions"]) == 2


def test_map_is_drawn_only_for_stations_with_coordinates(panel: Panel) -> None:
    page = panel.client("admin").get("/dashboard").get_data(as_text=True)
    assert "station-map" not in page
    csv = ("code,name,kind,sessions,lat,lon\n"
           'ta-nang,Xã Tà Năng,xa,"Mon-Sun 05:30-06:00; Mon-Sun 17:00-17:45",11.7351,108.3590\n'
           'lien-nghia,Thị trấn Liên Nghĩa,thi_tran,"Mon-Sun 06:00-06:30; Mon-Sun 18:00-18:30",11.7421,108.3880\n')
    with panel.session() as s:
        stations.import_stations(s, stations.parse_stations_csv(csv))
    page = panel.client("admin").get("/dashboard").get_data(as_text=True)
    assert page.count('<g class="pin') == 2 and "<svg" in page and "http" not in page.split("station-map")[1].split("</figure>")[0]


def test_who_sees_the_dashboard_and_who_may_send_orders(panel: Panel) -> None:
    _tokens(panel)
    assert panel.client("editor").get("/dashboard").status_code == 403
    reviewer = panel.client("reviewer").get("/dashboard").get_data(as_text=True)
    assert "Tổng quan các đài" in reviewer and 'id="remote-form"' not in reviewer
    r = post(panel.client("reviewer"), "/dashboard/commands", {"station": "ta-nang", "kind": "tone"})
    assert r.status_code == 403
    assert panel.client("reviewer").get("/status").status_code == 403
    assert 'id="remote-form"' in panel.client("operator").get("/dashboard").get_data(as_text=True)
    with panel.session() as s:
        assert s.scalar(select(func.count()).select_from(RemoteCommand)) == 0


def test_an_order_goes_out_in_a_heartbeat_reply_and_its_ack_shows_done(panel: Panel) -> None:
    tokens = _tokens(panel)
    op = panel.client("operator")
    r = post(op, "/dashboard/commands", {"station": "ta-nang", "kind": "volume", "level": "60"}, follow_redirects=True)
    assert "Đã gửi lệnh “Âm lượng” tới đài ta-nang" in r.get_data(as_text=True)
    assert '<option value="ta-nang" selected>' in r.get_data(as_text=True)  # the same station stays chosen
    assert "chờ máy phát nhận" in op.get("/dashboard/live").get_data(as_text=True)
    reply = _beat(panel, tokens["ta-nang"])
    [cmd] = reply["commands"]
    assert cmd["kind"] == "volume" and cmd["params"] == {"level": 60}
    assert _beat(panel, tokens["lien-nghia"])["commands"] == []  # another station's order is not its own
    assert "đã gửi, chờ xác nhận" in op.get("/dashboard/live").get_data(as_text=True)
    again = _beat(panel, tokens["ta-nang"], acks=[{"id": cmd["id"], "ok": True, "result": "âm lượng 60%"}])
    assert again["commands"] == []
    live = op.get("/dashboard/live").get_data(as_text=True)
    assert "đã xong" in live and "âm lượng 60%" in live
    with panel.session() as s:
        actions = list(s.scalars(select(AuditLog.action).where(AuditLog.action.like("remote.%")).order_by(AuditLog.id)))
    assert actions == ["remote.volume", "remote.ack"]
    bad = panel.anonymous().post("/api/v1/heartbeat", json={"acks": [{"id": "x"}]},
                                 headers={"Authorization": f"Bearer {tokens['ta-nang']}"})
    assert bad.status_code == 400 and "acks" in bad.get_json()["error"]


def test_bad_orders_are_refused_in_vietnamese_and_store_nothing(panel: Panel) -> None:
    op = panel.client("operator")
    r = post(op, "/dashboard/commands", {"station": "ta-nang", "kind": "tone"}, follow_redirects=True)
    assert "chưa cài máy phát" in r.get_data(as_text=True)  # no agent token yet
    _tokens(panel)
    cases = [({"kind": "volume", "level": "150"}, "'level' phải là số nguyên từ 0 đến 100."),
             ({"kind": "play_now"}, "'bulletin_id' phải là số nguyên"),
             ({"kind": "play_now", "bulletin_id": str(panel.bulletin("submitted"))}, "Chỉ phát ngay được bản tin đã duyệt."),
             ({"kind": "reboot"}, "Lệnh 'reboot' không có")]
    for form, message in cases:
        page = post(op, "/dashboard/commands", {"station": "ta-nang", **form}, follow_redirects=True).get_data(as_text=True)
        assert message in html.unescape(page), form
    page = post(op, "/dashboard/commands", {"station": "khong-co", "kind": "tone"}, follow_redirects=True)
    assert "Không có đài mã 'khong-co'." in html.unescape(page.get_data(as_text=True))
    with panel.session() as s:
        assert s.scalar(select(func.count()).select_from(RemoteCommand)) == 0


def test_play_now_names_the_approved_bulletin_file(panel: Panel) -> None:
    tokens = _tokens(panel)
    bid = panel.bulletin("approved")
    with panel.session() as s:
        s.add(MediaFile(sha256="cd" * 32, path="x.mp3", size=10))
        s.flush()
        from broadcast.models import Bulletin

        b = s.get(Bulletin, bid)
        assert b is not None
        b.media_sha256 = "cd" * 32
    page = panel.client("operator").get("/dashboard").get_data(as_text=True)
    assert f'<option value="{bid}">' in page
    post(panel.client("operator"), "/dashboard/commands", {"station": "ta-nang", "kind": "play_now", "bulletin_id": str(bid)})
    [cmd] = _beat(panel, tokens["ta-nang"])["commands"]
    assert cmd["params"]["sha256"] == "cd" * 32 and cmd["params"]["url"] == f"/api/v1/media/{'cd' * 32}"


def test_status_page_shows_every_part(panel: Panel) -> None:
    page = panel.client("admin").get("/status").get_data(as_text=True)
    for part in ('id="voices"', "espeak", 'id="queue"', 'id="disk"', "Còn trống", 'id="runs"', 'id="claims"',
                 'id="versions"', "SQLAlchemy", "Lược đồ / schema", "Lỗi gần nhất của từng phần"):
        assert part in page, part
    assert panel.client("operator").get("/status").status_code == 200
    en = panel.client("admin")
    post(en, "/lang", {"lang": "en", "next": "/status"})
    assert "System status" in en.get("/status").get_data(as_text=True)


def test_a_province_of_stations_is_filtered_and_paged(panel: Panel) -> None:
    """Hundreds of clusters: the table shows a page at a time (the counts stay whole), found by
    name or code, or by state; the live fragment keeps the filters and links to the full page."""
    csv = "code,name,kind,sessions\n" + "".join(
        f'cum-{i:02d},Cụm loa {i:02d},xa,"Mon-Sun 05:30-06:00"\n' for i in range(25))
    tokens = _tokens(panel)
    with panel.session() as s:
        stations.import_stations(s, stations.parse_stations_csv(csv))
    _beat(panel, tokens["ta-nang"])
    op = panel.client("operator")
    page = op.get("/dashboard?per=10").get_data(as_text=True)
    assert "1/27 trực tuyến" in page and page.count('<tr id="st-') == 10 and "Trang 1/3" in page
    assert 'data-url="/dashboard/live?per=10"' in page
    live = op.get("/dashboard/live?per=10&page=3").get_data(as_text=True)
    assert live.count('<tr id="st-') == 7 and 'href="/dashboard?per=10&amp;page=2"' in live
    found = op.get("/dashboard?q=LOA+07").get_data(as_text=True)
    assert 'id="st-cum-07"' in found and found.count('<tr id="st-') == 1 and "1 đài khớp bộ lọc" in found
    online = op.get("/dashboard?state=online").get_data(as_text=True)
    assert 'id="st-ta-nang"' in online and online.count('<tr id="st-') == 1
    assert op.get("/dashboard?state=nonsense&unit=abc&page=x").status_code == 200  # ignored, not a 500
