"""Writing bulletins in the panel: the form, files, the normalized text, previews, submitting."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import docx
from panel_support import Panel, make_panel, post
from sqlalchemy import select

from broadcast import clock
from broadcast.models import AuditLog, Bulletin, BulletinStatus
from tests.conftest import SPEECH
from web.bulletins import script_from_upload

TODAY = clock.today("Asia/Ho_Chi_Minh")  # the stations' day, as the panel sees it


def form(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "title": "Thông báo cắt điện",
        "body": "Từ 7h00 đến 11h30 ngày 28/11/2026 cắt điện khu vực thôn 3.",
        "priority": "normal",
        "valid_from": TODAY.isoformat(),
        "valid_to": (TODAY + timedelta(days=2)).isoformat(),
        "plays_per_day": "2",
        "voice": "",
        "speech_rate": "1.0",
        "target_kind": "all",
        "action": "save",
    }
    base.update(over)
    return base


def only_bulletin(panel: Panel) -> Bulletin:
    with panel.session() as s:
        rows = s.scalars(select(Bulletin)).all()
        assert len(rows) == 1
        return rows[0]


def test_editor_writes_a_draft(panel: Panel) -> None:
    c = panel.client("editor")
    assert "Viết bản tin mới" in c.get("/bulletins/new").get_data(as_text=True)
    r = post(c, "/bulletins/new", form(target_kind="stations", stations=["ta-nang"]))
    assert r.status_code == 302
    b = only_bulletin(panel)
    assert r.location.endswith(f"/bulletins/{b.id}")
    assert b.status == BulletinStatus.DRAFT and b.created_by == "editor" and b.plays_per_day == 2
    page = c.get(r.location).get_data(as_text=True)
    assert "Thông báo cắt điện" in page and "ta-nang" in page
    # the "what will be read" text is on the page: digits spelled out
    assert "bảy giờ" in page and "hai mươi tám" in page


def test_form_errors_come_back_in_vietnamese_with_the_values_kept(panel: Panel) -> None:
    c = panel.client("editor")
    r = post(c, "/bulletins/new", form(title="", valid_to=(TODAY - timedelta(days=1)).isoformat()))
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "Chưa lưu được" in page
    assert "Tiêu đề trống" in page
    assert "cắt điện khu vực thôn 3" in page  # what the user typed is still there
    r = post(c, "/bulletins/new", form(valid_from="27-11-2026", target_kind="stations"))
    page = r.get_data(as_text=True)
    assert "Ngày bắt đầu không hợp lệ" in page and "Hãy chọn ít nhất một đài" in page
    r = post(c, "/bulletins/new", form(target_kind="stations", stations=["khong-co"]))
    assert r.status_code == 400 and "khong-co" in r.get_data(as_text=True)
    with panel.session() as s:
        assert s.scalars(select(Bulletin)).all() == []


def test_editor_cannot_choose_emergency(panel: Panel) -> None:
    r = post(panel.client("editor"), "/bulletins/new", form(priority="emergency"))
    assert r.status_code == 400 and "khẩn cấp" in r.get_data(as_text=True)


def test_script_injection_is_escaped_everywhere(panel: Panel) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    c = panel.client("editor")
    r = post(c, "/bulletins/new", form(title=evil, body=evil + " Nội dung.", issuer=evil, action="submit"))
    assert r.status_code == 302
    b = only_bulletin(panel)
    for client, url in ((c, "/bulletins/"), (c, f"/bulletins/{b.id}"),
                        (panel.client("reviewer"), "/review/"), (panel.client("reviewer"), f"/review/{b.id}")):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page, url
        assert "&lt;script&gt;" in page, url


def test_paste_from_txt_and_docx_fills_the_body(panel: Panel) -> None:
    c = panel.client("editor")
    r = post(c, "/bulletins/new", {**form(body="", action="load"),
                                   "script_file": (io.BytesIO("Thông báo họp thôn.".encode("utf-16")), "hop.txt")},
             content_type="multipart/form-data")
    assert r.status_code == 200 and "Thông báo họp thôn." in r.get_data(as_text=True)

    document = docx.Document()
    document.add_paragraph("Kính gửi bà con thôn 2.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Giờ"
    table.rows[0].cells[1].text = "7h30"
    document.add_paragraph("Trân trọng thông báo.")
    buf = io.BytesIO()
    document.save(buf)
    buf.seek(0)
    r = post(c, "/bulletins/new", {**form(body="", action="save"), "script_file": (buf, "thong-bao.docx")},
             content_type="multipart/form-data")
    assert r.status_code == 302
    assert only_bulletin(panel).body == "Kính gửi bà con thôn 2.\nGiờ | 7h30\nTrân trọng thông báo."
    assert panel.get_bulletin(only_bulletin(panel).id).status == BulletinStatus.DRAFT


def test_bad_script_files_give_vietnamese_errors(panel: Panel) -> None:
    c = panel.client("editor")
    for name, data, message in (
        ("x.txt", "Thông báo".encode("cp1258"), "không phải văn bản UTF-8"),
        ("x.docx", b"PK\x03\x04 not really", "Không đọc được tệp .docx"),
        ("x.pdf", b"%PDF-1.4", "Chỉ nhận tệp văn bản .txt hoặc .docx"),
    ):
        r = post(c, "/bulletins/new", {**form(action="load"), "script_file": (io.BytesIO(data), name)},
                 content_type="multipart/form-data")
        assert r.status_code == 400 and message in r.get_data(as_text=True), name
    assert script_from_upload("a.TXT", "\ufeffxin chào".encode()) == "xin chào"


def test_recording_instead_of_text(panel: Panel) -> None:
    c = panel.client("editor")
    wav = (SPEECH / "vi-speech-01.wav").read_bytes()
    r = post(c, "/bulletins/new", {**form(body=""), "recording": (io.BytesIO(wav), "ghi-am.wav")},
             content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    b = only_bulletin(panel)
    assert b.source_kind == "audio" and b.upload_sha256
    assert not list((panel.settings.data_dir / "tmp").iterdir())  # the temporary copy is gone


def test_non_audio_recording_is_refused_in_vietnamese(panel: Panel) -> None:
    c = panel.client("editor")
    for name, data in (("ghi-am.wav", b"RIFF\x00\x00\x00\x00WAVEjunk"), ("ghi-am.mp3", b"hello, not audio" * 50),
                       ("virus.exe", b"MZ\x90\x00" * 100)):
        r = post(c, "/bulletins/new", {**form(body=""), "recording": (io.BytesIO(data), name)},
                 content_type="multipart/form-data")
        page = r.get_data(as_text=True)
        assert r.status_code == 400 and "Tệp ghi âm không dùng được" in page, name
    with panel.session() as s:
        assert s.scalars(select(Bulletin)).all() == []


def test_normalize_endpoint_returns_what_will_be_read(panel: Panel) -> None:
    c = panel.client("editor")
    token = re.search(r'data-csrf="([^"]+)"', c.get("/bulletins/new").get_data(as_text=True))
    assert token
    r = c.post("/bulletins/normalize", json={"text": "Họp lúc 7h30 ngày 27/11."},
               headers={"X-CSRFToken": token.group(1)})
    assert r.status_code == 200
    assert "bảy giờ ba mươi" in r.get_json()["normalized"]
    r = c.post("/bulletins/normalize", json={"text": "   "}, headers={"X-CSRFToken": token.group(1)})
    assert r.status_code == 400 and r.get_json()["error"] == "Văn bản trống: không có gì để đọc."
    # without the token: refused, as JSON
    r = c.post("/bulletins/normalize", json={"text": "x"}, headers={"Accept": "application/json"})
    assert r.status_code == 400 and "error" in r.get_json()


def test_preview_renders_in_the_background_and_serves_audio(panel: Panel) -> None:
    bid = panel.bulletin()
    c = panel.client("editor")
    page = c.get("/bulletins/new").get_data(as_text=True)
    token = re.search(r'data-csrf="([^"]+)"', page)
    assert token
    r = c.post(f"/bulletins/{bid}/preview", headers={"X-CSRFToken": token.group(1)})
    assert r.status_code == 202
    status = c.get(r.get_json()["status_url"]).get_json()
    assert status["state"] == "done" and status["progress"] == 1.0
    assert status["duration_s"] > 1.0
    audio = c.get(status["audio_url"])
    assert audio.status_code == 200 and audio.mimetype == "audio/mpeg" and len(audio.data) > 1000
    b = panel.get_bulletin(bid)
    assert b.media_sha256 == status["sha256"] and b.render_status == "done"
    assert c.get("/bulletins/jobs/nope").status_code == 404


def test_failed_preview_reports_the_reason(tmp_path: Path) -> None:
    panel = make_panel(tmp_path / "d", engine_order=("piper",), piper_voice="")  # no voice: cannot speak
    bid = panel.bulletin()
    c = panel.client("editor")
    token = re.search(r'data-csrf="([^"]+)"', c.get("/bulletins/new").get_data(as_text=True))
    assert token
    r = c.post(f"/bulletins/{bid}/preview", headers={"X-CSRFToken": token.group(1)})
    status = c.get(r.get_json()["status_url"]).get_json()
    assert status["state"] == "failed" and "Không tạo được âm thanh" in status["error"]
    assert panel.get_bulletin(bid).render_status == "failed"


def test_edit_then_submit_for_review(panel: Panel) -> None:
    bid = panel.bulletin()
    c = panel.client("editor")
    r = post(c, f"/bulletins/{bid}/edit", form(title="Thông báo đã sửa", action="submit"))
    assert r.status_code == 302
    b = panel.get_bulletin(bid)
    assert b.title == "Thông báo đã sửa" and b.status == BulletinStatus.SUBMITTED
    assert b.render_status == "done" and b.media_sha256  # rendered for the reviewer on submission
    # not editable any more
    r = c.get(f"/bulletins/{bid}/edit")
    assert r.status_code == 302
    assert "Chờ duyệt" in c.get(r.location).get_data(as_text=True)
    with panel.session() as s:
        assert s.scalar(select(AuditLog).where(AuditLog.action == "bulletin.submit")) is not None


def test_unknown_bulletin_is_a_vietnamese_404(panel: Panel) -> None:
    c = panel.client("editor")
    for url in ("/bulletins/999", "/bulletins/999/edit", "/bulletins/abc"):
        r = c.get(url)
        assert r.status_code == 404 and "Không tìm thấy" in r.get_data(as_text=True), url
    assert post(c, "/bulletins/999/submit").status_code == 404
