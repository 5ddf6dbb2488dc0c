"""broadcast.sessions: adding and removing broadcast sessions, audited, with a playlist request."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast import sessions as svc
from broadcast import stations as st
from broadcast.errors import BroadcastError, NotFound
from broadcast.models import AuditLog, RegenRequest
from tests.broadcast.conftest import count_rows


def _pending(session: Session) -> list[RegenRequest]:
    return list(session.scalars(select(RegenRequest).where(RegenRequest.reason == "sessions changed")))


def test_add_from_spec_audits_and_asks_for_playlists(session: Session, stations: list[str]) -> None:
    station = st.get_station(session, "hiep-an")
    before = len(station.sessions)
    added = svc.add_from_spec(session, station, "T2-T6 11:00-11:15; 2031-01-02 20:00-20:30", name="Trưa",
                              actor="vanhanh")
    assert [b.name for b in added] == ["Trưa", "Trưa"] and len(station.sessions) == before + 2
    (req,) = _pending(session)
    assert req.station_codes == ["hiep-an"]
    row = session.scalar(select(AuditLog).where(AuditLog.action == "session.add"))
    assert row is not None and row.actor == "vanhanh" and row.target == "hiep-an" and "11:00" in row.detail["spec"]


def test_an_overlap_adds_nothing(session: Session, stations: list[str]) -> None:
    station = st.get_station(session, "hiep-an")
    session.commit()
    counts = count_rows(session)
    with pytest.raises(BroadcastError, match="trùng giờ"):
        svc.add_from_spec(session, station, "T2 11:00-11:15; Mon 11:10-11:20", actor="x")
    session.rollback()
    assert count_rows(session) == counts


def test_delete_only_the_stations_own_session(session: Session, stations: list[str]) -> None:
    a, b = st.get_station(session, "hiep-an"), st.get_station(session, "da-quyn")
    target = a.sessions[0]
    with pytest.raises(NotFound):
        svc.delete_session(session, b, target.id, actor="x")
    svc.delete_session(session, a, target.id, actor="x")
    assert target not in a.sessions and _pending(session)[0].station_codes == ["hiep-an"]
    assert session.scalar(select(AuditLog.action).where(AuditLog.action == "session.delete"))


def test_a_too_long_name_is_refused(session: Session, stations: list[str]) -> None:
    with pytest.raises(BroadcastError, match="quá dài"):
        svc.add_from_spec(session, st.get_station(session, "hiep-an"), "T2 12:00-12:10", name="x" * 121)
