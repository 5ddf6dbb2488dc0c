"""The clarity check and the voices in the panel: badges, the review page beside the audio, the
listened confirmation, the fallback warning, the settings page and its "nghe thử" samples.

The recognizer is a stand-in that hears a chosen transcript (see tests/broadcast/test_clarity.py;
the real one runs in the end-to-end test at the bottom)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from panel_support import Panel, make_panel, post
from sqlalchemy import select

from broadcast import clarity
from broadcast.errors import BroadcastError
from broadcast.models import AuditLog, Bulletin, BulletinStatus, ClarityCheck, DeploymentSetting
from pipeline.clarity import recognizer
from tests.conftest import SPEECH

BODY = "Trạm y tế xã tiêm chủng cho trẻ em."


class Heard:
    def __init__(self) -> None:
        self.text = BODY

    def __call__(self, samples: Any) -> str:
        return self.text


@pytest.fixture
def heard(monkeypatch: pytest.MonkeyPatch) -> Heard:
    h = Heard()
    monkeypatch.setattr(recognizer, "ensure_available", lambda: None)
    monkeypatch.setattr(recognizer, "transcribe", h)
    return h


@pytest.fixture
def cpanel(tmp_path: Path) -> Panel:
    return make_panel(tmp_path / "loa-data", clarity_check=True, fpt_api_key="bi-mat-khong-hien-12345")


def _rendered(panel: Panel, **kw: Any) -> int:
    """A submitted bulletin whose audio the editor previewed (the render and then its check ran)."""
    bid = panel.bulletin("submitted", body=BODY, **kw)
    r = post(panel.client("editor"), f"/bulletins/{bid}/preview")
    assert r.status_code == 202
    return bid


def test_low_clarity_shows_beside_the_audio_and_approval_needs_listened(cpanel: Panel, heard: Heard) -> None:
    heard.text = "trạm y tế"  # 3 of 9 words
    bid = _rendered(cpanel)
    c = cpanel.client("reviewer")
    page = c.get(f"/review/{bid}").get_data(as_text=True)
    assert "độ rõ 0,33" in page and "chủng" in page  # score and the words missed
    assert "Giọng đã đọc" in page and "espeak" in page and "viet-asr" in page
    assert "Giọng dự phòng: người nghe có thể khó hiểu" in page
    assert 'name="listened"' in page and "Tôi đã nghe bản đọc này" in page
    assert "badge clarity-low" in c.get("/review/").get_data(as_text=True)
    assert "badge clarity-low" in c.get("/bulletins/").get_data(as_text=True)

    r = post(c, f"/review/{bid}/approve", {"comment": ""})
    assert r.location.endswith(f"/review/{bid}")
    said = BroadcastError(clarity.LISTEN_FIRST, score="0,33", threshold="0,70")  # the CLI's words too
    assert str(said) in c.get(r.location).get_data(as_text=True)
    assert cpanel.get_bulletin(bid).status == BulletinStatus.SUBMITTED

    r = post(c, f"/review/{bid}/approve", {"comment": "", "listened": "yes"})
    assert f"/bulletins/{bid}" in r.location and cpanel.get_bulletin(bid).status == BulletinStatus.APPROVED
    with cpanel.session() as s:
        row = s.scalar(select(AuditLog).where(AuditLog.action == "bulletin.approve"))
        assert row is not None and row.detail["listened"] is True and row.detail["clarity"] == pytest.approx(3 / 9)


def test_the_refusal_reads_the_same_in_english(cpanel: Panel, heard: Heard) -> None:
    heard.text = "trạm"
    bid = _rendered(cpanel)
    c = cpanel.client("reviewer")
    post(c, "/lang", {"lang": "en", "next": "/"})
    r = post(c, f"/review/{bid}/approve", {"comment": ""})
    page = c.get(r.location).get_data(as_text=True)
    assert "I listened to this reading" in page


def test_a_clear_render_needs_no_confirmation(cpanel: Panel, heard: Heard) -> None:
    bid = _rendered(cpanel)
    c = cpanel.client("reviewer")
    page = c.get(f"/review/{bid}").get_data(as_text=True)
    assert "độ rõ 1,00" in page and 'name="listened"' not in page
    post(c, f"/review/{bid}/approve", {"comment": ""})
    assert cpanel.get_bulletin(bid).status == BulletinStatus.APPROVED


def test_bulletin_detail_shows_the_fallback_warning_and_the_score(cpanel: Panel, heard: Heard) -> None:
    bid = _rendered(cpanel)
    page = cpanel.client("editor").get(f"/bulletins/{bid}").get_data(as_text=True)
    assert "Giọng dự phòng: người nghe có thể khó hiểu" in page and "badge clarity-ok" in page
    assert "Vietnamese (Northern)" in page  # the voice that spoke, by its name


def test_an_emergency_is_confirmed_without_listened_and_its_page_warns_of_the_fallback(
    cpanel: Panel, heard: Heard
) -> None:
    heard.text = "trạm"
    bid = _rendered(cpanel, priority="emergency", valid_to=cpanel.get_bulletin(cpanel.bulletin()).valid_from)
    c = cpanel.client("reviewer")
    page = c.get(f"/review/{bid}/emergency").get_data(as_text=True)
    assert "Giọng dự phòng: người nghe có thể khó hiểu" in page and "độ rõ 0,11" in page
    assert 'name="listened"' not in c.get(f"/review/{bid}").get_data(as_text=True)
    post(c, f"/review/{bid}/approve", {"confirm": "yes", "comment": ""})
    assert cpanel.get_bulletin(bid).status == BulletinStatus.APPROVED


def test_a_recording_shows_its_transcript_alone(cpanel: Panel, heard: Heard) -> None:
    heard.text = "với một người đi làm thuê như anh"
    with cpanel.session() as s:
        from broadcast import bulletins

        b = bulletins.create_bulletin(s, title="Ghi âm", body="", recording=SPEECH / "vi-speech-01.wav",
                                      valid_from=cpanel.get_bulletin(cpanel.bulletin()).valid_from,
                                      valid_to=cpanel.get_bulletin(cpanel.bulletin()).valid_to, actor="editor",
                                      settings=cpanel.settings)
        bulletins.submit(s, b, "editor")
        s.flush()
        bid = b.id
    post(cpanel.client("editor"), f"/bulletins/{bid}/preview")
    page = cpanel.client("reviewer").get(f"/review/{bid}").get_data(as_text=True)
    assert heard.text in page and "Bản nhận dạng" in page
    assert "Từ bị nghe sót" not in page and "Giọng dự phòng" not in page
    assert "có bản nhận dạng" in cpanel.client("reviewer").get("/review/").get_data(as_text=True)


@pytest.fixture
def no_recognizer(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(sys.modules, "vietasr", None)
    recognizer._pipeline.cache_clear()
    yield
    monkeypatch.undo()
    recognizer._pipeline.cache_clear()


def test_without_the_recognizer_the_panel_says_so_and_the_audio_is_there(cpanel: Panel, no_recognizer: None) -> None:
    bid = _rendered(cpanel)
    b = cpanel.get_bulletin(bid)
    assert b.render_status == "done"
    page = cpanel.client("reviewer").get(f"/review/{bid}").get_data(as_text=True)
    assert "không có bộ nhận dạng" in page and f"/media/{b.media_sha256}" in page
    assert "không có bộ nhận dạng" in cpanel.client("editor").get("/bulletins/").get_data(as_text=True)


def test_a_pending_check_is_run_when_its_page_is_shown(tmp_path: Path, heard: Heard) -> None:
    """A render made elsewhere (the demo, the CLI with the check off) is checked by `loa serve` alone."""
    panel = make_panel(tmp_path / "d", clarity_check=True)
    bid = _rendered(panel)
    sha = panel.get_bulletin(bid).media_sha256
    with panel.session() as s:
        row = s.get(ClarityCheck, sha)
        assert row is not None
        row.status, row.score, row.checked_at = "pending", None, None  # as a render elsewhere leaves it
    page = panel.client("reviewer").get(f"/review/{bid}").get_data(as_text=True)
    assert "Đang kiểm tra độ rõ" in page  # the page was drawn before the job ran
    with panel.session() as s:
        assert s.get(ClarityCheck, sha).status == "done"  # type: ignore[union-attr]
    with panel.session() as s:
        row = s.get(ClarityCheck, sha)
        assert row is not None
        row.status, row.checked_at = "pending", None  # queued again (clarity.mark_pending)
    assert "đang kiểm tra độ rõ" in panel.client("editor").get("/bulletins/").get_data(as_text=True)
    with panel.session() as s:
        assert s.get(ClarityCheck, sha).status == "done"  # type: ignore[union-attr]  # the list queued it


def test_settings_page_lists_voices_sets_the_default_and_never_shows_a_key(cpanel: Panel) -> None:
    assert cpanel.client("reviewer").get("/settings/").status_code == 403
    c = cpanel.client("admin")
    page = c.get("/settings/").get_data(as_text=True)
    assert "espeak:vi-vn-x-south" in page and "dự phòng" in page and "nghe thử" in page
    assert "fpt:banmai" in page and "đám mây" in page  # a configured cloud voice
    assert "bi-mat-khong-hien-12345" not in page and "đã cấu hình" in page
    r = post(c, "/settings/voice", {"voice": "espeak:vi-vn-x-central"})
    assert r.status_code == 303
    with cpanel.session() as s:
        assert s.get(DeploymentSetting, "default_voice").value == "espeak:vi-vn-x-central"  # type: ignore[union-attr]
        assert s.scalar(select(AuditLog).where(AuditLog.action == "settings.default_voice")).actor == "admin"  # type: ignore[union-attr]
    page = c.get("/settings/").get_data(as_text=True)
    assert 'value="espeak:vi-vn-x-central" id="voice-' in page and "Đã lưu giọng mặc định" in page
    r = post(c, "/settings/voice", {"voice": "piper:khong-co"}, follow_redirects=True)
    assert "không dùng được trên máy này" in r.get_data(as_text=True)
    # the station page and the bulletin list header say which voice speaks now
    with cpanel.session() as s:
        from broadcast.models import Station

        sid = s.scalar(select(Station.id).where(Station.code == "ta-nang"))
    assert "Giọng đang dùng" in c.get(f"/stations/{sid}").get_data(as_text=True)
    header = cpanel.client("editor").get("/bulletins/").get_data(as_text=True)
    assert "Giọng đang dùng" in header and "Vietnamese (Central)" in header


def test_the_form_and_the_review_page_offer_every_usable_voice(cpanel: Panel, heard: Heard) -> None:
    form = cpanel.client("editor").get("/bulletins/new").get_data(as_text=True)
    for vid in ("espeak:vi", "espeak:vi-vn-x-south", "fpt:banmai"):
        assert f'value="{vid}"' in form
    assert "dự phòng" in form and 'data-action="voice-sample"' in form
    bid = cpanel.bulletin("submitted")
    c = cpanel.client("reviewer")
    assert 'value="espeak:vi-vn-x-south"' in c.get(f"/review/{bid}").get_data(as_text=True)
    r = post(c, f"/review/{bid}/voice", {"voice": "espeak:vi-vn-x-south"})
    assert r.status_code == 302
    with cpanel.session() as s:
        b = s.get(Bulletin, bid)
        assert b is not None and b.voice == "espeak:vi-vn-x-south"
        assert b.media is not None and b.media.meta is not None and b.media.meta["voice"] == "vi-vn-x-south"
        assert s.scalar(select(AuditLog).where(AuditLog.action == "bulletin.update")).actor == "reviewer"  # type: ignore[union-attr]


def test_nghe_thu_returns_audio_or_a_clear_message(cpanel: Panel, heard: Heard) -> None:
    c = cpanel.client("editor")
    r = c.get("/settings/voices/sample?voice=espeak:vi-vn-x-south")
    assert r.status_code == 200 and r.mimetype == "audio/mpeg" and len(r.data) > 1000
    r = c.get("/settings/voices/sample?voice=piper:khong-co")
    assert r.status_code == 422 and "Không đọc thử được" in r.get_json()["error"]
    r = c.get("/settings/voices/sample?voice=../../etc/passwd")
    assert r.status_code == 422 and "Giọng đọc không hợp lệ" in r.get_json()["error"]
    r = c.get("/settings/voices/sample?voice=")  # the default: the voice a render would use now
    assert r.status_code == 200 and r.mimetype == "audio/mpeg"
    assert cpanel.anonymous().get("/settings/voices/sample?voice=espeak:vi").status_code == 302


needs_asr = pytest.mark.skipif(not recognizer.available(), reason="viet-asr not installed")


@needs_asr
def test_end_to_end_the_real_recognizer_scores_an_espeak_render(cpanel: Panel) -> None:
    """Editor previews, the real offline recognizer listens, the reviewer sees its verdict and the
    approval rule follows the stored score."""
    bid = _rendered(cpanel)
    b = cpanel.get_bulletin(bid)
    with cpanel.session() as s:
        row = s.get(ClarityCheck, b.media_sha256)
        assert row is not None and row.status == "done", row and row.error
        assert row.recognizer.startswith("viet-asr ") and row.score is not None and 0.0 <= row.score <= 1.0
        score = row.score
        assert set(row.missed or []) <= set(BODY.lower().rstrip(".").split())
    page = cpanel.client("reviewer").get(f"/review/{bid}").get_data(as_text=True)
    assert f"độ rõ {score:.2f}".replace(".", ",") in page
    assert ('name="listened"' in page) == (score < cpanel.settings.clarity_threshold)
