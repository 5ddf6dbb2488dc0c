from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast import bulletins as bl
from broadcast import stations as st
from broadcast.errors import BroadcastError, InvalidTransition, NotFound
from broadcast.models import AuditLog, Bulletin, BulletinStatus, MediaFile, Priority, RegenRequest, TargetKind
from loa.config import Settings
from tests.broadcast.conftest import count_rows
from tests.conftest import SAMPLES, SPEECH

D1, D7 = date(2026, 12, 1), date(2026, 12, 7)


def _new(session: Session, **kw: Any) -> Bulletin:
    args: dict[str, Any] = {
        "title": "Lịch cắt điện",
        "body": (SAMPLES / "lich-cat-dien.txt").read_text("utf-8"),
        "valid_from": D1,
        "valid_to": D7,
        "actor": "editor1",
    }
    args.update(kw)
    return bl.create_bulletin(session, **args)


def _regens(session: Session) -> list[RegenRequest]:
    return list(session.scalars(select(RegenRequest).order_by(RegenRequest.id)))


def test_create_defaults_to_a_draft_for_all_stations(session: Session, stations: list[str]) -> None:
    b = _new(session)
    assert b.status == BulletinStatus.DRAFT and b.priority == Priority.NORMAL
    assert b.target_kind == TargetKind.ALL and b.source_kind == "text"
    assert b.created_by == "editor1" and b.render_status == "none"
    assert bl.target_station_codes(session, b) == sorted(stations)
    assert _regens(session) == []  # a draft changes no playlist


def test_targets_by_stations_and_group(session: Session, stations: list[str]) -> None:
    b = _new(session, station_codes=["ta-nang", "hiep-an"])
    assert b.target_kind == TargetKind.STATIONS
    assert bl.target_station_codes(session, b) == ["hiep-an", "ta-nang"]
    g = _new(session, group="duc-trong")
    assert g.target_kind == TargetKind.GROUP and bl.target_station_codes(session, g) == sorted(stations)
    st.get_station(session, "ta-nang").active = False
    assert "ta-nang" not in bl.target_station_codes(session, g)
    with pytest.raises(BroadcastError, match="không chọn cả hai"):
        _new(session, station_codes=["ta-nang"], group="duc-trong")


@pytest.mark.parametrize(
    ("kw", "error", "message"),
    [
        ({"valid_from": D7, "valid_to": D1}, BroadcastError, "trước ngày bắt đầu"),
        ({"station_codes": ["hiep-an", "nowhere", "mars"]}, NotFound, "nowhere, mars"),
        ({"group": "no-such-group"}, NotFound, "no-such-group"),
        ({"title": "   "}, BroadcastError, "Tiêu đề trống"),
        ({"body": " \n "}, BroadcastError, "Văn bản trống"),
        ({"priority": "urgent"}, BroadcastError, "Mức ưu tiên 'urgent'"),
        ({"plays_per_day": 0}, BroadcastError, "Số lần phát"),
        ({"speech_rate": 3.0}, BroadcastError, "Tốc độ đọc"),
        ({"actor": ""}, BroadcastError, "người thực hiện"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    session: Session, stations: list[str], kw: dict[str, Any], error: type[Exception], message: str
) -> None:
    before = count_rows(session)
    with pytest.raises(error, match=message):
        _new(session, **kw)
    session.rollback()
    assert count_rows(session) == before


def test_workflow_records_every_transition(session: Session, stations: list[str]) -> None:
    b = _new(session)
    bl.submit(session, b, "editor1")
    bl.reject(session, b, "reviewer1", "Sai giờ cắt điện")
    bl.submit(session, b, "editor1", "Đã sửa giờ")
    bl.approve(session, b, "reviewer1")
    bl.archive(session, b, "reviewer1", "Hết hiệu lực")
    session.commit()
    trail = [(t.from_status, t.to_status, t.actor, t.comment) for t in b.transitions]
    assert trail == [
        ("draft", "submitted", "editor1", ""),
        ("submitted", "rejected", "reviewer1", "Sai giờ cắt điện"),
        ("rejected", "submitted", "editor1", "Đã sửa giờ"),
        ("submitted", "approved", "reviewer1", ""),
        ("approved", "archived", "reviewer1", "Hết hiệu lực"),
    ]
    assert all(t.at.tzinfo is not None for t in b.transitions)
    actions = list(session.scalars(select(AuditLog.action).where(AuditLog.target == f"bulletin:{b.id}")))
    assert actions == [
        "bulletin.create",
        "bulletin.submit",
        "bulletin.reject",
        "bulletin.submit",
        "bulletin.approve",
        "bulletin.archive",
    ]


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ([], "approve"),  # a draft cannot be approved without being submitted
        ([], "reject"),
        (["submit"], "submit"),
        (["submit", "approve"], "approve"),
        (["submit", "approve"], "reject"),
        (["submit", "approve"], "submit"),
        (["archive"], "archive"),
        (["archive"], "submit"),
        (["submit", "approve", "archive"], "approve"),
    ],
)
def test_invalid_transitions(session: Session, stations: list[str], path: list[str], action: str) -> None:
    b = _new(session)
    for step in path:
        getattr(bl, step)(session, b, "someone", "lý do")
    status, n = b.status, len(b.transitions)
    with pytest.raises(InvalidTransition, match="không thể chuyển"):
        getattr(bl, action)(session, b, "someone", "lý do")
    assert b.status == status and len(b.transitions) == n


def test_reject_needs_a_reason(session: Session, stations: list[str]) -> None:
    b = _new(session)
    bl.submit(session, b, "editor1")
    with pytest.raises(BroadcastError, match="lý do"):
        bl.reject(session, b, "reviewer1", " ")
    assert b.status == BulletinStatus.SUBMITTED


def test_approval_writes_regen_request_for_its_stations(session: Session, stations: list[str]) -> None:
    b = _new(session, station_codes=["hiep-an", "ta-nang"])
    bl.submit(session, b, "editor1")
    assert _regens(session) == []
    bl.approve(session, b, "reviewer1")
    (r,) = _regens(session)
    assert (r.bulletin_id, r.station_codes, r.emergency, r.done_at) == (
        b.id,
        ["hiep-an", "ta-nang"],
        False,
        None,
    )


def test_emergency_approval_is_flagged_and_audited(session: Session, stations: list[str]) -> None:
    b = _new(
        session,
        title="Cảnh báo bão khẩn cấp",
        priority="emergency",
        group="duc-trong",
        body=(SAMPLES / "canh-bao-bao-khan-cap.txt").read_text("utf-8"),
    )
    bl.submit(session, b, "editor1")
    bl.approve(session, b, "chairman")
    session.commit()
    (r,) = _regens(session)
    assert r.emergency is True and r.station_codes == sorted(stations)
    audit = session.scalar(select(AuditLog).where(AuditLog.action == "emergency.approve"))
    assert audit is not None and audit.actor == "chairman" and audit.target == f"bulletin:{b.id}"


def test_withdrawal_of_an_approved_bulletin_regenerates(session: Session, stations: list[str]) -> None:
    draft = _new(session)
    bl.archive(session, draft, "editor1")  # never on air: no playlist to change
    assert _regens(session) == []
    b = _new(session, station_codes=["hiep-an"])
    bl.submit(session, b, "editor1")
    bl.approve(session, b, "reviewer1")
    bl.archive(session, b, "reviewer1", "Thu hồi")
    regens = _regens(session)
    assert [(r.reason, r.station_codes) for r in regens] == [
        ("bulletin approved", ["hiep-an"]),
        ("bulletin withdrawn", ["hiep-an"]),
    ]


def test_update_of_approved_bulletin(session: Session, stations: list[str]) -> None:
    b = _new(session, station_codes=["hiep-an"])
    bl.submit(session, b, "editor1")
    bl.approve(session, b, "reviewer1")
    b.media_sha256, b.render_status = None, "done"  # as if rendered
    # no real change: nothing recorded
    bl.update_bulletin(session, b, actor="editor1", title="Lịch cắt điện", plays_per_day=1)
    assert len(_regens(session)) == 1
    bl.update_bulletin(session, b, actor="editor1", station_codes=["ta-nang"], plays_per_day=2)
    regen = _regens(session)[-1]
    assert regen.station_codes == ["hiep-an", "ta-nang"]  # removed from one, added to the other
    assert b.plays_per_day == 2 and b.render_status == "done"  # audio still valid
    bl.update_bulletin(session, b, actor="editor1", body="Nội dung mới.")
    assert b.render_status == "none" and b.media_sha256 is None  # words changed: render again
    assert b.status == BulletinStatus.APPROVED
    assert len(_regens(session)) == 3


def test_update_validates_and_changes_nothing_on_error(session: Session, stations: list[str]) -> None:
    b = _new(session)
    session.commit()
    with pytest.raises(BroadcastError, match="trước ngày bắt đầu"):
        bl.update_bulletin(session, b, actor="e", valid_to=date(2026, 11, 1))
    with pytest.raises(NotFound):
        bl.update_bulletin(session, b, actor="e", title="Mới", station_codes=["nowhere"])
    with pytest.raises(BroadcastError, match="Không sửa được trường: status"):
        bl.update_bulletin(session, b, actor="e", status="approved")
    assert b.title == "Lịch cắt điện" and b.valid_to == D7 and b.target_kind == TargetKind.ALL
    bl.archive(session, b, "e")
    with pytest.raises(InvalidTransition):
        bl.update_bulletin(session, b, actor="e", title="Mới")


def test_eligible_bulletins(session: Session, stations: list[str]) -> None:
    def approved(**kw: Any) -> Bulletin:
        b = _new(session, **kw)
        bl.submit(session, b, "e")
        bl.approve(session, b, "r")
        return b

    normal = approved(title="Thường")
    emergency = approved(title="Khẩn", priority="emergency", station_codes=["hiep-an"])
    prio = approved(title="Ưu tiên", priority="priority", group="duc-trong")
    approved(title="Đài khác", station_codes=["ta-nang"])
    approved(title="Hết hạn", valid_from=date(2026, 11, 1), valid_to=date(2026, 11, 30))
    _new(session, title="Nháp")
    hiep_an = st.get_station(session, "hiep-an")
    assert bl.eligible_bulletins(session, hiep_an, D1) == [emergency, prio, normal]
    assert bl.eligible_bulletins(session, hiep_an, date(2026, 12, 8)) == []
    hiep_an.active = False
    assert bl.eligible_bulletins(session, hiep_an, D1) == []


def test_recording_goes_to_the_media_store(session: Session, stations: list[str], settings: Settings) -> None:
    wav = SPEECH / "vi-speech-01.wav"
    before = count_rows(session)
    b = _new(session, body="", recording=wav, media_dir=settings.media_dir)
    assert b.source_kind == "audio"
    mf = session.get(MediaFile, b.upload_sha256)
    assert mf is not None and mf.mime == "audio/wav"
    stored = settings.media_dir / mf.path
    assert stored.read_bytes() == wav.read_bytes() and mf.size == wav.stat().st_size
    assert mf.path == f"{mf.sha256[:2]}/{mf.sha256}.wav"
    # the same recording again shares the file and the row
    b2 = _new(session, body="", recording=wav, media_dir=settings.media_dir)
    assert b2.upload_sha256 == b.upload_sha256
    assert count_rows(session)["media_files"] == before["media_files"] + 1
    with pytest.raises(BroadcastError, match="Không tìm thấy tệp âm thanh"):
        _new(session, body="", recording=wav.with_name("missing.wav"), media_dir=settings.media_dir)


def test_source_detection(tmp_path: Path) -> None:
    assert not bl.is_audio_file(SAMPLES / "lich-cat-dien.txt")
    assert bl.is_audio_file(SPEECH / "vi-speech-01.wav")
    odd = tmp_path / "recording.dat"
    odd.write_bytes((SPEECH / "vi-speech-01.wav").read_bytes())
    assert bl.is_audio_file(odd)  # RIFF header
    notes = tmp_path / "notes.dat"
    notes.write_text("Thông báo", "utf-8")
    assert not bl.is_audio_file(notes)
    latin = tmp_path / "cp1258.txt"
    latin.write_bytes("Thông báo".encode("cp1258"))
    with pytest.raises(BroadcastError, match="UTF-8"):
        bl.read_script(latin)
    bom = tmp_path / "bom.txt"
    bom.write_bytes("\ufeffThông báo".encode())
    assert bl.read_script(bom) == "Thông báo"


def test_scripts_over_the_limit_and_non_audio_recordings_are_refused_before_saving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.orm import Session as OrmSession

    from broadcast.bulletins import create_bulletin
    from broadcast.errors import BroadcastError
    from broadcast.models import Base, Bulletin

    monkeypatch.setenv("LOA_MAX_TEXT_CHARS", "100")
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    fake = tmp_path / "fake.mp3"
    fake.write_bytes(b"this is not audio at all " * 100)
    day = date(2026, 11, 27)
    with OrmSession(engine) as s:
        with pytest.raises(BroadcastError, match="quá dài"):
            create_bulletin(s, title="Dài", body="Thông báo. " * 20, valid_from=day, valid_to=day, actor="t")
        with pytest.raises(BroadcastError):
            create_bulletin(s, title="Giả", recording=fake, valid_from=day, valid_to=day, actor="t",
                            media_dir=tmp_path / "media")
        assert s.scalar(select(func.count()).select_from(Bulletin)) == 0
    assert not (tmp_path / "media").exists()
