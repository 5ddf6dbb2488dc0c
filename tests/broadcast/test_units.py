"""The administrative tree: lookups, scope (subtree), import from CSV, rename and merge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast import units
from broadcast.errors import BroadcastError, CsvErrors, NotFound
from broadcast.models import AuditLog, Station, Unit, utcnow
from tests.broadcast.conftest import count_rows

TREE = """code,name,kind,parent
68,Tỉnh Lâm Đồng,tinh,
672,Huyện Đức Trọng,huyen,68
24823,Xã Hiệp An,xa,672
24826,Xã Liên Hiệp,xa,672
24820,Phường Xuân Hương,phuong,68
"""


def _tree(session: Session) -> dict[str, Unit]:
    units.import_units(session, units.parse_units_csv(TREE), actor="admin")
    return {u.code: u for u in units.all_units(session)}


def test_import_builds_the_tree_and_subtrees(session: Session) -> None:
    t = _tree(session)
    assert t["24823"].parent_id == t["672"].id and t["672"].parent_id == t["68"].id
    assert units.subtree_ids(session, t["672"].id) == {t["672"].id, t["24823"].id, t["24826"].id}
    assert units.subtree_ids(session, t["24823"].id) == {t["24823"].id}
    assert [u.code for u in units.communes_under(session, t["68"])] == ["24820", "24823", "24826"]
    assert [u.code for u in units.ancestors(session, t["24823"])] == ["672", "68"]
    assert units.get(session, "24823").name == "Xã Hiệp An"
    assert set(units.by_codes(session, ["24823", "nope", "68"])) == {"24823", "68"}
    with pytest.raises(NotFound, match="Không có đơn vị mã 'nope'"):
        units.get(session, "nope")
    assert session.scalar(select(AuditLog.action).where(AuditLog.action == "units.import"))


def test_reimport_is_unchanged_and_a_new_name_is_a_rename(session: Session) -> None:
    _tree(session)
    again = units.import_units(session, units.parse_units_csv(TREE), actor="admin")
    assert again.created == [] and again.updated == [] and len(again.unchanged) == 5
    before = utcnow() - timedelta(seconds=1)
    renamed = units.import_units(session, units.parse_units_csv(TREE.replace("Xã Hiệp An", "Xã Hiệp An Mới")),
                                 actor="admin")
    assert renamed.updated == ["24823"]
    u = units.get(session, "24823")
    assert u.name == "Xã Hiệp An Mới"
    assert units.name_on(session, u, before) == "Xã Hiệp An"
    assert units.name_on(session, u, utcnow() + timedelta(seconds=1)) == "Xã Hiệp An Mới"


@pytest.mark.parametrize(
    ("csv_text", "expected"),
    [
        ("", "dòng 1: tệp trống"),
        ("code,name,kind\n68,Lâm Đồng,tinh\n", "dòng 1: thiếu cột parent"),
        ("code,name,kind,parent,x\n", "cột lạ x"),
        ("code,name,kind,parent\n68,,tinh,\n", "dòng 2: thiếu tên đơn vị"),
        ("code,name,kind,parent\n68,A,quan,\n", "dòng 2: cấp 'quan' không hợp lệ"),
        ("code,name,kind,parent\nLD 68,A,tinh,\n", "dòng 2: mã đơn vị 'LD 68' không hợp lệ"),
        ("code,name,kind,parent\n68,A,tinh,\n68,B,tinh,\n", "dòng 3: mã đơn vị '68' trùng với dòng 2"),
        ("code,name,kind,parent\n68,A,tinh,\n1,B\n", "dòng 3: có 2 cột, cần 4"),
        ("code,name,kind,parent\n", "không có đơn vị nào"),
    ],
)
def test_parse_errors_name_their_lines(csv_text: str, expected: str) -> None:
    with pytest.raises(CsvErrors) as exc:
        units.parse_units_csv(csv_text)
    assert expected in str(exc.value)
    assert "chưa nhập gì" in str(exc.value)


@pytest.mark.parametrize(
    ("csv_text", "expected"),
    [
        ("code,name,kind,parent\n1,Xã A,xa,\n", "dòng 2: xã cần đơn vị cấp trên"),
        ("code,name,kind,parent\n1,Xã A,xa,99\n", "dòng 2: không có đơn vị cấp trên mã '99'"),
        ("code,name,kind,parent\n68,T,tinh,\n1,Xã A,xa,68\n2,Xã B,xa,1\n", "dòng 4: xã không thể trực thuộc xã '1'"),
        ("code,name,kind,parent\n68,T,tinh,\n69,T2,tinh,68\n", "dòng 3: tỉnh là cấp cao nhất"),
    ],
)
def test_tree_errors_import_nothing(session: Session, csv_text: str, expected: str) -> None:
    before = count_rows(session)
    with pytest.raises(CsvErrors, match=expected):
        units.import_units(session, units.parse_units_csv(csv_text), actor="admin")
    assert count_rows(session) == before


def test_a_district_with_communes_cannot_become_a_commune(session: Session) -> None:
    _tree(session)
    with pytest.raises(CsvErrors, match="'24823' \\(xã\\) đang trực thuộc đơn vị này"):
        units.import_units(session, units.parse_units_csv("code,name,kind,parent\n672,Đức Trọng,xa,68\n"),
                           actor="admin")


def test_merge_keeps_the_merged_commune_findable_under_the_surviving_one(session: Session) -> None:
    t = _tree(session)
    session.add(Station(code="hiep-an-1", name="Cụm 1 Hiệp An", unit_id=t["24823"].id))
    session.flush()
    units.merge(session, t["24823"], t["24826"], actor="admin")
    assert units.current(session, t["24823"]).code == "24826"
    assert t["24823"].id in units.subtree_ids(session, t["24826"].id)
    assert [s.code for s in units.stations_under(session, t["24826"])] == ["hiep-an-1"]
    assert units.commune_of(session, session.scalar(select(Station))).code == "24826"  # type: ignore[union-attr]
    assert [u.code for u in units.communes_under(session, t["672"])] == ["24826"]
    assert [u.code for u in units.communes_under(session, t["672"], include_merged=True)] == ["24823", "24826"]
    assert units.label(session, t["24823"]) == "Xã Hiệp An (đã nhập vào Xã Liên Hiệp)"
    assert units.get(session, "24823").name == "Xã Hiệp An"  # its name stays for reports of the past
    with pytest.raises(BroadcastError, match="đã được sáp nhập trước đó"):
        units.merge(session, t["24823"], t["24826"], actor="admin")
    with pytest.raises(BroadcastError, match="cùng cấp"):
        units.merge(session, t["24820"], t["672"], actor="admin")
    with pytest.raises(CsvErrors, match="đơn vị cấp trên '24823' đã được sáp nhập"):
        units.import_units(session, units.parse_units_csv("code,name,kind,parent\n9,X,xa,24823\n"), actor="a")


def test_rename_records_the_old_name(session: Session) -> None:
    t = _tree(session)
    units.rename(session, t["24823"], "  Xã   Hiệp An 2 ", actor="admin")
    assert t["24823"].name == "Xã Hiệp An 2"
    with pytest.raises(BroadcastError, match="không được trống"):
        units.rename(session, t["24823"], " ", actor="admin")
    assert session.scalar(select(AuditLog.detail).where(AuditLog.action == "unit.rename")) == {
        "before": "Xã Hiệp An", "after": "Xã Hiệp An 2"}
