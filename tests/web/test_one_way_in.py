"""One rule, one "today", every adapter: the CLI, the API and the panel refuse the same bad request
with the same words, and all of them count the day where the stations are (Asia/Ho_Chi_Minh), not
on the server's UTC clock."""

from __future__ import annotations

import html
import io
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from panel_support import Panel, make_panel, post
from sqlalchemy import func, select

from broadcast import bulletins, clock
from broadcast.models import Bulletin, BulletinStatus, MediaFile, Station, User
from broadcast.security import hash_token
from loa.cli import cli
from web.bulletins import script_from_upload

#: 18:30 UTC on 1 December is 01:30 on 2 December in Vietnam.
FROZEN = datetime(2026, 12, 1, 18, 30, tzinfo=UTC)
VN_TODAY = date(2026, 12, 2)
API_TOKEN = "user-api-token-" + "z" * 20
EMERGENCY_WORDS = "Tin khẩn cấp được phát ngay, nên thời gian hiệu lực phải gồm hôm nay (02/12/2026)."


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Panel:
    monkeypatch.setattr(clock, "utcnow", lambda: FROZEN)
    p = make_panel(tmp_path / "data")
    with p.session() as s:
        reviewer = s.scalar(select(User).where(User.username == "reviewer"))
        assert reviewer is not None
        reviewer.api_token_hash = hash_token(API_TOKEN)
    monkeypatch.setenv("LOA_DATA_DIR", str(p.settings.data_dir))
    monkeypatch.setenv("LOA_ENGINE_ORDER", "espeak")
    return p


def _cli(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return res.exit_code, res.output + (res.stderr if res.stderr_bytes is not None else "")


def _count(panel: Panel) -> int:
    with panel.session() as s:
        return int(s.scalar(select(func.count()).select_from(Bulletin)) or 0)


def test_the_clock_is_the_stations_day(panel: Panel) -> None:
    assert clock.today("Asia/Ho_Chi_Minh") == VN_TODAY and clock.today("UTC") == date(2026, 12, 1)
    assert clock.zone("Nowhere/Atlantis").key == "Asia/Ho_Chi_Minh"


def test_an_emergency_not_airing_today_is_refused_alike_by_cli_api_and_panel(panel: Panel, tmp_path: Path) -> None:
    tomorrow = "2026-12-03"  # Vietnam's tomorrow; on the server's UTC clock it would be two days on
    script = tmp_path / "bao.txt"
    script.write_text("Cảnh báo bão: mọi người vào nơi trú ẩn an toàn.", "utf-8")
    code, out = _cli("bulletin", "add", str(script), "--title", "Bão", "--priority", "emergency",
                     "--approve", "--from", tomorrow, "--actor", "reviewer")
    assert code != 0 and EMERGENCY_WORDS in out

    api = panel.app.test_client().post(
        "/api/v1/bulletins", headers={"Authorization": f"Bearer {API_TOKEN}"},
        json={"title": "Bão", "body": "Cảnh báo bão.", "priority": "emergency", "valid_from": tomorrow,
              "valid_to": tomorrow})
    assert api.status_code == 400 and api.get_json()["error"] == EMERGENCY_WORDS

    r = post(panel.client("reviewer"), "/review/emergency",
             {"title": "Bão", "body": "Cảnh báo bão.", "valid_from": tomorrow, "valid_to": tomorrow,
              "plays_per_day": "3", "speech_rate": "1.0", "target_kind": "all"})
    assert r.status_code == 400 and EMERGENCY_WORDS in html.unescape(r.get_data(as_text=True))
    assert _count(panel) == 0

    # and today (Vietnam's) is accepted by all three defaults
    ok = panel.app.test_client().post(
        "/api/v1/bulletins", headers={"Authorization": f"Bearer {API_TOKEN}"},
        json={"title": "Bão", "body": "Cảnh báo bão.", "priority": "emergency"})
    assert ok.status_code == 201
    with panel.session() as s:
        b = s.get(Bulletin, ok.get_json()["id"])
        assert b is not None and b.valid_from == b.valid_to == VN_TODAY


def test_an_approved_bulletin_is_not_editable_in_the_same_words(panel: Panel) -> None:
    bid = panel.bulletin("approved")
    with panel.session() as s:
        b = s.get(Bulletin, bid)
        assert b is not None
        with pytest.raises(bulletins.InvalidTransition) as exc:
            bulletins.check_editable(b)
    words = str(exc.value)
    r = panel.client("editor").get(f"/bulletins/{bid}/edit", follow_redirects=True)
    assert words in html.unescape(r.get_data(as_text=True))
    r = post(panel.client("editor"), f"/bulletins/{bid}/edit", {"title": "Đổi"}, follow_redirects=True)
    assert words in html.unescape(r.get_data(as_text=True))
    assert panel.get_bulletin(bid).title != "Đổi"
    assert {BulletinStatus.DRAFT, BulletinStatus.REJECTED} == bulletins.EDITABLE_STATUSES


def test_panel_defaults_and_public_page_use_the_stations_day(panel: Panel) -> None:
    page = panel.client("editor").get("/bulletins/new").get_data(as_text=True)
    assert 'value="02/12/2026"' in page and 'value="08/12/2026"' in page
    page = panel.client("reviewer").get("/review/emergency").get_data(as_text=True)
    assert 'value="02/12/2026"' in page
    bid = panel.bulletin("approved", valid_from=VN_TODAY, valid_to=VN_TODAY)
    with panel.session() as s:
        s.add(MediaFile(sha256="a" * 64, path="aa/" + "a" * 64 + ".mp3", size=10, duration_s=1.0, mime="audio/mpeg"))
        s.flush()
        b = s.get(Bulletin, bid)
        assert b is not None
        b.media_sha256 = "a" * 64
    feed = panel.anonymous().get("/public/feed.xml")
    assert feed.status_code == 200
    titles = [t.text for t in ET.fromstring(feed.data).iter("title")]
    assert "Thông báo lịch tiêm chủng" in titles


API_OK = {"title": "Thông báo", "body": "Nội dung ngắn.", "valid_from": "2026-12-02", "valid_to": "2026-12-03"}


@pytest.mark.parametrize("field,value,words", [
    ("title", None, "'title' phải là văn bản"),
    ("body", None, "'body' phải là văn bản"),
    ("title", {"a": 1}, "'title' phải là văn bản"),
    ("plays_per_day", 2.9, "Số lần phát mỗi ngày"),
    ("plays_per_day", True, "Số lần phát mỗi ngày"),
    ("voice", "../../etc/passwd", "Giọng đọc không hợp lệ"),
    ("category", "x" * 10_000, "'category' dài quá 120"),
    ("issuer", "x" * 10_000, "'issuer' dài quá 200"),
    ("submit", "false", "'submit' phải là true hoặc false"),
    ("group", {}, "Nhóm đài phải là tên nhóm"),
    ("stations", "ta-nang", "danh sách mã đài"),
    ("speech_rate", "fast", "Tốc độ đọc"),
    ("valid_from", 20261202, "phải là ngày"),
])
def test_api_refuses_wrong_types_instead_of_coercing(panel: Panel, field: str, value: object, words: str) -> None:
    r = panel.app.test_client().post("/api/v1/bulletins", headers={"Authorization": f"Bearer {API_TOKEN}"},
                                     json={**API_OK, field: value})
    assert r.status_code == 400 and words in r.get_json()["error"]
    assert _count(panel) == 0


def test_control_characters_are_stripped_when_saved_and_the_feed_stays_xml(panel: Panel) -> None:
    r = panel.app.test_client().post(
        "/api/v1/bulletins", headers={"Authorization": f"Bearer {API_TOKEN}"},
        json={**API_OK, "title": "Thông\x01 báo\x0b\x1b", "body": "Nội\x1b dung.", "category": "Y\x01 tế",
              "issuer": "UBND\x0c xã"})
    assert r.status_code == 201
    with panel.session() as s:
        b = s.get(Bulletin, r.get_json()["id"])
        assert b is not None
        assert (b.title, b.body, b.category, b.issuer) == ("Thông báo", "Nội dung.", "Y tế", "UBND xã")
    assert bulletins.clean_text("a\r\nb\tc\x7f") == "a\nb\tc"


def test_utf16_script_with_an_odd_byte_count_is_a_clear_error() -> None:
    with pytest.raises(bulletins.BroadcastError) as exc:
        script_from_upload("x.txt", b"\xff\xfea\x00b")
    assert "không phải văn bản" in str(exc.value)
    assert script_from_upload("x.txt", "ab".encode("utf-16")) == "ab"


def test_panel_upload_of_odd_utf16_is_400(panel: Panel) -> None:
    r = post(panel.client("editor"), "/bulletins/new",
             {"action": "load", "script_file": (io.BytesIO(b"\xff\xfea\x00b"), "x.txt")},
             content_type="multipart/form-data")
    assert r.status_code == 400


def test_cli_list_and_show_use_the_one_label_table(panel: Panel) -> None:
    bid = panel.bulletin("approved")
    code, out = _cli("bulletin", "list")
    assert code == 0 and "đã duyệt" in out and "thông thường" in out and " approved " not in out
    code, out = _cli("bulletin", "show", str(bid))
    assert code == 0 and "đã duyệt, thông thường" in out
    c = panel.client("editor")
    post(c, "/lang", {"lang": "en"})
    assert "Approved" in c.get(f"/bulletins/{bid}").get_data(as_text=True)


def test_service_errors_are_translated_in_the_english_panel(panel: Panel) -> None:
    c = panel.client("editor")
    post(c, "/lang", {"lang": "en"})
    r = post(c, "/bulletins/new", {"title": "x" * 301, "body": "Nội dung.", "valid_from": "2026-12-02",
                                   "valid_to": "2026-12-03", "plays_per_day": "1", "speech_rate": "1.0",
                                   "target_kind": "all", "voice": ""})
    page = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 400 and "The title is longer than 300 characters." in page
    bid = panel.bulletin("approved")
    r = c.get(f"/bulletins/{bid}/edit", follow_redirects=True)
    assert "Chỉ sửa được" not in html.unescape(r.get_data(as_text=True))


def test_pages_name_the_target_stations(panel: Panel) -> None:
    bid = panel.bulletin("submitted", station_codes=["ta-nang", "lien-nghia"])
    for client, url in ((panel.client("editor"), f"/bulletins/{bid}"), (panel.client("reviewer"), f"/review/{bid}")):
        page = html.unescape(client.get(url).get_data(as_text=True))
        assert "Thị trấn Liên Nghĩa (lien-nghia), Xã Tà Năng (ta-nang)" in page and "lien-nghia, ta-nang" not in page
    urgent = panel.bulletin("submitted", priority="emergency", valid_from=VN_TODAY, valid_to=VN_TODAY,
                            station_codes=["ta-nang"])
    page = html.unescape(panel.client("reviewer").get(f"/review/{urgent}/emergency").get_data(as_text=True))
    assert "Xã Tà Năng (ta-nang) (1)" in page


def test_an_uploaded_recording_plays_right_after_upload(panel: Panel) -> None:
    from tests.conftest import SPEECH

    wav = (SPEECH / "vi-speech-01.wav").read_bytes()
    c = panel.client("editor")
    r = post(c, "/bulletins/new", {"title": "Ghi âm", "body": "", "valid_from": "2026-12-02",
                                   "valid_to": "2026-12-03", "plays_per_day": "1", "speech_rate": "1.0",
                                   "target_kind": "all", "voice": "",
                                   "recording": (io.BytesIO(wav), "ghi-am.wav")},
             content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
    page = c.get(r.location).get_data(as_text=True)
    with panel.session() as s:
        b = s.scalar(select(Bulletin).where(Bulletin.title == "Ghi âm"))
        assert b is not None and b.media_sha256 is None and b.upload_sha256
        upload = s.get(MediaFile, b.upload_sha256)
        assert upload is not None and upload.duration_s > 0 and upload.mime == "audio/wav"
        sha, seconds = upload.sha256, upload.duration_s
    assert f'src="/media/{sha}"' in page and "Bản ghi đã tải lên" in page
    minutes, rest = divmod(round(seconds), 60)
    assert f"{minutes}:{rest:02d}" in page
    served = c.get(f"/media/{sha}")
    assert served.status_code == 200 and served.mimetype == "audio/wav" and served.data == wav


def test_the_one_off_session_hint_names_the_stations_today(panel: Panel) -> None:
    """Issue 7.10: at 18:30 UTC Vietnam is already on 02/12; the hint must not say 01/12."""
    with panel.session() as s:
        station = s.scalar(select(Station).where(Station.code == "ta-nang"))
        assert station is not None
        sid = station.id
    page = panel.client("operator").get(f"/stations/{sid}").get_data(as_text=True)
    assert "“2026-12-02 19:00-19:30”" in page
