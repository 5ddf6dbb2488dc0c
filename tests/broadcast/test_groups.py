"""broadcast.groups: create, members (with playlist requests for who joined or left), delete."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast import bulletins as bl
from broadcast import groups as svc
from broadcast.errors import BroadcastError, NotFound
from broadcast.models import AuditLog, RegenRequest, StationGroup


def _requests(session: Session, reason: str) -> list[list[str] | None]:
    return [r.station_codes for r in session.scalars(select(RegenRequest).where(RegenRequest.reason == reason))]


def test_create_refuses_empty_long_and_duplicate_names(session: Session) -> None:
    grp = svc.create_group(session, " Ven sông ", actor="vanhanh")
    assert grp.name == "Ven sông"
    for name in ("", " ", "x" * 121):
        with pytest.raises(BroadcastError, match="không được trống"):
            svc.create_group(session, name, actor="vanhanh")
    with pytest.raises(BroadcastError, match="đã có"):
        svc.create_group(session, "Ven sông", actor="vanhanh")
    assert session.scalar(select(AuditLog.target).where(AuditLog.action == "group.create")) == "Ven sông"


def test_members_change_asks_for_playlists_of_who_joined_or_left(session: Session, stations: list[str]) -> None:
    grp = svc.create_group(session, "Ven sông", actor="x")
    assert svc.set_members(session, grp, ["hiep-an", "da-quyn"], actor="x")
    assert not svc.set_members(session, grp, ["da-quyn", "hiep-an"], actor="x")  # nothing changed
    assert svc.set_members(session, grp, ["da-quyn", "ta-hine"], actor="x")
    assert _requests(session, "group changed") == [["da-quyn", "hiep-an"], ["hiep-an", "ta-hine"]]
    with pytest.raises(NotFound, match="khong-co"):
        svc.set_members(session, grp, ["khong-co"], actor="x")
    assert sorted(s.code for s in grp.stations) == ["da-quyn", "ta-hine"]


def test_delete_refused_while_a_bulletin_targets_the_group(session: Session, stations: list[str]) -> None:
    grp = svc.create_group(session, "Ven sông", actor="x")
    svc.set_members(session, grp, ["hiep-an"], actor="x")
    b = bl.create_bulletin(session, title="Tin nhóm", body="Nội dung.", valid_from=date(2031, 1, 1),
                           valid_to=date(2031, 1, 2), group="Ven sông", actor="e")
    with pytest.raises(BroadcastError, match="là đích của 1 bản tin"):
        svc.delete_group(session, grp, actor="x")
    b.target_group = None
    session.flush()
    svc.delete_group(session, grp, actor="x")
    assert session.scalar(select(StationGroup).where(StationGroup.name == "Ven sông")) is None
    assert _requests(session, "group deleted") == [["hiep-an"]]
