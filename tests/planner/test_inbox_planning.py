"""The planner and Circular 39: a higher unit's normal bulletin airs at a commune only once the
commune accepts it (or accepts by default); priority ones air without asking, in the commune's
order; emergencies always; no bulletin leaves its issuing unit's stations."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from broadcast import inbox, units
from broadcast.generate import generate_playlists
from broadcast.models import Unit
from loa.config import Settings
from tests.planner.conftest import Rows

DAY = date(2026, 12, 1)
NIGHT = datetime(2026, 11, 30, 17, 5, tzinfo=UTC)
TREE = "code,name,kind,parent\n68,Tỉnh Lâm Đồng,tinh,\n24823,Xã Hiệp An,xa,68\n24826,Xã Liên Hiệp,xa,68\n"


def _setup(db: Session, rows: Rows) -> dict[str, Unit]:
    units.import_units(db, units.parse_units_csv(TREE), actor="admin")
    t = {u.code: u for u in units.all_units(db)}
    for code, unit in (("ha-1", "24823"), ("ha-2", "24823"), ("lh-1", "24826")):
        rows.station(code, sessions=[(6, 0, 30), (17, 0, 30)]).unit_id = t[unit].id
    db.flush()
    return t


def _titles(db: Session, settings: Settings) -> dict[str, list[str]]:
    res = generate_playlists(db, settings, [DAY], None, now=NIGHT)
    db.commit()
    from broadcast.generate import latest_playlist

    out = {}
    for r in res:
        pl = latest_playlist(db, r.station, DAY)
        assert pl is not None
        out[r.station] = [it["title"] for it in pl.manifest["items"] if it["kind"] == "bulletin"]
    return out


def test_normal_from_above_waits_for_each_commune(db: Session, rows: Rows, settings: Settings) -> None:
    t = _setup(db, rows)
    b = rows.bulletin("Tỉnh: thông báo")
    b.unit_id = t["68"].id
    own = rows.bulletin("Xã: lịch tiêm")
    own.unit_id = t["24823"].id
    db.flush()
    got = _titles(db, settings)
    assert got == {"ha-1": ["Xã: lịch tiêm"], "ha-2": ["Xã: lịch tiêm"], "lh-1": []}
    inbox.accept(db, b, t["24823"], actor="admin")
    inbox.decline(db, b, t["24826"], actor="admin", reason="Trùng nội dung đã phát")
    got = _titles(db, settings)
    assert "Tỉnh: thông báo" in got["ha-1"] and "Tỉnh: thông báo" in got["ha-2"]
    assert got["lh-1"] == []  # declined; and the commune's own bulletin never reaches its neighbour


def test_auto_accept_default_places_waiting_normal_bulletins(db: Session, rows: Rows, settings: Settings) -> None:
    t = _setup(db, rows)
    b = rows.bulletin("Tỉnh: thông báo")
    b.unit_id = t["68"].id
    db.flush()
    inbox.set_auto_accept(db, t["24826"], True, actor="admin")
    got = _titles(db, settings)
    assert got["lh-1"] == ["Tỉnh: thông báo"] and got["ha-1"] == []
    assert [e.state for e in inbox.status(db, b)] == [inbox.WAITING, inbox.AUTO]


def test_priority_airs_without_asking_in_the_communes_order(db: Session, rows: Rows, settings: Settings) -> None:
    t = _setup(db, rows)
    own = rows.bulletin("Xã: ưu tiên", priority="priority", valid_from=date(2026, 10, 1))
    own.unit_id = t["24823"].id
    up = rows.bulletin("Tỉnh: ưu tiên", priority="priority")
    up.unit_id = t["68"].id
    db.flush()
    got = _titles(db, settings)
    assert got["ha-1"][:2] == ["Tỉnh: ưu tiên", "Xã: ưu tiên"]  # the province's first by default
    assert got["lh-1"] == ["Tỉnh: ưu tiên"]
    inbox.order(db, up, t["24823"], "after", actor="admin")
    got = _titles(db, settings)
    assert got["ha-1"][:2] == ["Xã: ưu tiên", "Tỉnh: ưu tiên"]
    assert got["lh-1"] == ["Tỉnh: ưu tiên"]


def test_emergency_from_above_airs_everywhere(db: Session, rows: Rows, settings: Settings) -> None:
    t = _setup(db, rows)
    b = rows.bulletin("Tỉnh: bão khẩn cấp", priority="emergency")
    b.unit_id = t["68"].id
    db.flush()
    got = _titles(db, settings)
    assert all(v[:1] == ["Tỉnh: bão khẩn cấp"] for v in got.values())


def test_merged_commune_follows_the_surviving_units_decisions(db: Session, rows: Rows, settings: Settings) -> None:
    t = _setup(db, rows)
    units.merge(db, t["24823"], t["24826"], actor="admin")
    b = rows.bulletin("Tỉnh: thông báo")
    b.unit_id = t["68"].id
    db.flush()
    assert [e.unit_code for e in inbox.status(db, b)] == ["24826"]
    inbox.accept(db, b, t["24826"], actor="admin")
    got = _titles(db, settings)
    assert got == {"ha-1": ["Tỉnh: thông báo"], "ha-2": ["Tỉnh: thông báo"], "lh-1": ["Tỉnh: thông báo"]}
