"""CAP 1.2 alerts → emergency bulletins (broadcast/cap.py): the OASIS examples, a Vietnamese storm
warning with its update and cancellation, and hostile XML that must write nothing."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast import bulletins as bl
from broadcast import cap, stations, units
from broadcast.errors import BroadcastError, InvalidTransition, NotFound
from broadcast.models import AuditLog, Bulletin, BulletinStatus, CapAlert, Priority, RegenRequest, TargetKind
from loa.config import Settings
from tests.broadcast.conftest import count_rows

DATA = Path(__file__).resolve().parents[1] / "data" / "cap"
TODAY = date(2025, 9, 22)
TREE = """code,name,kind,parent
68,Tỉnh Lâm Đồng,tinh,
672,Huyện Đức Trọng,huyen,68
24823,Xã Hiệp An,xa,672
24826,Xã Liên Hiệp,xa,672
24820,Phường Xuân Hương,phuong,68
"""
STATIONS = """code,name,kind,sessions,unit
ha-1,Cụm 1 Hiệp An,xa,Mon-Sat 05:30-06:00,24823
ha-2,Cụm 2 Hiệp An,xa,Mon-Sat 05:30-06:00,24823
lh-1,Cụm 1 Liên Hiệp,xa,Mon-Sat 05:30-06:00,24826
xh-1,Cụm 1 Xuân Hương,phuong,Mon-Sat 05:30-06:00,24820
"""


def xml(name: str) -> bytes:
    return (DATA / name).read_bytes()


@pytest.fixture
def tree(session: Session) -> Session:
    units.import_units(session, units.parse_units_csv(TREE), actor="admin")
    stations.import_stations(session, stations.parse_stations_csv(STATIONS))
    session.commit()
    return session


def imp(session: Session, data: bytes, settings: Settings, actor: str = "pctt") -> cap.Outcome:
    return cap.import_alert(session, data, actor=actor, settings=settings, today=TODAY)


def test_vietnamese_storm_warning_becomes_an_emergency_for_its_communes(tree: Session, settings: Settings) -> None:
    done = imp(tree, xml("vn-storm-warning.xml"), settings)
    assert (done.action, done.status, done.msg_type) == ("created", "submitted", "Alert")
    assert done.language == "vi-VN" and not done.language_fallback and not done.needs_targeting
    assert done.unit_codes == ("24823", "24826") and done.stations == ("ha-1", "ha-2", "lh-1")
    assert not done.auto_approved and not done.publish
    b = bl.get_bulletin(tree, done.bulletin_id or 0)
    assert b.priority == Priority.EMERGENCY and b.target_kind == TargetKind.STATIONS
    assert b.title == "Tin bão khẩn cấp: bão số 9 gây mưa rất to ở huyện Đức Trọng"
    paragraphs = b.body.split("\n\n")
    assert paragraphs[0].startswith("Hồi 7 giờ ngày 22/9, tâm bão số 9 ở cách bờ biển Khánh Hòa khoảng 150 km, sức")
    assert paragraphs[1].startswith("Từ chiều 22/9") and paragraphs[2].startswith("Người dân không ra khỏi nhà")
    assert "  " not in b.body and "Typhoon" not in b.body
    assert b.issuer.startswith("Ban Chỉ huy Phòng chống thiên tai")
    assert (b.valid_from, b.valid_to) == (TODAY, date(2025, 9, 24))  # until it expires
    assert b.plays_per_day == settings.cap_plays_per_day
    row = tree.scalars(select(CapAlert)).one()
    assert (row.sender, row.identifier, row.severity, row.urgency) == (
        "bchpctt@lamdong.gov.vn", "LD-PCTT-2025-0922-01", "Extreme", "Immediate")
    assert tree.scalar(select(AuditLog.action).where(AuditLog.action == "cap.alert"))


def test_the_same_alert_twice_changes_nothing(tree: Session, settings: Settings) -> None:
    first = imp(tree, xml("vn-storm-warning.xml"), settings)
    tree.commit()
    before = count_rows(tree)
    again = imp(tree, xml("vn-storm-warning.xml"), settings)
    assert again.action == "duplicate" and again.bulletin_id == first.bulletin_id
    assert count_rows(tree) == before


def test_auto_approval_is_a_setting_and_goes_through_approve(tree: Session, settings: Settings) -> None:
    on = dataclasses.replace(settings, cap_auto_approve=True)
    done = imp(tree, xml("vn-storm-warning.xml"), on)
    assert done.auto_approved and done.status == "approved" and done.publish
    b = bl.get_bulletin(tree, done.bulletin_id or 0)
    assert [t.to_status for t in b.transitions] == ["submitted", "approved"]
    regen = tree.scalars(select(RegenRequest).where(RegenRequest.bulletin_id == b.id)).one()
    assert regen.emergency and regen.station_codes == ["ha-1", "ha-2", "lh-1"]
    assert tree.scalar(select(AuditLog).where(AuditLog.action == "emergency.approve"))


def test_severe_or_not_immediate_alerts_wait_for_a_reviewer_even_with_auto_approval(
    tree: Session, settings: Settings
) -> None:
    on = dataclasses.replace(settings, cap_auto_approve=True)
    severe = xml("vn-storm-warning.xml").replace(b"<severity>Extreme</severity>", b"<severity>Severe</severity>", 1)
    assert imp(tree, severe, on).status == "submitted"


def test_an_alert_matching_no_unit_goes_to_every_station_marked_for_targeting(
    tree: Session, settings: Settings
) -> None:
    on = dataclasses.replace(settings, cap_auto_approve=True)
    done = imp(tree, xml("oasis-a2-severe-thunderstorm.xml"), on)
    assert done.needs_targeting and done.status == "submitted" and not done.auto_approved
    assert done.unmatched == ("SAME=006109", "SAME=006009", "SAME=006003")
    assert done.language == "en-US" and done.language_fallback  # no Vietnamese info: the first one
    b = bl.get_bulletin(tree, done.bulletin_id or 0)
    assert b.target_kind == TargetKind.ALL and b.title == "SEVERE THUNDERSTORM WARNING"
    assert bl.target_station_codes(tree, b) == ["ha-1", "ha-2", "lh-1", "xh-1"]
    assert b.body.endswith("TAKE COVER IN A SUBSTANTIAL SHELTER UNTIL THE STORM PASSES.")
    assert b.valid_to == TODAY  # expired in 2003: today only
    row = cap.alert_for_bulletin(tree, b.id)
    assert row is not None and row.needs_targeting and row.areas and "TUOLUMNE COUNTY" in row.areas[0]
    cap.target(tree, b, ["lh-1"], actor="duyet")
    assert bl.target_station_codes(tree, b) == ["lh-1"] and not row.needs_targeting
    with pytest.raises(BroadcastError, match="chọn ít nhất một đài"):
        cap.target(tree, b, [], actor="duyet")


def test_the_oasis_examples_import(tree: Session, settings: Settings) -> None:
    a1 = imp(tree, xml("oasis-a1-homeland-security.xml"), settings)
    assert a1.needs_targeting and a1.unmatched == ()  # only an areaDesc
    b1 = bl.get_bulletin(tree, a1.bulletin_id or 0)
    assert b1.title == "Homeland Security Sets Code ORANGE" and b1.issuer.startswith("U.S. Government")
    a4 = imp(tree, xml("oasis-a4-amber-alert.xml"), settings)
    assert a4.language == "en-US" and a4.language_fallback
    assert "LIBRAS" not in bl.get_bulletin(tree, a4.bulletin_id or 0).body  # the first info, not the Spanish
    with pytest.raises(NotFound, match="tham chiếu cảnh báo chưa nhận: trinet@caltech.edu,TRI13970876.1,"):
        imp(tree, xml("oasis-a3-earthquake-update.xml"), settings)


def test_the_earthquake_update_changes_the_bulletin_it_references(tree: Session, settings: Settings) -> None:
    original = xml("oasis-a3-earthquake-update.xml").replace(b"TRI13970876.2", b"TRI13970876.1").replace(
        b"<msgType>Update</msgType>", b"<msgType>Alert</msgType>").replace(
        b"2003-06-11T20:56:00-07:00", b"2003-06-11T20:30:00-07:00").replace(
        b"(This event has now been\n            reviewed by a seismologist)", b"").replace(
        b"<references>trinet@caltech.edu,TRI13970876.1,2003-06-11T20:30:00-07:00</references>", b"")
    first = imp(tree, original, settings)
    update = imp(tree, xml("oasis-a3-earthquake-update.xml"), settings)
    assert (update.action, update.bulletin_id) == ("updated", first.bulletin_id)
    b = bl.get_bulletin(tree, first.bulletin_id or 0)
    assert b.body.endswith("(This event has now been reviewed by a seismologist)")
    assert len(tree.scalars(select(Bulletin)).all()) == 1


def test_update_with_a_mapped_scheme_retargets_then_cancel_withdraws(
    tree: Session, settings: Settings, tmp_path: Path
) -> None:
    table = tmp_path / "geocodes.csv"
    table.write_text("scheme,value,unit\nSAME,VN-68-672,672\n", "utf-8")
    mapped = dataclasses.replace(settings, cap_geocode_map=str(table), cap_auto_approve=True)
    first = imp(tree, xml("vn-storm-warning.xml"), mapped)
    assert first.status == "approved"
    tree.query(RegenRequest).delete()
    update = imp(tree, xml("vn-storm-update.xml"), mapped)
    assert update.action == "updated" and update.unit_codes == ("672",)
    b = bl.get_bulletin(tree, first.bulletin_id or 0)
    assert b.title.startswith("Cập nhật tin bão số 9") and b.valid_to == date(2025, 9, 24)
    assert b.status == BulletinStatus.APPROVED and b.render_status == "none" and update.publish
    assert bl.target_station_codes(tree, b) == ["ha-1", "ha-2", "lh-1"]
    assert tree.scalars(select(RegenRequest)).all()  # its stations get new playlists
    cancel = imp(tree, xml("vn-storm-cancel.xml"), mapped)
    assert (cancel.action, cancel.status, cancel.bulletin_id) == ("cancelled", "archived", b.id)
    assert tree.scalar(select(RegenRequest.reason).where(RegenRequest.reason == "bulletin withdrawn"))
    late = xml("vn-storm-update.xml").replace(b"0922-02", b"0922-09")
    with pytest.raises(InvalidTransition, match="đã được rút"):
        imp(tree, late, mapped)


def test_without_the_mapping_the_update_keeps_the_stations_and_asks_the_reviewer(
    tree: Session, settings: Settings
) -> None:
    first = imp(tree, xml("vn-storm-warning.xml"), settings)
    update = imp(tree, xml("vn-storm-update.xml"), settings)
    assert update.needs_targeting and update.unmatched == ("SAME=VN-68-672",)
    assert bl.target_station_codes(tree, bl.get_bulletin(tree, first.bulletin_id or 0)) == ["ha-1", "ha-2", "lh-1"]


def test_a_commune_user_reaches_only_its_own_stations(tree: Session, settings: Settings) -> None:
    from broadcast import users
    from broadcast.models import Role

    users.create_user(tree, username="duyet-ha", role=Role.REVIEWER, password="mat-khau-dai-du-12",
                      actor="admin", unit="24823")
    done = imp(tree, xml("vn-storm-warning.xml"), settings, actor="duyet-ha")
    assert done.stations == ("ha-1", "ha-2") and done.unmatched == ("MaDVHC=24826",)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("ma,gia-tri\n", "cần dòng tiêu đề scheme,value,unit"),
        ("scheme,value,unit\nSAME,006109\n", "dòng 2: cần đủ scheme,value,unit"),
        (None, "Không đọc được bảng ánh xạ mã vùng CAP"),
    ],
)
def test_a_bad_mapping_table_is_a_clear_error(
    tree: Session, settings: Settings, tmp_path: Path, content: str | None, expected: str
) -> None:
    table = tmp_path / "geocodes.csv"
    if content is not None:
        table.write_text(content, "utf-8")
    before = count_rows(tree)
    with pytest.raises(BroadcastError, match=expected):
        imp(tree, xml("vn-storm-warning.xml"), dataclasses.replace(settings, cap_geocode_map=str(table)))
    tree.rollback()
    assert count_rows(tree) == before


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol4;</identifier></alert>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&secret;</identifier></alert>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE alert SYSTEM "http://127.0.0.1:9/cap.dtd">
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier></alert>"""


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (BILLION_LAUGHS, "khai báo thực thể XML ('lol'), có thể gây bùng nổ dữ liệu"),
        (EXTERNAL_ENTITY, "khai báo thực thể bên ngoài ('secret')"),
        (EXTERNAL_DTD, "tham chiếu tài nguyên bên ngoài"),
        (b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><identifier>x</identifier>",
         "không phải XML hợp lệ (dòng 1, cột"),
        (b"\xff\xfe not xml", "không phải XML hợp lệ"),
        (b"", "Tệp cảnh báo CAP trống."),
        (xml("vn-storm-warning.xml").replace(b"cap:1.2", b"cap:1.1"),
         "cần phần tử <alert> trong không gian tên urn:oasis:names:tc:emergency:cap:1.2, tệp có <alert> trong "
         "'urn:oasis:names:tc:emergency:cap:1.1'"),
        (xml("vn-storm-warning.xml").replace(b' xmlns="urn:oasis:names:tc:emergency:cap:1.2"', b""),
         "trong '(không có)'"),
        (b"<feed xmlns='http://www.w3.org/2005/Atom'/>", "tệp có <feed>"),
        (xml("vn-storm-warning.xml").replace(b"<status>Actual</status>", b"<status>Exercise</status>"),
         "trạng thái 'Exercise'"),
        (xml("vn-storm-warning.xml").replace(b"<msgType>Alert</msgType>", b"<msgType>Ack</msgType>"),
         "Loại thông điệp CAP 'Ack'"),
        (xml("vn-storm-warning.xml").replace(b"<sender>bchpctt@lamdong.gov.vn</sender>", b""),
         "thiếu phần tử <sender>"),
        (xml("vn-storm-warning.xml").replace(b"2025-09-22T07:00:00+07:00", b"hom nay"),
         "Thời điểm <sent> 'hom nay' không hợp lệ"),
        (xml("vn-storm-warning.xml").replace(b"LD-PCTT-2025-0922-01", b"LD PCTT"), "<identifier> 'LD PCTT'"),
        (xml("vn-storm-update.xml").replace(b"<references>", b"<references>khong-hop-le ").replace(
            b"</references>", b"</references>"), "Tham chiếu CAP 'khong-hop-le' không hợp lệ"),
        (xml("vn-storm-cancel.xml").split(b"<references>")[0] + b"</alert>", "cần <references>"),
    ],
)
def test_hostile_or_wrong_documents_are_refused_and_write_nothing(
    tree: Session, settings: Settings, data: bytes, expected: str
) -> None:
    before = count_rows(tree)
    with pytest.raises(BroadcastError) as exc:
        imp(tree, data, settings)
    assert expected in str(exc.value)
    tree.rollback()
    assert count_rows(tree) == before


def test_oversized_documents_are_refused_before_parsing(tree: Session, settings: Settings) -> None:
    small = dataclasses.replace(settings, cap_max_bytes=1000)
    before = count_rows(tree)
    with pytest.raises(cap.CapTooLarge, match=r"quá lớn: \d+ byte, tối đa 1000 byte"):
        imp(tree, xml("vn-storm-warning.xml"), small)
    assert count_rows(tree) == before


def test_an_alert_without_info_has_nothing_to_read(tree: Session, settings: Settings) -> None:
    data = xml("vn-storm-warning.xml")
    bare = data.split(b"<info>")[0] + b"</alert>"
    with pytest.raises(BroadcastError, match="không có phần <info>"):
        imp(tree, bare, settings)
