"""The schedule timeline with pins and drops, and the as-run report with its CSV and chart."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree

from panel_support import Panel, post
from sqlalchemy import select

from broadcast import clock
from broadcast.asrun import record_asrun
from broadcast.generate import generate_playlists, latest_playlist
from broadcast.models import AuditLog, Bulletin, MediaFile, PlaylistOverride, Station

DAY = clock.today("Asia/Ho_Chi_Minh") + timedelta(days=1)  # the stations' tomorrow


def approved_with_audio(panel: Panel, title: str, seconds: float, plays: int = 1, **fields: object) -> int:
    """An approved bulletin with a (fake, but recorded) rendered file of the given length."""
    bid = panel.bulletin("approved", title=title, plays_per_day=plays, valid_to=DAY + timedelta(days=2), **fields)
    sha = f"{bid:064x}"
    with panel.session() as s:
        s.add(MediaFile(sha256=sha, path=f"{sha[:2]}/{sha}.mp3", size=1000, duration_s=seconds))
        b = s.get(Bulletin, bid)
        assert b is not None
        b.media_sha256, b.render_status = sha, "done"
    return bid


def generate(panel: Panel, day: date = DAY) -> None:
    with panel.session() as s:
        generate_playlists(s, panel.settings, [day])


def test_timeline_shows_items_free_time_and_what_did_not_fit(panel: Panel) -> None:
    approved_with_audio(panel, "Tin ngắn", 120)
    approved_with_audio(panel, "Tin rất dài", 3 * 3600)  # fits no 30- or 45-minute session
    generate(panel)
    page = panel.client("operator").get(f"/schedule/?station=ta-nang&date={DAY.isoformat()}").get_data(as_text=True)
    assert "Phiên 05:30–06:00" in page and "Phiên 17:00–17:45" in page
    assert "Tin ngắn" in page and "2:00" in page
    assert "còn trống" in page and "28:00" in page  # 30-minute session minus the 2-minute bulletin
    unplaced = page[page.index("Không xếp được"):]
    assert "Tin rất dài" in unplaced.split("Bản tin của ngày này")[0]
    assert page.count("<svg") >= 2 and 'class="item bulletin' in page
    assert f"{DAY:%d/%m/%Y}" in page


def test_pin_and_drop_regenerate_and_are_audited(panel: Panel) -> None:
    bid = approved_with_audio(panel, "Tin được bỏ", 60)
    generate(panel)
    c = panel.client("operator")
    r = post(c, f"/schedule/ta-nang/{DAY.isoformat()}/override", {"bulletin_id": str(bid), "action": "drop"})
    assert r.status_code == 302
    assert "Đã bỏ" in c.get(r.location).get_data(as_text=True)
    with panel.session() as s:
        pl = latest_playlist(s, "ta-nang", DAY)
        assert pl is not None and pl.version == 2
        assert not any(i.get("bulletin_id") == bid for i in pl.manifest["items"])
        ov = s.scalar(select(PlaylistOverride))
        assert ov is not None and ov.action == "drop" and ov.actor == "operator"
        other = latest_playlist(s, "ta-nang", DAY + timedelta(days=1))
        assert other is None or any(i.get("bulletin_id") == bid for i in other.manifest["items"])
    r = post(c, f"/schedule/ta-nang/{DAY.isoformat()}/override", {"bulletin_id": str(bid), "action": "clear"})
    with panel.session() as s:
        pl = latest_playlist(s, "ta-nang", DAY)
        assert pl is not None and pl.version == 3 and any(i.get("bulletin_id") == bid for i in pl.manifest["items"])
        assert s.scalar(select(PlaylistOverride)) is None
        actions = list(s.scalars(select(AuditLog.action).where(AuditLog.target == f"ta-nang/{DAY.isoformat()}")))
        assert actions == ["schedule.drop", "schedule.clear"]


def test_pin_puts_a_bulletin_first(panel: Panel) -> None:
    first = approved_with_audio(panel, "Tin A", 60, plays=1)
    pinned = approved_with_audio(panel, "Tin ghim", 60, plays=1)
    generate(panel)
    post(panel.client("operator"), f"/schedule/ta-nang/{DAY.isoformat()}/override",
         {"bulletin_id": str(pinned), "action": "pin"})
    with panel.session() as s:
        pl = latest_playlist(s, "ta-nang", DAY)
        assert pl is not None
        ids = [i.get("bulletin_id") for i in pl.manifest["items"] if i["kind"] == "bulletin"]
        assert pinned in ids and first in ids


def test_schedule_bad_input(panel: Panel) -> None:
    c = panel.client("operator")
    assert c.get("/schedule/?station=khong-co").status_code == 404
    r = c.get("/schedule/?station=ta-nang&date=2026-13-45")  # a clear error, today's plan below it
    assert r.status_code == 400 and "Ngày không hợp lệ: hãy viết ngày/tháng/năm" in r.get_data(as_text=True)
    r = post(c, f"/schedule/ta-nang/{DAY.isoformat()}/override", {"bulletin_id": "abc", "action": "pin"})
    assert r.status_code == 400 and "Yêu cầu không hợp lệ" in r.get_data(as_text=True)
    r = post(c, f"/schedule/ta-nang/{DAY.isoformat()}/override", {"bulletin_id": "999", "action": "pin"})
    assert r.status_code == 404
    page = c.get(f"/schedule/?station=ta-nang&date={DAY.isoformat()}").get_data(as_text=True)
    assert "Chưa có lịch phát cho ngày này" in page
    r = post(c, f"/schedule/ta-nang/{DAY.isoformat()}/generate")
    with panel.session() as s:
        assert latest_playlist(s, "ta-nang", DAY) is not None


def asrun_rows(panel: Panel, bid: int) -> None:
    start = datetime(2026, 11, 20, 22, 30, tzinfo=UTC)  # 05:30 on the 21st, Vietnam time
    with panel.session() as s:
        for code, minutes in (("ta-nang", 12), ("lien-nghia", 3)):
            st = s.scalar(select(Station).where(Station.code == code))
            assert st is not None
            record_asrun(s, st, [{
                "uid": f"{code}-1", "date": "2026-11-21", "version": 1, "kind": "bulletin",
                "title": "Thông báo <b>họp</b>", "sha256": None, "bulletin_id": bid,
                "planned_start": start.isoformat(), "planned_end": (start + timedelta(minutes=minutes)).isoformat(),
                "actual_start": start.isoformat(), "actual_end": (start + timedelta(minutes=minutes)).isoformat(),
                "status": "played", "detail": "",
            }])


def test_report_page_has_a_chart_of_minutes_per_commune(panel: Panel) -> None:
    bid = panel.bulletin("approved", title="Thông báo <b>họp</b>")
    asrun_rows(panel, bid)
    page = panel.client("operator").get("/reports/?from=2026-11-15&to=2026-11-25").get_data(as_text=True)
    chart = page[page.index('<svg xmlns="http://www.w3.org/2000/svg" class="chart"'):]
    chart = chart[:chart.index("</svg>")]
    assert "Xã Tà Năng" in chart and "Thị trấn Liên Nghĩa" in chart
    widths = [float(w) for w in re.findall(r'<rect x="220" y="2" width="([\d.]+)"', chart)]
    assert widths == [460.0, 115.0]  # 12 minutes is the longest bar; 3 minutes is a quarter of it
    assert "12,0 phút" in chart
    assert "Thông báo &lt;b&gt;họp&lt;/b&gt;" in page and "<b>họp</b>" not in page
    svg = panel.client("operator").get("/reports/chart.svg?from=2026-11-15&to=2026-11-25")
    assert svg.mimetype == "image/svg+xml" and "Xã Tà Năng" in svg.get_data(as_text=True)
    root = ElementTree.fromstring(svg.data)  # a well-formed SVG document on its own
    assert root.tag == "{http://www.w3.org/2000/svg}svg"


def test_report_filters_and_csv_export(panel: Panel) -> None:
    bid = panel.bulletin("approved", title="Thông báo họp")
    asrun_rows(panel, bid)
    c = panel.client("reviewer")
    r = c.get("/reports/asrun.csv?from=2026-11-15&to=2026-11-25&station=ta-nang")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"] and "ta-nang" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0][0] == "Mã đài" and len(rows) == 2 and rows[1][0] == "ta-nang" and rows[1][10] == "12,0"  # decimal comma (issue 7, 29)
    page = c.get(f"/reports/?from=2026-11-15&to=2026-11-25&bulletin={bid + 1}").get_data(as_text=True)
    assert "Chưa có dữ liệu phát" in page


def test_report_bad_input_is_explained(panel: Panel) -> None:
    c = panel.client("operator")
    r = c.get("/reports/?from=2026-11-30&to=2026-11-01")
    assert r.status_code == 400 and "trước ngày đầu" in r.get_data(as_text=True)
    r = c.get("/reports/?from=2020-01-01&to=2026-11-01")
    assert r.status_code == 400 and "tối đa 366 ngày" in r.get_data(as_text=True)
    assert c.get("/reports/?from=hôm-qua").status_code == 400
    assert c.get("/reports/?station=khong-co").status_code == 404
    assert c.get("/reports/asrun.csv?from=x").status_code == 400


def test_audit_page_lists_actions(panel: Panel) -> None:
    bid = panel.bulletin("approved")
    page = panel.client("admin").get("/reports/audit").get_data(as_text=True)
    assert "Duyệt bản tin" in page and f"Bản tin #{bid}" in page  # labels; the code stays in a tooltip
