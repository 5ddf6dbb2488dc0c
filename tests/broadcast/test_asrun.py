from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from broadcast import asrun, reports
from broadcast import bulletins as bl
from broadcast import stations as st
from broadcast.errors import BroadcastError, NotFound
from broadcast.models import AsRun, Bulletin, Playlist, PlaylistItem, Station
from tests.broadcast.conftest import count_rows

VN = ZoneInfo("Asia/Ho_Chi_Minh")
D1, D2, D3 = date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)
SHA = "ab" * 32


def at(day: date, hhmm: str, seconds: int = 0) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=VN) + timedelta(seconds=seconds)


def row(uid: str, day: date, hhmm: str, status: str = "played", secs: int = 180, **kw: Any) -> dict[str, Any]:
    start = at(day, hhmm)
    r: dict[str, Any] = {
        "uid": uid,
        "date": day.isoformat(),
        "version": 1,
        "kind": "bulletin",
        "title": "Tin",
        "sha256": SHA,
        "bulletin_id": None,
        "planned_start": start.isoformat(),
        "planned_end": (start + timedelta(seconds=secs)).isoformat(),
        "actual_start": None,
        "actual_end": None,
        "status": status,
        "detail": "",
    }
    if status in ("played", "cut"):
        r["actual_start"] = start.isoformat()
        r["actual_end"] = (start + timedelta(seconds=secs)).isoformat()
    r.update(kw)
    return r


# --- ingestion ---------------------------------------------------------------------------------


def test_same_batch_twice_is_stored_once(session: Session, stations: list[str]) -> None:
    station = st.get_station(session, "hiep-an")
    batch = [row("u1", D1, "05:30"), row("u2", D1, "05:35", "skipped"), row("u3", D1, "17:00", "cut", 60)]
    assert asrun.record_asrun(session, station, batch) == (3, 0)
    session.commit()
    assert asrun.record_asrun(session, station, batch) == (0, 3)
    assert asrun.record_asrun(session, station, [*batch, row("u4", D1, "17:05")]) == (1, 3)
    session.commit()
    assert session.scalar(select(func.count()).select_from(AsRun)) == 4
    assert station.last_sync_at is not None


def test_uid_is_per_station_and_repeats_in_a_batch_are_duplicates(
    session: Session, stations: list[str]
) -> None:
    a, b = st.get_station(session, "hiep-an"), st.get_station(session, "ta-nang")
    assert asrun.record_asrun(session, a, [row("u1", D1, "05:30"), row("u1", D1, "05:30")]) == (1, 1)
    assert asrun.record_asrun(session, b, [row("u1", D1, "05:30")]) == (1, 0)  # another station's u1
    stored = session.scalars(select(AsRun).where(AsRun.station_id == a.id)).one()
    assert stored.actual_start == at(D1, "05:30") and stored.actual_start.tzinfo is not None
    assert stored.playlist_date == D1 and stored.media_sha256 == SHA


def test_a_bad_row_stores_nothing_and_every_bad_row_is_named(session: Session, stations: list[str]) -> None:
    station = st.get_station(session, "hiep-an")
    before = count_rows(session)
    batch = [
        row("ok", D1, "05:30"),
        row("naive", D1, "05:35", actual_start="2026-12-01T05:35:00"),  # no offset
        row("", D1, "05:40"),
        row("state", D1, "05:45", status="lost"),
        row("sha", D1, "05:50", sha256="XYZ"),
        row("order", D1, "05:55", actual_end=at(D1, "05:00").isoformat()),
        row("start", D1, "06:00", actual_start=None),  # played but never started?
        row("date", D1, "06:05", date="01/12/2026"),
        "not a row",
    ]
    with pytest.raises(BroadcastError) as info:
        asrun.record_asrun(session, station, batch)  # type: ignore[arg-type]
    msg = str(info.value)
    reasons = {int(n): text for n, text in re.findall(r"dòng (\d+): ([^;]*)", msg)}
    assert sorted(reasons) == list(range(2, 10))
    for n, words in [
        (2, "thiếu múi giờ"),
        (3, "uid"),
        (4, "status 'lost'"),
        (5, "sha256"),
        (6, "actual_end trước actual_start"),
        (7, "cần actual_start"),
        (8, "date '01/12/2026'"),
        (9, "đối tượng JSON"),
    ]:
        assert words in reasons[n]
    session.rollback()
    assert count_rows(session) == before


def test_unknown_bulletin_id_is_kept_as_null(session: Session, stations: list[str]) -> None:
    station = st.get_station(session, "hiep-an")
    asrun.record_asrun(session, station, [row("u1", D1, "05:30", bulletin_id=999)])
    assert session.scalars(select(AsRun.bulletin_id)).one() is None


# --- report ---------------------------------------------------------------------------------------


def _bulletin(session: Session, title: str, priority: str = "normal") -> Bulletin:
    b = bl.create_bulletin(
        session, title=title, body="Nội dung.", priority=priority, valid_from=D1, valid_to=D3, actor="e"
    )
    bl.submit(session, b, "e")
    bl.approve(session, b, "r")
    return b


def _playlist(
    session: Session, code: str, day: date, version: int, items: list[tuple[str, str, Bulletin | None, float]]
) -> None:
    station = st.get_station(session, code)
    pl = Playlist(
        station_id=station.id,
        date=day,
        version=version,
        manifest={"version": version},
        etag=f"{code}{day}{version}",
    )
    for pos, (hhmm, kind, b, dur) in enumerate(items):
        pl.items.append(
            PlaylistItem(
                position=pos,
                start=at(day, hhmm),
                duration_s=dur,
                kind=kind,
                title=b.title if b else "Thời sự VOV1",
                priority=b.priority.value if b else "normal",
                bulletin_id=b.id if b else None,
            )
        )
    session.add(pl)


@pytest.fixture
def dataset(session: Session, stations: list[str]) -> dict[str, Bulletin]:
    b1, b2, b3 = (
        _bulletin(session, "Lịch cắt điện"),
        _bulletin(session, "Tiêm chủng", "priority"),
        _bulletin(session, "Bão khẩn", "emergency"),
    )
    # hiep-an, 1 Dec: version 1 was replaced by version 2, which added an evening play and a relay
    _playlist(session, "hiep-an", D1, 1, [("05:30", "bulletin", b1, 180), ("05:35", "bulletin", b2, 60)])
    _playlist(
        session,
        "hiep-an",
        D1,
        2,
        [
            ("05:30", "bulletin", b1, 180),
            ("05:35", "bulletin", b2, 60),
            ("17:00", "bulletin", b1, 180),
            ("17:10", "relay", None, 900),
        ],
    )
    _playlist(session, "hiep-an", D2, 1, [("05:30", "bulletin", b1, 120), ("05:40", "bulletin", b2, 60)])
    _playlist(session, "hiep-an", D3, 1, [("05:30", "bulletin", b1, 120)])  # not aired yet at `now`
    _playlist(session, "ta-nang", D1, 1, [("05:30", "bulletin", b1, 180)])
    ha, tn = st.get_station(session, "hiep-an"), st.get_station(session, "ta-nang")
    asrun.record_asrun(
        session,
        ha,
        [
            row("a1", D1, "05:30", bulletin_id=b1.id, secs=180),
            row("a2", D1, "05:35", "cut", secs=60, bulletin_id=b2.id),
            row("a3", D1, "17:00", "skipped", bulletin_id=b1.id, version=2),
            row("a4", D1, "17:10", secs=900, kind="relay", title="Thời sự VOV1", sha256=None, version=2),
            row("a5", D2, "05:30", secs=120, bulletin_id=b1.id),
            row("a6", D2, "05:40", "failed", bulletin_id=b2.id, detail="tệp hỏng"),
            row(
                "a7", D2, "09:00", secs=120, bulletin_id=b3.id, version=2
            ),  # emergency, not in the latest plan
            row("a8", date(2026, 11, 30), "05:30", bulletin_id=b1.id),  # outside the period
        ],
    )
    asrun.record_asrun(session, tn, [])
    session.commit()
    return {"b1": b1, "b2": b2, "b3": b3}


NOW = at(D2, "23:00")


def test_report_numbers(session: Session, dataset: dict[str, Bulletin]) -> None:
    b1, b2, b3 = dataset["b1"], dataset["b2"], dataset["b3"]
    rows = reports.asrun_report(session, D1, D3, now=NOW)
    got = {
        (r.station_code, r.bulletin_id or r.title): (
            r.planned,
            r.aired,
            r.cut,
            r.minutes,
            r.skipped,
            r.failed,
            r.misses,
        )
        for r in rows
    }
    assert got == {
        ("hiep-an", b1.id): (3, 2, 0, 5.0, 1, 0, 1),  # evening play on 1 Dec skipped
        ("hiep-an", b2.id): (2, 1, 1, 1.0, 0, 1, 1),  # cut short on 1 Dec, failed on 2 Dec
        ("hiep-an", b3.id): (0, 1, 0, 2.0, 0, 0, 0),
        ("hiep-an", "Thời sự VOV1"): (1, 1, 0, 15.0, 0, 0, 0),
        ("ta-nang", b1.id): (1, 0, 0, 0.0, 0, 0, 1),  # planned, never reported
    }
    first = rows[0]
    assert (first.station_name, first.kind, first.title, first.priority) == (
        "Xã Hiệp An",
        "bulletin",
        "Lịch cắt điện",
        "normal",
    )
    assert [r.kind for r in rows if r.station_code == "hiep-an"] == [
        "bulletin",
        "bulletin",
        "bulletin",
        "relay",
    ]
    assert next(r for r in rows if r.bulletin_id == b3.id).priority == "emergency"
    # once 3 Dec's slot has passed, its plan counts (and is missed)
    later = reports.asrun_report(session, D3, D3, "hiep-an", now=at(D3, "12:00"))
    assert [(r.bulletin_id, r.planned, r.misses) for r in later] == [(b1.id, 1, 1)]


def test_report_station_filter_totals_and_errors(session: Session, dataset: dict[str, Bulletin]) -> None:
    rows = reports.asrun_report(session, D1, D2, "ta-nang", now=NOW)
    assert [(r.station_code, r.misses) for r in rows] == [("ta-nang", 1)]
    totals = reports.station_totals(reports.asrun_report(session, D1, D2, now=NOW))
    assert [(t.station_code, t.planned, t.aired, t.minutes, t.misses) for t in totals] == [
        ("hiep-an", 6, 5, 23.0, 2),
        ("ta-nang", 1, 0, 0.0, 1),
    ]
    b1 = dataset["b1"]
    district = {
        (t.bulletin_id or t.title): (t.station_code, t.planned, t.aired, t.misses)
        for t in reports.programme_totals(reports.asrun_report(session, D1, D2, now=NOW))
    }
    assert district[b1.id] == ("1", 4, 2, 2)  # aired at 1 station of 2; hiep-an missed 1, ta-nang 1
    assert district["Thời sự VOV1"] == ("1", 1, 1, 0)
    with pytest.raises(BroadcastError, match="trước ngày đầu"):
        reports.asrun_report(session, D2, D1)
    with pytest.raises(NotFound):
        reports.asrun_report(session, D1, D2, "nowhere")


def test_rows_without_playlist_date_are_placed_by_local_time(session: Session, stations: list[str]) -> None:
    station = st.get_station(session, "hiep-an")
    # 23:30 UTC on 30 Nov is 06:30 on 1 Dec in Vietnam
    r = row("x", D1, "06:30", date=None)
    r["date"] = "2026-12-01"
    asrun.record_asrun(session, station, [r])
    session.execute(update(AsRun).values(playlist_date=None))
    rows = reports.asrun_report(session, D1, D1, "hiep-an", now=NOW)
    assert [(r.aired, r.minutes) for r in rows] == [(1, 3.0)]
    assert reports.asrun_report(session, date(2026, 11, 30), date(2026, 11, 30), "hiep-an", now=NOW) == []


def test_csv_is_excel_friendly(session: Session, dataset: dict[str, Bulletin]) -> None:
    rows = reports.asrun_report(session, D1, D2, now=NOW)
    data = reports.csv_bytes(rows)
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0][:3] == ["Mã đài", "Tên đài", "Loại"] and table[0][-2:] == ["Số lần không phát", "Ngôn ngữ"]
    assert table[1][-1] == "Tiếng Việt"  # each language counted apart (Decree 49)
    assert len(table) == 1 + len(rows)
    # labels in Vietnamese for the officials who read it (issue 7, item 29)
    assert table[1][:5] == ["hiep-an", "Xã Hiệp An", "Bản tin", str(dataset["b1"].id), "Lịch cắt điện"]
    assert data.count(b"\r\n") == len(table)


def test_json_and_table_formats(session: Session, dataset: dict[str, Bulletin]) -> None:
    rows = reports.asrun_report(session, D1, D2, now=NOW)
    doc = json.loads(reports.report_json(rows, D1, D2))
    assert doc["from"] == "2026-12-01" and len(doc["rows"]) == len(rows)
    assert doc["stations"][1] == {**doc["stations"][1], "station_code": "ta-nang", "misses": 1}
    first = doc["programmes"][0]
    assert (first["bulletin_id"], first["stations_aired"], first["aired"]) == (dataset["b1"].id, 1, 2)
    assert "station_code" not in first
    text = reports.report_table(rows)
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["Đài", "Bản", "tin"]
    assert sum("Tổng" in line for line in lines) == 2
    district = lines[lines.index("Toàn huyện, theo bản tin:") + 3 :]
    assert len(district) == 4 and district[0].split()[:5] == [
        str(dataset["b1"].id),
        "Lịch",
        "cắt",
        "điện",
        "1",
    ]
    assert "Thời sự VOV1" in text


def test_a_racing_retry_counts_the_winners_rows_as_duplicates(
    session: Session, stations: list[str], factory: sessionmaker[Session]
) -> None:
    """The agent retries a timed-out upload while the first request is still storing it. The
    loser's insert hits the unique (station, uid) constraint; it is retried from a savepoint and
    answers like any retry (issue 7, item 14: this used to be a database error, a 500)."""
    station = st.get_station(session, "hiep-an")
    session.commit()
    batch = [row("u1", D1, "05:30"), row("u2", D1, "05:35"), row("u3", D1, "05:40")]
    raced = []

    @event.listens_for(session, "before_flush")
    def other_request_commits_first(s: Session, *_: Any) -> None:
        if not raced:
            raced.append(True)
            with factory() as other, other.begin():
                asrun.record_asrun(other, other.get(Station, station.id), batch[:2])

    assert asrun.record_asrun(session, station, batch) == (1, 2)
    assert raced
    session.commit()
    assert sorted(session.scalars(select(AsRun.uid))) == ["u1", "u2", "u3"]
