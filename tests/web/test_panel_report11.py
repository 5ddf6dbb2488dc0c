"""Issue 11.3–11.4 in the panel: the playback history, the timeline's marks, the periodic report
and its downloads."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from docx import Document
from openpyxl import load_workbook
from panel_support import Panel
from sqlalchemy import select

from broadcast import clock
from broadcast.asrun import record_asrun
from broadcast.generate import generate_playlists, latest_playlist
from broadcast.models import Station
from tests.web.test_panel_schedule_reports import approved_with_audio

TODAY = clock.today("Asia/Ho_Chi_Minh")
DAY = TODAY - timedelta(days=1)  # yesterday: its sessions are over


def _day_with_asrun(panel: Panel) -> tuple[int, int]:
    """Yesterday at Tà Năng: the first bulletin aired, the second was cut by an emergency."""
    first = approved_with_audio(panel, "Tin đã phát", 60, valid_from=DAY)
    second = approved_with_audio(panel, "Tin bị cắt", 60, valid_from=DAY)
    approved_with_audio(panel, "Tin không phát", 60, valid_from=DAY)  # no as-run row comes back
    with panel.session() as s:
        generate_playlists(s, panel.settings, [DAY], ["ta-nang"], now=clock.now() - timedelta(days=2))
    with panel.session() as s:
        pl = latest_playlist(s, "ta-nang", DAY)
        assert pl is not None
        items = {i.get("bulletin_id"): i for i in pl.manifest["items"]}
        rows = []
        for n, (bid, status, cause) in enumerate(((first, "played", ""), (second, "cut", "emergency"))):
            it = items[bid]
            rows.append({"uid": f"u{n}", "date": DAY.isoformat(), "version": pl.version, "kind": "bulletin",
                         "title": it["title"], "sha256": it["sha256"], "bulletin_id": bid,
                         "planned_start": it["start"], "actual_start": it["start"], "actual_end": it["start"],
                         "status": status, "cause": cause, "detail": ""})  # fmt: skip
        station = s.scalar(select(Station).where(Station.code == "ta-nang"))
        assert station is not None
        record_asrun(s, station, rows)
        at = items[second]["start"][11:16]
    return first, int(at.replace(":", ""))


def test_history_page_answers_what_aired_at_a_minute(panel: Panel) -> None:
    _, hhmm = _day_with_asrun(panel)
    at = f"{hhmm // 100:02d}:{hhmm % 100:02d}"
    c = panel.client("operator")
    page = c.get(f"/reports/history?station=ta-nang&day={DAY.isoformat()}").get_data(as_text=True)
    assert "Lịch sử phát" in page and "Tin đã phát" in page and "Tin bị cắt" in page
    assert "tin khẩn cấp chen vào" in page
    r = c.get(f"/reports/history?station=ta-nang&day={DAY.isoformat()}&at={at}")
    assert r.status_code == 200 and "Theo kế hoạch:" in r.get_data(as_text=True)
    assert c.get("/reports/history?station=ta-nang&at=4h").status_code == 400
    assert c.get("/reports/history?station=khong-co").status_code == 404


def test_timeline_marks_aired_cut_and_missed(panel: Panel) -> None:
    _day_with_asrun(panel)
    page = panel.client("operator").get(f"/schedule/?station=ta-nang&date={DAY.isoformat()}").get_data(as_text=True)
    assert 'data-mark="aired"' in page and 'data-mark="cut"' in page
    assert "mark-cut" in page and "tin khẩn cấp chen vào" in page
    missed = page[page.index("Tin không phát"):]
    assert 'data-mark="missed"' in missed[:2000] and "không có nhật ký phát" in missed[:2000]


def test_period_report_page_and_downloads(panel: Panel) -> None:
    _day_with_asrun(panel)
    c = panel.client("operator")
    q = f"from={DAY.isoformat()}&to={DAY.isoformat()}"
    page = c.get(f"/reports/period?{q}").get_data(as_text=True)
    assert "Báo cáo định kỳ" in page and "Tin đã phát" in page and "Xã Tà Năng" in page
    r = c.get(f"/reports/period/download?{q}&format=docx")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    texts = [p.text for t in Document(io.BytesIO(r.data)).tables for row in t.rows for cell in row.cells
             for p in cell.paragraphs]  # fmt: skip
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts and "Độc lập - Tự do - Hạnh phúc" in texts
    x = c.get(f"/reports/period/download?{q}&format=xlsx")
    assert load_workbook(io.BytesIO(x.data)).sheetnames == ["Tổng hợp", "Theo xã", "Ngôn ngữ"]
    assert c.get(f"/reports/period/download?{q}&format=csv").data.startswith(b"\xef\xbb\xbf")
    assert c.get(f"/reports/period/download?{q}&format=pdf").status_code == 400
    bad = c.get(f"/reports/period?from={TODAY.isoformat()}&to={DAY.isoformat()}")
    assert bad.status_code == 400 and "trước ngày đầu" in bad.get_data(as_text=True)
    assert c.get("/reports/period?unit=khong-co").status_code == 400


def test_station_languages_in_the_panel(panel: Panel) -> None:
    from panel_support import post

    with panel.session() as s:
        sid = s.scalar(select(Station.id).where(Station.code == "ta-nang"))
    c = panel.client("operator")
    r = post(c, f"/stations/{sid}/languages", {"languages": "kpm cje"})
    assert r.status_code == 302
    page = c.get(r.location).get_data(as_text=True)
    assert "Tiếng Việt, Tiếng K&#39;Ho (kpm), Tiếng Chu Ru (cje)" in page and "Đã lưu ngôn ngữ phát" in page
    r = post(c, f"/stations/{sid}/languages", {"languages": "K'Ho"})
    assert "ISO 639-3" in c.get(r.location).get_data(as_text=True)
    with panel.session() as s:
        assert s.scalar(select(Station.languages).where(Station.id == sid)) == "kpm cje"
    assert post(panel.client("editor"), f"/stations/{sid}/languages", {"languages": ""}).status_code == 403


def test_bulletin_versions_in_the_panel(panel: Panel) -> None:
    from panel_support import post

    from tests.conftest import SPEECH

    bid = panel.bulletin("approved", title="Thông báo họp")
    c = panel.client("editor")
    wav = sorted(SPEECH.glob("*.wav"))[0]
    with wav.open("rb") as fh:
        r = post(c, f"/bulletins/{bid}/versions", {"language": "kpm", "recording": (fh, "kho.wav")},
                 content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 302
    page = c.get(r.location).get_data(as_text=True)
    assert "Đã lưu bản Tiếng K&#39;Ho; đang tạo âm thanh." in page and 'data-language="kpm"' in page
    assert "Bản ghi âm" in page and "data-version-job-url" in page  # its render's progress
    r = post(c, f"/bulletins/{bid}/versions", {"language": "cje", "text": "Thông báo."})
    assert "cần giọng đọc nói được tiếng này" in c.get(r.location).get_data(as_text=True)
    r = post(c, f"/bulletins/{bid}/versions/kpm/delete")
    page = c.get(r.location).get_data(as_text=True)
    assert 'data-language="kpm"' not in page and "Bản tin chỉ có bản tiếng Việt." in page
    assert post(panel.client("operator"), f"/bulletins/{bid}/versions", {"language": "kpm"}).status_code == 403


def test_a_version_renders_on_the_job_queue_and_the_request_returns_at_once(
    panel: Panel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The version's render waits here until the test lets it go: the POST has already answered,
    the version has no audio yet (it does not air), and the job's status shows it running; once
    released, the job renders it and the version has its audio."""
    import threading

    from panel_support import post

    from broadcast import versions
    from broadcast.models import BulletinVersion
    from tests.conftest import SPEECH
    from web.jobs import ThreadJobQueue

    jobs = ThreadJobQueue(workers=1)
    jobs.bind(panel.settings, panel.app.extensions["loa_sessions"])
    monkeypatch.setitem(panel.app.extensions, "loa_jobs", jobs)
    go, started = threading.Event(), threading.Event()
    real = versions._render_version

    def held(*args: object, **kw: object):  # type: ignore[no-untyped-def]
        started.set()
        assert go.wait(30)
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(versions, "_render_version", held)
    bid = panel.bulletin("approved", title="Thông báo họp")
    c = panel.client("editor")
    try:
        with sorted(SPEECH.glob("*.wav"))[0].open("rb") as fh:
            r = post(c, f"/bulletins/{bid}/versions", {"language": "kpm", "recording": (fh, "kho.wav")},
                     content_type="multipart/form-data")  # fmt: skip
        assert r.status_code == 302 and "version_job=" in r.location
        job = r.location.split("version_job=")[1]
        assert started.wait(30)
        with panel.session() as s:
            v = s.scalar(select(BulletinVersion).where(BulletinVersion.bulletin_id == bid))
            assert v is not None and v.media_sha256 is None  # saved, not rendered yet
        assert c.get(f"/bulletins/jobs/{job}").get_json()["state"] == "running"
        go.set()
        assert jobs.wait(job, 60).state == "done"
        status = c.get(f"/bulletins/jobs/{job}").get_json()
        with panel.session() as s:
            v = s.scalar(select(BulletinVersion).where(BulletinVersion.bulletin_id == bid))
            assert v is not None and v.media_sha256 and status["sha256"] == v.media_sha256
        assert status["duration_s"] > 0
    finally:
        go.set()
        jobs.shutdown()
