"""The operator's console services (issue 12): coordinates in the station CSV, today's session
states, the map's placement, remote orders and their acks, and alerts with cool-down and recovery."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broadcast import alerts, dashboard, remote
from broadcast import stations as st
from broadcast.errors import BroadcastError
from broadcast.models import (
    AlertState,
    AsRun,
    AsRunStatus,
    AuditLog,
    BroadcastSession,
    Playlist,
    PlaylistItem,
    Station,
)

TZ = "Asia/Ho_Chi_Minh"
CSV = """code,name,kind,sessions,lat,lon
ta-nang,Xã Tà Năng,xa,"Mon-Sun 05:30-06:00; Mon-Sun 17:00-17:45",11.7351,108.3590
lien-nghia,Thị trấn Liên Nghĩa,thi_tran,"Mon-Sun 06:00-06:30","11,7421","108,3880"
hiep-an,Xã Hiệp An,xa,Mon-Sun 05:30-06:00,,
"""


def _import(session: Session, text: str = CSV) -> dict[str, Station]:
    st.import_stations(session, st.parse_stations_csv(text))
    session.flush()
    return {s.code: s for s in session.scalars(select(Station))}


def test_csv_coordinates_are_optional_and_checked(session: Session) -> None:
    found = _import(session)
    assert (found["ta-nang"].latitude, found["ta-nang"].longitude) == (11.7351, 108.359)
    assert found["lien-nghia"].latitude == pytest.approx(11.7421)  # a decimal comma, as Excel writes it
    assert found["hiep-an"].latitude is None
    bad = "code,name,kind,sessions,lat,lon\nx1,Xã 1,xa,,91,108\nx2,Xã 2,xa,,11.7,\nx3,Xã 3,xa,,bắc,108\n"
    with pytest.raises(st.CsvErrors) as err:
        st.parse_stations_csv(bad)
    text = str(err.value)
    assert "lat '91' phải trong khoảng -90…90 độ" in text
    assert "cần cả lat và lon" in text and "lat 'bắc' không phải số độ" in text


def _station(session: Session) -> Station:
    s = Station(code="xa-1", name="Xã Một", timezone=TZ)
    s.sessions.append(BroadcastSession(weekdays="1234567", start_time=time(5, 30), max_minutes=30))
    s.sessions.append(BroadcastSession(weekdays="1234567", start_time=time(11, 0), max_minutes=30))
    s.sessions.append(BroadcastSession(weekdays="1234567", start_time=time(17, 0), max_minutes=45))
    s.sessions.append(BroadcastSession(weekdays="1234567", start_time=time(20, 0), max_minutes=30))
    session.add(s)
    session.flush()
    return s


def _local(day: date, hh: int, mm: int) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(hh, mm), ZoneInfo(TZ))


def test_session_states_from_planned_and_aired_items(session: Session) -> None:
    s = _station(session)
    day = date(2026, 12, 2)
    now = _local(day, 17, 10)
    planned = [_local(day, 5, 31), _local(day, 11, 1), _local(day, 17, 1), _local(day, 20, 1)]
    aired = [_local(day, 5, 32)]
    states = [v.state for v in dashboard.session_views(s, day, now, planned, aired)]
    # 05:30 aired; 11:00 planned but silent → missed; 17:00 now; 20:00 later
    assert states == ["done", "missed", "on_air", "upcoming"]
    nothing = [v.state for v in dashboard.session_views(s, day, now, [], [])]
    assert nothing[:2] == ["empty", "empty"]  # nothing was planned: not a miss


def test_overview_reads_heartbeats_playlists_and_asrun(session: Session) -> None:
    s = _station(session)
    day = date(2026, 12, 2)
    now = _local(day, 12, 0).astimezone(UTC)
    pl = Playlist(station_id=s.id, date=day, version=1, manifest={}, etag="x")
    pl.items = [PlaylistItem(position=i, start=_local(day, h, 1), duration_s=60, kind="bulletin", title=f"Tin {h}")
                for i, h in enumerate((5, 11))]
    session.add(pl)
    session.add(AsRun(station_id=s.id, uid="u1", status=AsRunStatus.PLAYED, title="Tin 5",
                      actual_start=_local(day, 5, 31), actual_end=_local(day, 5, 32)))
    st.record_heartbeat(session, s, {"playing": "Tin 11", "agent_version": "1.0"}, now=now - timedelta(seconds=30))
    view = dashboard.overview(session, heartbeat_s=60, now=now)
    [sv] = [x for x in view.stations if x.code == "xa-1"]
    assert sv.state == "online" and sv.playing == "Tin 11"
    assert [x.state for x in sv.sessions] == ["done", "missed", "upcoming", "upcoming"]
    assert view.online == 1 and view.missed == 1


def test_map_puts_north_up_and_east_right() -> None:
    def view(code: str, lat: float, lon: float) -> dashboard.StationView:
        return dashboard.StationView(code, code, "online", None, None, None, None, lat, lon)

    pts = {p.code: p for p in dashboard.map_points([view("n", 11.9, 108.4), view("s", 11.6, 108.4),
                                                     view("e", 11.75, 108.6), view("w", 11.75, 108.2),
                                                     dashboard.StationView("x", "x", "never", None, None, None, None, None, None)])}
    assert set(pts) == {"n", "s", "e", "w"}  # no coordinates, not on the map
    assert pts["n"].y < pts["s"].y and pts["w"].x < pts["e"].x
    assert all(0 <= p.x <= 600 and 0 <= p.y <= 400 for p in pts.values())


def _agent_station(session: Session) -> Station:
    s = Station(code="xa-2", name="Xã Hai", timezone=TZ, token_hash="h")
    session.add(s)
    session.flush()
    return s


def test_orders_are_checked_audited_delivered_until_acknowledged(session: Session) -> None:
    s = _agent_station(session)
    t0 = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    for kind, params in (("volume", {"level": "150"}), ("volume", {}), ("tone", {"seconds": "0"}),
                         ("dance", {}), ("play_now", {"bulletin_id": "999"})):
        with pytest.raises(BroadcastError):
            remote.issue_command(session, s, kind, params, actor="op", ttl_s=60, now=t0)
    vol = remote.issue_command(session, s, "volume", {"level": "40"}, actor="op", ttl_s=60, now=t0)
    stop = remote.issue_command(session, s, "stop", {}, actor="op", ttl_s=60, now=t0)
    assert vol.params == {"level": 40} and stop.params == {"minutes": remote.STOP_DEFAULT_MIN}
    audits = list(session.scalars(select(AuditLog.action).where(AuditLog.target == "xa-2")))
    assert audits == ["remote.volume", "remote.stop"]
    first = remote.deliver(session, s, now=t0)
    assert [c["kind"] for c in first] == ["volume", "stop"] and remote.state(vol, t0) == "sent"
    assert remote.deliver(session, s, now=t0 + timedelta(seconds=5)) == first  # a lost reply: sent again
    other = Station(code="xa-3", name="Xã Ba", token_hash="h2")
    session.add(other)
    session.flush()
    assert remote.acknowledge(session, other, [remote.Ack(vol.id, True, "x")]) == 0  # not its order
    assert remote.acknowledge(session, s, [remote.Ack(vol.id, True, "âm lượng 40%")]) == 1
    assert remote.acknowledge(session, s, [remote.Ack(vol.id, False, "again")]) == 0  # repeats ignored
    assert remote.state(vol) == "done" and vol.result == "âm lượng 40%"
    assert [c["kind"] for c in remote.deliver(session, s, now=t0)] == ["stop"]
    assert remote.deliver(session, s, now=t0 + timedelta(seconds=61)) == []  # expired
    assert remote.state(stop, t0 + timedelta(seconds=61)) == "expired"


def test_resume_takes_no_parameters_and_is_audited(session: Session) -> None:
    s = _agent_station(session)
    cmd = remote.issue_command(session, s, "resume", {"minutes": "5"}, actor="op", ttl_s=60)
    assert cmd.params is None
    assert remote.deliver(session, s) == [{"id": cmd.id, "kind": "resume", "params": {}}]
    assert session.scalar(select(AuditLog.action).where(AuditLog.target == "xa-2")) == "remote.resume"


def test_orders_refused_for_a_station_without_an_agent(session: Session) -> None:
    s = Station(code="xa-4", name="Xã Bốn")
    session.add(s)
    session.flush()
    with pytest.raises(BroadcastError, match="chưa cài máy phát"):
        remote.issue_command(session, s, "tone", {}, actor="op", ttl_s=60)


@pytest.mark.parametrize("acks", [[{"id": "1", "ok": True}], [{"id": 1, "ok": "yes"}], "x",
                                  [{"id": 10194096065320208384, "ok": True}], [{"id": 0, "ok": True}],
                                  [{"id": 1, "ok": True, "result": "x" * 501}], [{"id": 1}] * 51])
def test_bad_acks_are_refused(acks: object) -> None:
    with pytest.raises(BroadcastError):
        remote.parse_acks({"acks": acks})


def test_alerts_raise_once_remind_after_cooldown_and_say_when_back(session: Session) -> None:
    s = _agent_station(session)
    never = Station(code="xa-5", name="Xã Năm", token_hash="h5")
    session.add(never)
    t0 = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    st.record_heartbeat(session, s, {}, now=t0)

    def check(minutes: float) -> list[alerts.Notice]:
        return alerts.evaluate(session, heartbeat_s=60, offline_after_min=10, cooldown_min=60,
                               now=t0 + timedelta(minutes=minutes))

    assert check(5) == []  # silent 5 minutes: not yet
    [raised] = check(11)
    assert raised.event == "raised" and "ngoại tuyến từ 10:00 02/12/2026" in raised.text
    assert check(12) == [] and check(60) == []  # cool-down
    [again] = check(72)
    assert again.event == "reminder"
    st.record_heartbeat(session, s, {}, now=t0 + timedelta(minutes=80))
    [back] = check(80.5)
    assert back.event == "recovered" and "đã kết nối lại" in back.text
    assert check(81) == []
    assert alerts.active_alerts(session) == []
    row = session.scalar(select(AlertState).where(AlertState.key == "offline:xa-2"))
    assert row is not None and row.sent_count == 2 and not row.active


def test_a_missed_session_alerts_once(session: Session) -> None:
    s = _station(session)
    s.token_hash = "h"
    day = date(2026, 12, 2)
    pl = Playlist(station_id=s.id, date=day, version=1, manifest={}, etag="x")
    pl.items = [PlaylistItem(position=0, start=_local(day, 5, 31), duration_s=60, kind="bulletin", title="Tin")]
    session.add(pl)
    session.flush()
    now = _local(day, 7, 0).astimezone(UTC)
    notices = alerts.evaluate(session, heartbeat_s=60, offline_after_min=10, cooldown_min=60, now=now)
    assert [(n.kind, n.event) for n in notices] == [("missed", "raised")]
    assert "bị lỡ phiên 05:30–06:00 ngày 02/12/2026" in notices[0].text
    later = alerts.evaluate(session, heartbeat_s=60, offline_after_min=10, cooldown_min=1, now=now + timedelta(hours=2))
    assert later == []  # a miss is told once, not reminded
    assert session.scalar(select(func.count()).select_from(AlertState)) == 1
