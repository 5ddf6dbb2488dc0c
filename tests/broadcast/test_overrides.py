"""broadcast.overrides: a pin or drop changes that day's playlist at once and is audited."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast import bulletins as bl
from broadcast import overrides as svc
from broadcast import stations as st
from broadcast.errors import BroadcastError
from broadcast.generate import latest_playlist
from broadcast.models import AuditLog, PlaylistOverride
from loa.config import Settings

DAY = date(2031, 1, 6)


def test_pin_drop_clear(session: Session, stations: list[str], settings: Settings) -> None:
    station = st.get_station(session, "hiep-an")
    b = bl.create_bulletin(session, title="Tin ghim", body="Nội dung.", valid_from=DAY, valid_to=DAY,
                           station_codes=["da-quyn"], actor="e")
    with pytest.raises(BroadcastError, match="không hợp lệ"):
        svc.set_override(session, settings, station, DAY, b, "boost", actor="vanhanh")
    svc.set_override(session, settings, station, DAY, b, "pin", actor="vanhanh")
    first = latest_playlist(session, "hiep-an", DAY)
    assert first is not None
    ov = session.scalar(select(PlaylistOverride))
    assert ov is not None and (ov.action, ov.actor) == ("pin", "vanhanh")
    svc.set_override(session, settings, station, DAY, b, "drop", actor="vanhanh")
    assert session.scalar(select(PlaylistOverride.action)) == "drop"
    svc.set_override(session, settings, station, DAY, b, "clear", actor="vanhanh")
    assert session.scalar(select(PlaylistOverride)) is None
    svc.regenerate_day(session, settings, station, DAY, actor="vanhanh")
    actions = list(session.scalars(select(AuditLog.action).where(AuditLog.target == f"hiep-an/{DAY}")))
    assert actions == ["schedule.pin", "schedule.drop", "schedule.clear", "schedule.generate"]
