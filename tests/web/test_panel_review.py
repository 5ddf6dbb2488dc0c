"""The review queue: approval renders and regenerates playlists; rejection needs a reason;
emergencies go through their own confirmation page."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from panel_support import Panel, make_panel, post
from sqlalchemy import select

from broadcast.generate import latest_playlist
from broadcast.models import AuditLog, BulletinStatus, RegenRequest
from web.i18n import today


def test_queue_lists_submitted_bulletins_emergencies_first(panel: Panel) -> None:
    panel.bulletin("submitted", title="Tin thường")
    panel.bulletin("draft", title="Bản nháp chưa gửi")
    panel.bulletin("submitted", title="Tin khẩn", priority="emergency")
    page = panel.client("reviewer").get("/review/").get_data(as_text=True)
    assert "Bản nháp chưa gửi" not in page
    assert page.index("Tin khẩn") < page.index("Tin thường")


def test_review_page_shows_text_normalized_text_and_audio_side_by_side(panel: Panel) -> None:
    bid = panel.bulletin("submitted", body="Họp lúc 7h30 tại nhà văn hoá thôn 5.")
    page = panel.client("reviewer").get(f"/review/{bid}").get_data(as_text=True)
    assert "Văn bản gốc" in page and "Họp lúc 7h30" in page
    assert "bảy giờ ba mươi" in page  # the normalized text
    assert 'id="preview"' in page and "Duyệt" in page and "Từ chối" in page


def test_approval_renders_and_puts_the_bulletin_in_the_schedule(panel: Panel) -> None:
    bid = panel.bulletin("submitted", title="Thông báo tiêm chủng", station_codes=["ta-nang"])
    c = panel.client("reviewer")
    r = post(c, f"/review/{bid}/approve", {"comment": "Đồng ý"})
    assert r.status_code == 302 and f"/bulletins/{bid}?job=" in r.location
    b = panel.get_bulletin(bid)
    assert b.status == BulletinStatus.APPROVED and b.render_status == "done" and b.media_sha256
    tomorrow = today("Asia/Ho_Chi_Minh") + timedelta(days=1)
    with panel.session() as s:
        assert s.scalars(select(RegenRequest).where(RegenRequest.done_at.is_(None))).all() == []
        pl = latest_playlist(s, "ta-nang", tomorrow)
        assert pl is not None
        assert [i["title"] for i in pl.manifest["items"] if i["kind"] == "bulletin"] == ["Thông báo tiêm chủng"]
        assert latest_playlist(s, "lien-nghia", tomorrow) is None or not any(
            i.get("bulletin_id") == bid for i in latest_playlist(s, "lien-nghia", tomorrow).manifest["items"]
        )
        assert s.scalar(select(AuditLog).where(AuditLog.action == "bulletin.approve")).actor == "reviewer"
    # the job's progress is visible from the bulletin page, which then shows the player
    page = c.get(r.location).get_data(as_text=True)
    assert "data-job-url" in page and f"/media/{b.media_sha256}" in page
    op = panel.client("operator")
    sched = op.get(f"/schedule/?station=ta-nang&date={tomorrow.isoformat()}").get_data(as_text=True)
    assert "Thông báo tiêm chủng" in sched and "<svg" in sched


def test_failed_render_still_updates_playlists_and_says_why(tmp_path: Path) -> None:
    panel = make_panel(tmp_path / "d", engine_order=("piper",), piper_voice="")  # no voice: cannot speak
    bid = panel.bulletin("submitted", station_codes=["ta-nang"])
    c = panel.client("reviewer")
    r = post(c, f"/review/{bid}/approve", {"comment": ""})
    b = panel.get_bulletin(bid)
    assert b.status == BulletinStatus.APPROVED and b.render_status == "failed"
    with panel.session() as s:
        assert s.scalars(select(RegenRequest).where(RegenRequest.done_at.is_(None))).all() == []
        pl = latest_playlist(s, "ta-nang", today("Asia/Ho_Chi_Minh") + timedelta(days=1))
        assert pl is not None and [u["title"] for u in pl.manifest["unplaced"]] == [b.title]
    page = c.get(r.location).get_data(as_text=True)
    assert "Không tạo được âm thanh" in page


def test_reject_needs_a_reason(panel: Panel) -> None:
    bid = panel.bulletin("submitted")
    c = panel.client("reviewer")
    r = post(c, f"/review/{bid}/reject", {"comment": " "})
    assert r.status_code == 302 and r.location.endswith(f"/review/{bid}")
    assert "cần ghi lý do" in c.get(r.location).get_data(as_text=True)
    assert panel.get_bulletin(bid).status == BulletinStatus.SUBMITTED
    r = post(c, f"/review/{bid}/reject", {"comment": "Sai số liệu"})
    assert r.status_code == 302
    assert panel.get_bulletin(bid).status == BulletinStatus.REJECTED
    # the editor sees why and can fix it
    page = panel.client("editor").get(f"/bulletins/{bid}/edit").get_data(as_text=True)
    assert "Sai số liệu" in page


def test_approving_twice_is_a_clear_message_not_an_error(panel: Panel) -> None:
    bid = panel.bulletin("approved")
    c = panel.client("reviewer")
    r = post(c, f"/review/{bid}/approve", {"comment": ""})
    assert r.status_code == 302
    assert "không thể chuyển sang" in c.get(r.location).get_data(as_text=True)


def test_emergency_cannot_be_approved_without_the_confirmation_page(panel: Panel) -> None:
    bid = panel.bulletin("submitted", title="Cảnh báo lũ", priority="emergency")
    c = panel.client("reviewer")
    r = post(c, f"/review/{bid}/approve", {"comment": "gấp"})
    assert r.status_code == 302 and f"/review/{bid}/emergency" in r.location
    assert panel.get_bulletin(bid).status == BulletinStatus.SUBMITTED
    page = c.get(r.location).get_data(as_text=True)
    assert "Xác nhận phát khẩn cấp" in page and "ta-nang" in page and "lien-nghia" in page


def test_send_an_emergency_end_to_end(panel: Panel) -> None:
    c = panel.client("reviewer")
    assert "Phát khẩn cấp" in c.get("/review/emergency").get_data(as_text=True)
    day = today("Asia/Ho_Chi_Minh")
    r = post(c, "/review/emergency", {
        "title": "Cảnh báo bão số 9", "body": "Bà con khẩn trương gia cố nhà cửa, không ra biển.",
        "valid_from": day.isoformat(), "valid_to": day.isoformat(), "plays_per_day": "3",
        "speech_rate": "1.0", "voice": "", "target_kind": "stations", "stations": ["lien-nghia"],
    })
    assert r.status_code == 302 and "/emergency" in r.location
    page = c.get(r.location).get_data(as_text=True)
    assert "Xác nhận phát khẩn cấp" in page and "lien-nghia" in page
    bid = int(r.location.split("/")[-2])
    assert panel.get_bulletin(bid).status == BulletinStatus.SUBMITTED
    r = post(c, f"/review/{bid}/approve", {"confirm": "yes"})
    assert r.status_code == 302
    b = panel.get_bulletin(bid)
    assert b.status == BulletinStatus.APPROVED and b.media_sha256
    with panel.session() as s:
        actions = set(s.scalars(select(AuditLog.action).where(AuditLog.target == f"bulletin:{bid}")))
        assert "emergency.approve" in actions
        regen = s.scalars(select(RegenRequest).where(RegenRequest.bulletin_id == bid)).all()
        assert any(q.emergency and q.done_at is not None and not q.error for q in regen)
        # Today's playlist gets the emergency at once, whatever the time of day.
        pl = latest_playlist(s, "lien-nghia", day)
        assert pl is not None
        assert any(i["priority"] == "emergency" and i["bulletin_id"] == bid for i in pl.manifest["items"])
        assert pl.emergency and pl.manifest["emergency"] is True  # agents interrupt on this
        assert latest_playlist(s, "ta-nang", day) is None or not any(
            i.get("bulletin_id") == bid for i in latest_playlist(s, "ta-nang", day).manifest["items"]
        )


def test_emergency_form_errors_are_vietnamese(panel: Panel) -> None:
    c = panel.client("reviewer")
    r = post(c, "/review/emergency", {"title": "", "body": "", "valid_from": "x", "valid_to": date.today().isoformat(),
                                      "plays_per_day": "1", "target_kind": "all", "speech_rate": "1.0"})
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "Ngày bắt đầu không hợp lệ" in page
