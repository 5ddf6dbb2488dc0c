"""/library: every audio file with its kind and uses; a jingle uploaded for a station or a group."""

from __future__ import annotations

import io
from pathlib import Path

from panel_support import Panel, post
from sqlalchemy import func, select

from broadcast import jingles
from broadcast.models import AuditLog, MediaFile, RegenRequest, Station, StationJingle

JINGLE = Path(__file__).resolve().parents[2] / "media" / "jingles" / "station-id.ogg"


def _upload(panel: Panel, role: str, name: str, data: bytes, target: str) -> str:
    c = panel.client(role)
    r = post(c, "/library/jingle", {"file": (io.BytesIO(data), name), "target": target},
             content_type="multipart/form-data", follow_redirects=True)
    return r.get_data(as_text=True)


def _count(panel: Panel, model: type) -> int:
    with panel.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_upload_a_jingle_for_a_station_then_a_group(panel: Panel) -> None:
    page = _upload(panel, "operator", "nhac-hieu-ta-nang.ogg", JINGLE.read_bytes(), "station:ta-nang")
    assert "Đã tải lên nhạc hiệu" in page and "nhac-hieu-ta-nang.ogg" in page
    assert "Nhạc hiệu của" in page and "Xã Tà Năng" in page and "<audio" in page
    other = JINGLE.read_bytes() + b"\x00"  # a different file (sha) that still decodes
    _upload(panel, "admin", "nhac-hieu-huyen.ogg", other, "group:Huyện Đức Trọng")
    with panel.session() as s:
        assert len(s.scalars(select(StationJingle)).all()) == 2
        ids = {st.code: st.id for st in s.scalars(select(Station))}
        airs = jingles.jingles_for(s, ids.values())
        own = s.scalar(select(StationJingle.media_sha256).where(StationJingle.station_id == ids["ta-nang"]))
        group = s.scalar(select(StationJingle.media_sha256).where(StationJingle.group_id.is_not(None)))
        assert airs[ids["ta-nang"]].sha256 == own  # a station's own wins over its group's
        assert airs[ids["lien-nghia"]].sha256 == group
        assert airs[ids["lien-nghia"]].duration_s > 0
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "media.jingle")) == 2
        wanted = [r.station_codes for r in s.scalars(select(RegenRequest).where(RegenRequest.reason == "jingle changed"))]
        assert ["ta-nang"] in wanted and ["lien-nghia", "ta-nang"] in wanted
    assert panel.client("editor").get("/library").status_code == 200  # the route, no redirect
    listing = panel.client("editor").get("/library/?kind=jingle").get_data(as_text=True)
    assert "nhac-hieu-ta-nang.ogg" in listing and "nhac-hieu-huyen.ogg" in listing
    found = panel.client("editor").get("/library/?q=huyen").get_data(as_text=True)
    assert "nhac-hieu-huyen.ogg" in found and "nhac-hieu-ta-nang.ogg" not in found


def test_a_file_that_is_not_audio_is_refused_and_nothing_is_stored(panel: Panel) -> None:
    before = _count(panel, MediaFile)
    for name, data, words in (
        ("nhac-hieu.mp3", b"day khong phai am thanh" * 40, "không phải âm thanh dùng được"),
        ("nhac-hieu.txt", b"van ban", "không phải tệp âm thanh"),
        ("rong.wav", b"", "không phải âm thanh dùng được"),
    ):
        page = _upload(panel, "operator", name, data, "station:ta-nang")
        assert words in page, page
    assert "Hãy chọn một đài hoặc một nhóm" in _upload(panel, "operator", "a.ogg", JINGLE.read_bytes(), "")
    assert "Không có đài mã" in _upload(panel, "operator", "a.ogg", JINGLE.read_bytes(), "station:khong-co")
    assert _count(panel, MediaFile) == before and _count(panel, StationJingle) == 0
    media = panel.settings.media_dir
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]
    assert not [p for p in (panel.settings.data_dir / "tmp").rglob("*") if p.is_file()]


def test_library_lists_recordings_and_renders_with_their_bulletins(panel: Panel) -> None:
    bid = panel.bulletin(title="Thông báo có bản đọc")
    with panel.session() as s:
        mf = MediaFile(sha256="ab" * 32, path="ab/" + "ab" * 32 + ".mp3", size=10, duration_s=65.0, mime="audio/mpeg")
        s.add(mf)
        s.flush()
        from broadcast.models import Bulletin
        b = s.get(Bulletin, bid)
        assert b is not None
        b.media_sha256 = mf.sha256
    page = panel.client("reviewer").get("/library/").get_data(as_text=True)
    assert "Thông báo có bản đọc" in page and "Bản đọc" in page and "1:05" in page
    assert f"/bulletins/{bid}" in page
    assert "Thông báo có bản đọc" in panel.client("reviewer").get("/library/?kind=render").get_data(as_text=True)
    assert "Không có tệp nào khớp." in panel.client("reviewer").get("/library/?kind=recording").get_data(as_text=True)


def test_only_operators_and_admins_upload(panel: Panel) -> None:
    c = panel.client("editor")
    r = post(c, "/library/jingle", {"file": (io.BytesIO(JINGLE.read_bytes()), "a.ogg"), "target": "station:ta-nang"},
             content_type="multipart/form-data")
    assert r.status_code == 403
    assert "Tải lên nhạc hiệu cho một đài" not in c.get("/library/").get_data(as_text=True)
