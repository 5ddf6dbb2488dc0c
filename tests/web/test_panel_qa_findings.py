"""Defects found by walking through the panel as its users: each test fails on the old behaviour."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

from panel_support import Panel, make_panel, post
from sqlalchemy import select

from broadcast import clock, stations
from broadcast.models import Bulletin, Station
from web.i18n import today as local_today

TODAY = clock.today("Asia/Ho_Chi_Minh")  # the stations' day, as the panel sees it


def form(**over: object) -> dict[str, object]:
    return {
        "title": "Thông báo", "body": "Xin chào bà con.", "priority": "normal",
        "valid_from": TODAY.isoformat(), "valid_to": (TODAY + timedelta(days=2)).isoformat(),
        "plays_per_day": "1", "voice": "", "speech_rate": "1.0", "target_kind": "all", "action": "save",
        **over,
    }


def bulletin_count(panel: Panel) -> int:
    with panel.session() as s:
        return len(s.scalars(select(Bulletin)).all())


def test_a_script_over_the_length_limit_is_refused_when_saved(tmp_path: Path) -> None:
    panel = make_panel(tmp_path / "loa-data", max_text_chars=1000)
    r = post(panel.client("editor"), "/bulletins/new", form(body="Xin chào bà con. " * 100))
    assert r.status_code == 400
    assert "Văn bản quá dài: 1.700 ký tự, tối đa 1.000 ký tự." in r.get_data(as_text=True)
    assert bulletin_count(panel) == 0
    # the same limit for a script read from a file
    upload = (io.BytesIO(("Xin chào. " * 200).encode()), "dai.txt")
    r = post(panel.client("editor"), "/bulletins/new", form(action="load", script_file=upload),
             content_type="multipart/form-data")
    assert r.status_code == 400 and "Văn bản quá dài: 2.000 ký tự" in r.get_data(as_text=True)


def test_reading_a_file_without_choosing_one_says_so(panel: Panel) -> None:
    r = post(panel.client("editor"), "/bulletins/new", form(action="load"))
    assert r.status_code == 400
    assert "Hãy chọn tệp .txt hoặc .docx để đọc vào ô nội dung." in r.get_data(as_text=True)


def test_csv_report_has_one_charset(panel: Panel) -> None:
    r = panel.client("operator").get("/reports/asrun.csv")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_station_page_shows_the_agents_cache_date_as_dd_mm_yyyy(panel: Panel) -> None:
    with panel.session() as s:
        st = s.scalar(select(Station).where(Station.code == "ta-nang"))
        assert st is not None
        stations.record_heartbeat(s, st, {"agent_version": "0.1.0", "cached_until": "2026-11-27"})
        station_id = st.id
    body = panel.client("operator").get(f"/stations/{station_id}").get_data(as_text=True)
    assert "có sẵn lịch đến 27/11/2026" in body and "2026-11-27" not in body


def test_audit_log_reads_in_vietnamese(panel: Panel) -> None:
    panel.bulletin("approved", priority="priority")
    body = panel.client("operator").get("/reports/audit").get_data(as_text=True)
    cells = re.sub(r"<[^>]+>", " ", body.split("<tbody>")[1])
    assert "Duyệt bản tin" in cells and "Gửi duyệt" in cells and "Tạo bản tin" in cells
    assert "từ: Chờ duyệt; sang: Đã duyệt; mức: Ưu tiên" in cells
    assert "Bản tin #1" in cells
    for raw in ("bulletin.approve", "submitted", "approved", "priority:", "bulletin:1"):
        assert raw not in cells, raw


def test_an_emergency_that_leaves_today_out_is_refused_not_reported_sent(panel: Panel) -> None:
    TODAY = local_today(panel.settings.timezone)  # noqa: N806  (the stations' today, not the server's)
    c = panel.client("reviewer")
    past = (TODAY - timedelta(days=30)).isoformat()
    r = post(c, "/review/emergency", form(title="Cảnh báo lũ", priority="emergency", valid_from=past, valid_to=past))
    assert r.status_code == 400
    assert f"thời gian hiệu lực phải gồm hôm nay ({TODAY:%d/%m/%Y})" in r.get_data(as_text=True)
    assert bulletin_count(panel) == 0
    # one already waiting for review (e.g. added through the API) cannot be confirmed either
    tomorrow = TODAY + timedelta(days=1)
    bid = panel.bulletin("submitted", priority="emergency", valid_from=tomorrow, valid_to=tomorrow)
    r = post(c, f"/review/{bid}/approve", {"confirm": "yes"}, follow_redirects=True)
    assert "thời gian hiệu lực phải gồm hôm nay" in r.get_data(as_text=True)
    assert panel.get_bulletin(bid).status.value == "submitted"


def test_station_page_names_what_last_sync_at_records(panel: Panel) -> None:
    """last_sync_at moves only when the agent uploads its as-run log; a manifest download leaves it."""
    with panel.session() as s:
        station_id = s.scalar(select(Station.id).where(Station.code == "ta-nang"))
    body = panel.client("operator").get(f"/stations/{station_id}").get_data(as_text=True)
    assert "Nhật ký phát gửi lần cuối" in body and "Đồng bộ gần nhất" not in body


def test_a_schedule_items_kind_is_singular_in_english(panel: Panel) -> None:
    from test_panel_schedule_reports import DAY, approved_with_audio, generate

    approved_with_audio(panel, "Tin ngắn", 120)
    generate(panel)
    c = panel.client("operator")
    post(c, "/lang", {"lang": "en"})
    body = c.get(f"/schedule/?station=ta-nang&date={DAY.isoformat()}").get_data(as_text=True)
    assert "<td>Bulletin</td>" in body and "<td>Bulletins</td>" not in body
