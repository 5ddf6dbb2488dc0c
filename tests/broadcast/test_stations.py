from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as hs
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broadcast import sessions as sessions_svc
from broadcast import stations as st
from broadcast.errors import BroadcastError, CsvErrors, Forbidden, NotFound
from broadcast.models import AuditLog, BroadcastSession, Station, StationGroup
from broadcast.security import hash_token
from tests.broadcast.conftest import STATIONS_CSV, count_rows

# --- session specs ---------------------------------------------------------------------------


def test_parse_sessions_sample_spec() -> None:
    a, b = st.parse_sessions("Mon-Sat 05:30-06:00; Mon-Sat 17:00-17:45")
    assert (a.weekdays, a.start_time, a.max_minutes, a.on_date) == ("123456", time(5, 30), 30, None)
    assert (b.weekdays, b.start_time, b.max_minutes) == ("123456", time(17, 0), 45)
    assert b.end_time == time(17, 45)


@pytest.mark.parametrize(
    ("spec", "weekdays"),
    [
        ("Mon-Sun 05:30-06:15", "1234567"),
        ("T2-T7 05:30-06:00", "123456"),
        ("CN 07:00-07:30", "7"),
        ("mon,wed,FRI 05:30-06:00", "135"),
        ("Sat-Mon 05:30-06:00", "167"),  # a range may wrap past Sunday
        ("Mon-Tue,Thu 05:30-06:00", "124"),
    ],
)
def test_parse_sessions_days(spec: str, weekdays: str) -> None:
    assert st.parse_sessions(spec)[0].weekdays == weekdays


def test_parse_sessions_one_off_date() -> None:
    (s,) = st.parse_sessions("2026-12-01 19:00-19:30")
    assert s.on_date == date(2026, 12, 1)
    assert s.weekdays == "2"  # a Tuesday
    assert s.max_minutes == 30


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("Mon-Sat 06:00-05:30", "sau giờ bắt đầu"),
        ("Mon-Sat 23:30-00:15", "sau giờ bắt đầu"),  # crosses midnight
        ("Lun 05:30-06:00", "Không hiểu ngày"),
        ("Mon-Sat 25:00-26:00", "không hợp lệ"),
        ("Mon-Sat 05:30", "sai dạng"),
        ("2026-02-30 05:30-06:00", "không hợp lệ"),
        ("", "Chưa có phiên"),
        ("Mon,,Tue 05:30-06:00", "phần trống"),
    ],
)
def test_parse_sessions_errors_are_vietnamese(spec: str, words: str) -> None:
    with pytest.raises(BroadcastError, match=words):
        st.parse_sessions(spec)


_specs = hs.builds(
    st.SessionSpec,
    weekdays=hs.sets(hs.integers(1, 7), min_size=1).map(lambda s: "".join(str(d) for d in sorted(s))),
    start_time=hs.builds(time, hs.integers(0, 22), hs.integers(0, 59)),
    max_minutes=hs.integers(1, 60),
    on_date=hs.none() | hs.dates(date(2020, 1, 1), date(2035, 12, 31)),
)


@given(hs.lists(_specs, min_size=1, max_size=4))
def test_sessions_format_parse_round_trip(specs: list[st.SessionSpec]) -> None:
    # A one-off's weekday digit is derived from its date.
    specs = [
        s
        if s.on_date is None
        else st.SessionSpec(str(s.on_date.isoweekday()), s.start_time, s.max_minutes, s.on_date)
        for s in specs
    ]
    assert st.parse_sessions(st.format_sessions(specs)) == specs


@given(hs.sets(hs.integers(1, 7), min_size=1))
def test_format_weekdays_round_trip(days: set[int]) -> None:
    digits = "".join(str(d) for d in sorted(days))
    assert st.parse_sessions(f"{st.format_weekdays(digits)} 05:00-05:30")[0].weekdays == digits


def test_check_overlaps() -> None:
    st.check_overlaps(st.parse_sessions("Mon-Sat 05:30-06:00; Mon-Sat 06:00-06:30"))  # back to back
    st.check_overlaps(st.parse_sessions("Mon-Wed 05:30-06:00; Thu-Sun 05:45-06:30"))  # different days
    with pytest.raises(BroadcastError, match="trùng giờ.*thứ Bảy"):
        st.check_overlaps(st.parse_sessions("Sat 05:30-06:00; Fri-Sun 05:45-06:30"))
    # A one-off session on a Tuesday collides with a weekly Tuesday one, not with a Monday one.
    with pytest.raises(BroadcastError, match="01/12/2026"):
        st.check_overlaps(st.parse_sessions("Tue 17:00-17:45; 2026-12-01 17:30-18:00"))
    st.check_overlaps(st.parse_sessions("Mon 17:00-17:45; 2026-12-01 17:30-18:00"))
    st.check_overlaps(st.parse_sessions("2026-12-01 17:00-17:45; 2026-12-02 17:30-18:00"))


# --- CSV import ---------------------------------------------------------------------------------


def test_import_real_sample(session: Session) -> None:
    rows = st.parse_stations_csv(STATIONS_CSV.read_text("utf-8"))
    res = st.import_stations(session, rows, group="Huyện Đức Trọng", district="Đức Trọng")
    session.commit()
    assert len(res.created) == 15 and res.updated == [] and res.sessions == 30
    assert session.scalar(select(func.count()).select_from(Station)) == 15
    assert session.scalar(select(func.count()).select_from(BroadcastSession)) == 30
    nthol = st.get_station(session, "nthol-ha")
    assert nthol.name == "Xã N'Thôl Hạ" and nthol.kind == "xa" and nthol.district == "Đức Trọng"
    assert st.format_sessions(nthol.sessions) == "Mon-Sun 05:30-06:15; Mon-Sun 17:00-17:45"
    grp = st.get_group(session, "Huyện Đức Trọng")
    assert len(grp.stations) == 15
    assert session.scalar(select(AuditLog.action)) == "stations.import"


def test_reimport_updates_in_place(session: Session, stations: list[str]) -> None:
    text = STATIONS_CSV.read_text("utf-8").replace(
        'Xã Hiệp An,xa,"Mon-Sat 05:30-06:00;', 'Xã Hiệp An mới,xa,"Mon-Sat 05:00-05:30;'
    )
    one_off = sessions_svc.add_session(
        session, st.get_station(session, "hiep-an"), st.parse_sessions("2026-12-01 20:00-20:30")[0]
    )
    res = st.import_stations(session, st.parse_stations_csv(text), group="duc-trong")
    session.commit()
    assert res.created == [] and len(res.updated) == 15
    session.expire_all()
    hiep_an = st.get_station(session, "hiep-an")
    assert hiep_an.name == "Xã Hiệp An mới"
    # weekly sessions replaced by the CSV's, the one-off session kept
    assert (
        st.format_sessions(hiep_an.sessions)
        == "Mon-Sat 05:00-05:30; Mon-Sat 17:00-17:45; 2026-12-01 20:00-20:30"
    )
    assert one_off.id in [s.id for s in hiep_an.sessions]
    assert session.scalar(select(func.count()).select_from(BroadcastSession)) == 31
    assert session.scalar(select(func.count()).select_from(StationGroup)) == 1


def test_reimport_of_a_csv_with_one_off_sessions_is_idempotent(session: Session) -> None:
    text = 'code,name,kind,sessions\nx,Xã X,xa,"Mon-Sat 05:30-06:00; 2026-12-01 19:00-19:30"\n'
    for _ in range(2):
        st.import_stations(session, st.parse_stations_csv(text))
        session.commit()
    session.expire_all()
    x = st.get_station(session, "x")
    assert st.format_sessions(x.sessions) == "Mon-Sat 05:30-06:00; 2026-12-01 19:00-19:30"


def test_bad_csv_lists_every_bad_line_and_imports_nothing(session: Session) -> None:
    text = (
        "code,name,kind,sessions\n"
        'ok-1,Xã Một,xa,"Mon-Sat 05:30-06:00"\n'
        'Bad Code,Xã Hai,xa,"Mon-Sat 05:30-06:00"\n'  # line 3
        'ok-3,,xa,"Mon-Sat 05:30-06:00"\n'  # line 4: no name
        'ok-4,Xã Bốn,huyen,"Mon-Sat 05:30-06:00"\n'  # line 5: bad kind
        'ok-5,Xã Năm,xa,"Mon-Sat 05:30-06:00; Mon 05:45-06:10"\n'  # line 6: overlap
        'ok-1,Xã Một lại,xa,"Mon-Sat 05:30-06:00"\n'  # line 7: duplicate code
        "ok-7,Xã Bảy,xa,Mon-Sat 05:30-06:00; Mon 07:00-07:30\n"  # line 8: unquoted ';' is fine…
        "ok-8,Xã Tám,xa,Mon-Sat 05:30-06:00,extra\n"  # line 9: …but an extra column is not
        "\n"
        'ok-9,Xã Chín,xa,"Lun-Sam 05:30-06:00"\n'  # line 11: unknown day
    )
    before = count_rows(session)
    with pytest.raises(CsvErrors) as info:
        st.parse_stations_csv(text)
    lines = [line for line, _ in info.value.errors]
    assert lines == [3, 4, 5, 6, 7, 9, 11]
    reasons = dict(info.value.errors)
    assert "mã đài 'Bad Code' không hợp lệ" in reasons[3]
    assert "thiếu tên đài" in reasons[4]
    assert "loại đài 'huyen'" in reasons[5]
    assert "trùng giờ" in reasons[6]
    assert "trùng với dòng 2" in reasons[7]
    assert "có 5 cột, cần 4" in reasons[9]
    assert "Không hiểu ngày" in reasons[11]
    assert "dòng 11:" in str(info.value) and "7 dòng lỗi" in str(info.value)
    assert count_rows(session) == before


def test_excel_semicolon_csv() -> None:
    """Excel with Vietnamese regional settings separates columns with ';'."""
    rows = st.parse_stations_csv(
        'code;name;kind;sessions\r\nhiep-an;Xã Hiệp An;xa;"Mon-Sat 05:30-06:00; Mon-Sat 17:00-17:45"\r\n'
    )
    assert [(r.code, r.name, len(r.sessions)) for r in rows] == [("hiep-an", "Xã Hiệp An", 2)]


def test_csv_header_problems() -> None:
    with pytest.raises(CsvErrors, match="thiếu cột sessions"):
        st.parse_stations_csv("code,name,kind\nx,X,xa\n")
    with pytest.raises(CsvErrors, match="cột lạ phone"):
        st.parse_stations_csv("code,name,kind,sessions,phone\n")
    with pytest.raises(CsvErrors, match="tệp trống"):
        st.parse_stations_csv("")
    with pytest.raises(CsvErrors, match="không có đài nào"):
        st.parse_stations_csv("code,name,kind,sessions\n\n")


def test_csv_with_bom_quoted_newline_and_optional_columns() -> None:
    text = (
        "\ufeffcode,name,kind,sessions,district,timezone\n"
        'a,"Xã\nA",xa,Mon 05:00-05:30,Đức Trọng,Asia/Ho_Chi_Minh\n'
        "b,Xã B,xa,Mon 05:00-05:30,,Mars/Olympus\n"
    )
    with pytest.raises(CsvErrors) as info:
        st.parse_stations_csv(text)
    assert info.value.errors == [(4, "múi giờ 'Mars/Olympus' không tồn tại")]  # line 4: A spans 2-3
    (row,) = st.parse_stations_csv(text.rsplit("b,", 1)[0])
    assert (row.code, row.name, row.district, row.timezone) == ("a", "Xã\nA", "Đức Trọng", "Asia/Ho_Chi_Minh")


def test_reimport_refused_when_weekly_overlaps_a_stored_one_off(
    session: Session, stations: list[str]
) -> None:
    sessions_svc.add_session(
        session, st.get_station(session, "hiep-an"), st.parse_sessions("2026-12-01 05:00-05:15")[0]
    )
    session.commit()
    before = count_rows(session)
    text = STATIONS_CSV.read_text("utf-8").replace('Hiệp An,xa,"Mon-Sat 05:30', 'Hiệp An,xa,"Mon-Sat 05:10')
    with pytest.raises(BroadcastError, match="hiep-an.*dòng 3.*trùng giờ"):
        st.import_stations(session, st.parse_stations_csv(text))
    session.rollback()
    assert count_rows(session) == before


# --- sessions, lookups, tokens --------------------------------------------------------------------


def test_add_session_refuses_overlap(session: Session, stations: list[str]) -> None:
    station = st.get_station(session, "ta-nang")
    with pytest.raises(BroadcastError, match="trùng giờ"):
        sessions_svc.add_session(session, station, st.parse_sessions("Sun 06:00-06:30")[0])
    sessions_svc.add_session(session, station, st.parse_sessions("Sun 06:15-06:30")[0])
    assert len(station.sessions) == 3


def test_sessions_on(session: Session, stations: list[str]) -> None:
    hiep_an = st.get_station(session, "hiep-an")
    sessions_svc.add_session(session, hiep_an, st.parse_sessions("2026-11-29 19:00-19:30")[0])  # a Sunday
    assert [s.start_time for s in st.sessions_on(hiep_an, date(2026, 11, 28))] == [time(5, 30), time(17, 0)]
    assert [s.start_time for s in st.sessions_on(hiep_an, date(2026, 11, 29))] == [time(19, 0)]
    assert st.sessions_on(hiep_an, date(2026, 11, 22)) == []  # another Sunday


def test_lookups_raise_not_found(session: Session, stations: list[str]) -> None:
    with pytest.raises(NotFound, match="'nowhere'"):
        st.get_station(session, "nowhere")
    with pytest.raises(NotFound, match="x1, x2"):
        st.stations_by_codes(session, ["hiep-an", "x1", "x2"])
    assert [s.code for s in st.stations_by_codes(session, ["ta-nang", "hiep-an"])] == ["ta-nang", "hiep-an"]


def test_agent_token_issue_and_authenticate(session: Session, stations: list[str]) -> None:
    station = st.get_station(session, "hiep-an")
    token = st.issue_agent_token(session, station, actor="admin")
    assert station.token_hash == hash_token(token) and token not in station.token_hash
    assert st.authenticate_station(session, "hiep-an", token) is station
    assert st.station_for_token(session, token) is station
    with pytest.raises(Forbidden):
        st.authenticate_station(session, "hiep-an", "wrong")
    with pytest.raises(Forbidden):
        st.authenticate_station(session, "ta-nang", token)  # another station's token
    with pytest.raises(NotFound):
        st.authenticate_station(session, "nowhere", token)
    new = st.issue_agent_token(session, station)
    with pytest.raises(Forbidden):
        st.authenticate_station(session, "hiep-an", token)  # the old token is revoked
    station.active = False
    with pytest.raises(Forbidden, match="tạm ngừng"):
        st.authenticate_station(session, "hiep-an", new)


def test_record_heartbeat(session: Session, stations: list[str]) -> None:
    station = st.get_station(session, "hiep-an")
    st.record_heartbeat(session, station, {"agent_version": "1.0", "playing": None})
    session.commit()
    session.expire_all()
    station = st.get_station(session, "hiep-an")
    assert station.agent_info == {"agent_version": "1.0", "playing": None}
    assert station.last_heartbeat_at is not None and station.last_heartbeat_at.tzinfo is not None


def _minutes_on_air(s: st.SessionSpec) -> set[tuple[object, int]]:
    """Every (day, minute) a session covers; a one-off's day is its date, a weekly one's every
    date of one sample week that has its weekday — so both kinds can be compared minute by minute."""
    week = [date(2026, 11, 30) + timedelta(days=i) for i in range(7)]  # Mon 30 Nov … Sun 6 Dec
    days = [s.on_date] if s.on_date else [d for d in week if str(d.isoweekday()) in s.weekdays]
    start = s.start_time.hour * 60 + s.start_time.minute
    return {(d, m) for d in days for m in range(start, start + s.max_minutes)}


_week_specs = hs.builds(
    st.SessionSpec,
    weekdays=hs.sets(hs.integers(1, 7), min_size=1).map(lambda s: "".join(str(d) for d in sorted(s))),
    start_time=hs.builds(time, hs.integers(5, 7), hs.sampled_from([0, 15, 30, 45])),
    max_minutes=hs.integers(1, 90),
    on_date=hs.none() | hs.dates(date(2026, 11, 30), date(2026, 12, 6)),
)


@given(_week_specs, _week_specs)
def test_check_overlaps_agrees_with_minute_by_minute(a: st.SessionSpec, b: st.SessionSpec) -> None:
    if a.on_date:
        a = st.SessionSpec(str(a.on_date.isoweekday()), a.start_time, a.max_minutes, a.on_date)
    if b.on_date:
        b = st.SessionSpec(str(b.on_date.isoweekday()), b.start_time, b.max_minutes, b.on_date)
    clash = bool(_minutes_on_air(a) & _minutes_on_air(b))
    try:
        st.check_overlaps([a, b])
        refused = False
    except BroadcastError:
        refused = True
    assert refused == clash


def test_online_means_a_heartbeat_within_three_intervals(session: Session, stations: list[str]) -> None:
    from datetime import UTC, datetime, timedelta

    station = st.get_station(session, stations[0])
    now = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)
    assert not st.is_online(station, 60, now)
    station.last_heartbeat_at = now - timedelta(seconds=180)
    assert st.is_online(station, 60, now)
    station.last_heartbeat_at = now - timedelta(seconds=181)
    assert not st.is_online(station, 60, now)


# --- creating and changing stations (service commands) -------------------------------------------


def _regen(session: Session, reason: str) -> list[list[str] | None]:
    from broadcast.models import RegenRequest

    return [r.station_codes for r in session.scalars(select(RegenRequest).where(RegenRequest.reason == reason))]


def test_import_asks_for_playlists_of_every_station_it_touched(session: Session) -> None:
    rows = st.parse_stations_csv("code,name,kind,sessions\nmot,Xã Một,xa,Mon 05:00-05:30\nhai,Xã Hai,xa,Tue 05:00-05:30\n")
    st.import_stations(session, rows, actor="vanhanh")
    assert _regen(session, "stations imported") == [["hai", "mot"]]


def test_create_station_reports_every_problem_and_stores_nothing(session: Session, stations: list[str]) -> None:
    from broadcast.changes import Invalid

    with pytest.raises(Invalid) as info:
        st.create_station(session, code="Tà Năng!", name="", kind="tinh", timezone="Mars/Base",
                          sessions="Mon-Sat 05:30-06:00; Mon 05:45-06:15", actor="x")
    text = str(info.value)
    for words in ("Mã đài chỉ gồm", "Tên đài không được trống", "Loại đài không hợp lệ", "Múi giờ", "trùng giờ"):
        assert words in text, words
    with pytest.raises(BroadcastError, match="đã có"):
        st.create_station(session, code="hiep-an", name="X", actor="x")
    assert session.scalar(select(func.count(Station.id))) == len(stations)


def test_create_station_audits_and_asks_for_its_playlists(session: Session) -> None:
    station = st.create_station(session, code="da-loan", name="Xã Đà Loan", sessions="T2-T7 05:30-06:00",
                                actor="vanhanh")
    assert [b.weekdays for b in station.sessions] == ["123456"]
    assert _regen(session, "station created") == [["da-loan"]]
    assert session.scalar(select(AuditLog.actor).where(AuditLog.action == "station.create")) == "vanhanh"


def test_update_station_asks_for_playlists_only_when_airing_changes(session: Session, stations: list[str]) -> None:
    station = st.get_station(session, "hiep-an")
    assert st.update_station(session, station, actor="x", name="Xã Hiệp An mới") == {"name": "Xã Hiệp An mới"}
    assert _regen(session, "station changed") == []
    assert st.update_station(session, station, actor="x", active=False) == {"active": False}
    assert _regen(session, "station changed") == [["hiep-an"]]
    assert st.update_station(session, station, actor="x", active=False) == {}
    with pytest.raises(BroadcastError, match="Múi giờ"):
        st.update_station(session, station, actor="x", timezone="Mars/Base")
    with pytest.raises(BroadcastError, match="Không sửa được"):
        st.update_station(session, station, actor="x", code="moi")


def test_connection_state_tells_never_from_lost(session: Session, stations: list[str]) -> None:
    from datetime import UTC, datetime

    station = st.get_station(session, "hiep-an")
    now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert st.connection_state(station, 60, now) == "never"
    station.last_heartbeat_at = now - timedelta(seconds=100)
    assert st.connection_state(station, 60, now) == "online"
    station.last_heartbeat_at = now - timedelta(hours=2)
    assert st.connection_state(station, 60, now) == "lost"
