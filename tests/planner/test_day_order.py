"""The operator's order of a day (broadcast.overrides.set_order, broadcast.day_order)."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast.day_order import apply_order
from broadcast.errors import BroadcastError
from broadcast.generate import latest_playlist
from broadcast.models import AuditLog, Station
from broadcast.overrides import day_order, set_order
from broadcast.planner import PlannedItem
from loa.config import Settings
from tests.planner.conftest import Rows
from tests.planner.test_generate import DAY, VN, run


def _items(db: Session) -> list[tuple[str, str]]:
    m = latest_playlist(db, "A", DAY).manifest
    return [(it["title"], it["start"][11:19]) for it in m["items"] if it["kind"] == "bulletin"]


def test_saved_order_reorders_the_session_keeping_its_span(db: Session, rows: Rows, settings: Settings) -> None:
    rows.station("A", sessions=((6, 0, 30),))
    a, b, c = rows.bulletin("một", 60), rows.bulletin("hai", 120), rows.bulletin("ba", 30)
    db.commit()
    run(db, settings)
    before = _items(db)
    assert [t for t, _s in before] == ["một", "hai", "ba"]
    station = db.scalar(select(Station).where(Station.code == "A"))
    assert station is not None
    set_order(db, settings, station, DAY, [c.id, a.id], actor="op")
    db.commit()
    run(db, settings)  # again at the night before (set_order planned it at the real now, after DAY)
    after = _items(db)
    assert [t for t, _s in after] == ["ba", "một", "hai"]  # "hai" not named: after the named ones
    assert after[0][1] == before[0][1]  # same first start
    assert day_order(db, station, DAY) == [c.id, a.id]
    assert db.scalar(select(AuditLog.action).where(AuditLog.action == "schedule.order")) == "schedule.order"
    set_order(db, settings, station, DAY, [], actor="op")  # back to the planner's order
    db.commit()
    run(db, settings)
    assert [t for t, _s in _items(db)] == ["một", "hai", "ba"] and day_order(db, station, DAY) == []
    assert b.id


def test_bad_orders_are_refused(db: Session, rows: Rows, settings: Settings) -> None:
    st = rows.station("A")
    x = rows.bulletin("x")
    db.commit()
    with pytest.raises(BroadcastError, match="lặp lại"):
        set_order(db, settings, st, DAY, [x.id, x.id], actor="op")
    with pytest.raises(BroadcastError, match="Không có bản tin #999"):
        set_order(db, settings, st, DAY, [999], actor="op")


def _item(title: str, bid: int, hh: int, mm: int, ss: int, seconds: float, **kw: object) -> PlannedItem:
    return PlannedItem(start=datetime.combine(DAY, time(hh, mm, ss), tzinfo=VN), duration_s=seconds, kind="bulletin",
                       title=title, bulletin_id=bid, session="06:00", **kw)  # type: ignore[arg-type]


def test_apply_order_keeps_gaps_and_leaves_past_and_relays_alone() -> None:
    one, two = _item("1", 1, 6, 0, 0, 60), _item("2", 2, 6, 1, 2, 30)  # 2 s gap
    relay = PlannedItem(start=datetime.combine(DAY, time(6, 1, 32), tzinfo=VN), duration_s=60, kind="relay",
                        title="VOV", session="06:00")
    three, four = _item("3", 3, 6, 2, 32, 10), _item("4", 4, 6, 2, 44, 20)
    out = apply_order([one, two, relay, three, four], [4, 2, 3, 1])
    assert [(i.title, i.start.strftime("%H:%M:%S")) for i in out] == [
        ("2", "06:00:00"), ("1", "06:00:32"), ("VOV", "06:01:32"), ("4", "06:02:32"), ("3", "06:02:54")]
    past = apply_order([one, two], [2, 1], now=datetime.combine(DAY, time(6, 0, 30), tzinfo=VN))
    assert [i.title for i in past] == ["1", "2"]  # "1" has started: nothing moves around it
    assert apply_order([one, two], []) == (one, two)
