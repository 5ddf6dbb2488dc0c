"""The report's counting rule (broadcast/reports.py) and its safe, Vietnamese CSV (issue 7, items 11, 28, 29)."""

from __future__ import annotations

import csv
import io

from sqlalchemy.orm import Session

from broadcast import asrun, reports
from broadcast import stations as st
from broadcast.models import Bulletin
from tests.broadcast.test_asrun import D1, D2, _bulletin, _playlist, at, row


def _counts(r: reports.ReportRow) -> dict[str, float]:
    return {c: getattr(r, c) for c in reports.COUNTS}


def test_an_item_cut_and_aired_again_is_one_planned_one_aired_one_cut(
    session: Session, stations: list[str]
) -> None:
    b = _bulletin(session, "Lịch tiêm chủng")
    _playlist(session, "hiep-an", D1, 2, [("05:30", "bulletin", b, 180)])
    # cut at 05:31 by an emergency, replayed in full (the agent keeps the planned start: same play)
    asrun.record_asrun(
        session,
        st.get_station(session, "hiep-an"),
        [
            row("c1", D1, "05:30", "cut", secs=60, bulletin_id=b.id),
            row(
                "c2",
                D1,
                "05:30",
                secs=180,
                bulletin_id=b.id,
                actual_start=at(D1, "05:33").isoformat(),
                actual_end=at(D1, "05:36").isoformat(),
            ),
        ],  # fmt: skip
    )
    session.commit()
    [r] = reports.asrun_report(session, D1, D1, "hiep-an", now=at(D2, "00:00"))
    assert _counts(r) == {
        "planned": 1, "upcoming": 0, "aired": 1, "cut": 1, "misses": 0, "skipped": 0, "failed": 0,
        "minutes": 4.0,  # 1 minute cut + 3 minutes replayed: both were on air
    }  # fmt: skip
    [t] = reports.station_totals([r])
    assert (t.planned, t.aired, t.cut) == (1, 1, 1)


def test_an_item_not_yet_due_is_upcoming_not_a_miss(session: Session, stations: list[str]) -> None:
    b = _bulletin(session, "Thông báo họp dân")
    _playlist(session, "hiep-an", D1, 1, [("05:30", "bulletin", b, 120), ("17:00", "bulletin", b, 120)])
    asrun.record_asrun(
        session, st.get_station(session, "hiep-an"), [row("u1", D1, "05:30", secs=120, bulletin_id=b.id)]
    )
    session.commit()
    [r] = reports.asrun_report(session, D1, D1, "hiep-an", now=at(D1, "12:00"))
    assert (r.planned, r.upcoming, r.aired, r.misses) == (1, 1, 1, 0)
    assert "Chưa đến giờ" in reports.report_table([r])
    header = next(csv.reader(io.StringIO(reports.report_csv([r]))))
    assert "Số lần chưa đến giờ" in header


def test_airings_list_each_attempt_with_its_actual_times(session: Session, stations: list[str]) -> None:
    b = _bulletin(session, "Lịch cắt điện")
    _playlist(session, "hiep-an", D1, 1, [("05:30", "bulletin", b, 180)])
    asrun.record_asrun(
        session,
        st.get_station(session, "hiep-an"),
        [
            row("a1", D1, "05:30", "cut", secs=60, bulletin_id=b.id),
            row(
                "a2",
                D1,
                "05:30",
                secs=180,
                bulletin_id=b.id,
                actual_start=at(D1, "05:33").isoformat(),
                actual_end=at(D1, "05:36").isoformat(),
            ),
        ],  # fmt: skip
    )
    session.commit()
    got = reports.airings(session, D1, D1, "hiep-an")
    assert [(a.status, a.actual_start, a.actual_end, a.title) for a in got] == [
        ("cut", at(D1, "05:30"), at(D1, "05:31"), "Lịch cắt điện"),
        ("played", at(D1, "05:33"), at(D1, "05:36"), "Lịch cắt điện"),
    ]


def test_csv_cells_that_look_like_formulas_are_defused(session: Session, stations: list[str]) -> None:
    evil = "=cmd|' /C calc'!A0"
    rows = [
        reports.ReportRow("hiep-an", "+Xã", "relay", None, evil, "normal", planned=1, aired=1, minutes=2.5),
        reports.ReportRow("hiep-an", "@SUM(A1)", "relay", None, "-2+3", "normal"),
        reports.ReportRow("hiep-an", "\tTab", "relay", None, "\rCR", "normal"),
    ]
    table = list(csv.reader(io.StringIO(reports.csv_bytes(rows).decode("utf-8-sig"))))
    cells = [c for line in table[1:] for c in line]
    assert "'" + evil in cells and "'+Xã" in cells and "'@SUM(A1)" in cells and "'-2+3" in cells
    assert "'\tTab" in cells and "'\rCR" in cells
    assert not any(c and c[0] in "=+-@\t\r" for c in cells)
    assert table[1][reports._COLUMNS.index("minutes")] == "2,5"  # decimal comma
    assert table[1][reports._COLUMNS.index("kind")] == "Tiếp sóng"


def test_safe_cell() -> None:
    assert reports.safe_cell("=1+1") == "'=1+1"
    assert reports.safe_cell("Tin 1") == "Tin 1"
    assert reports.safe_cell("") == ""


def test_cli_and_panel_use_the_same_rule(session: Session, stations: list[str]) -> None:
    """The CLI and the panel both call reports.asrun_report/csv_bytes: asrun.py no longer counts."""
    import broadcast.cli
    import web.reports

    assert web.reports.asrun_report is reports.asrun_report and web.reports.csv_bytes is reports.csv_bytes
    assert not hasattr(asrun, "asrun_report")
    with open(broadcast.cli.__file__, encoding="utf-8") as fh:
        assert "reports_mod.csv_bytes" in fh.read()
    _ = Bulletin
