"""Station groups: creating them, choosing their members, deleting them.

A group is a target of bulletins, so a change of members changes what those stations air: it is
audited and asks for new playlists for the stations that joined or left.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broadcast.changes import audit, request_regen
from broadcast.errors import BroadcastError, NotFound
from broadcast.models import Bulletin, StationGroup
from broadcast.stations import stations_by_codes

MAX_NAME = 120


def get_group_by_id(session: Session, group_id: int) -> StationGroup:
    grp = session.get(StationGroup, group_id)
    if grp is None:
        raise NotFound("Không có nhóm đài #%(id)s.", id=group_id)
    return grp


def create_group(session: Session, name: str, *, actor: str) -> StationGroup:
    """A new, empty group (it targets no station yet, so no playlist changes)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise BroadcastError("Tên nhóm không được trống (tối đa 120 ký tự).")
    if session.scalar(select(StationGroup.id).where(StationGroup.name == name)) is not None:
        raise BroadcastError("Nhóm '%(n)s' đã có.", n=name)
    grp = StationGroup(name=name)
    session.add(grp)
    session.flush()
    audit(session, actor, "group.create", name)
    return grp


def set_members(session: Session, group: StationGroup, codes: Iterable[str], *, actor: str) -> bool:
    """Make the group's members exactly the stations named (an unknown code is refused).
    Returns whether anything changed."""
    members = stations_by_codes(session, codes)
    before = {s.code for s in group.stations}
    after = {s.code for s in members}
    if before == after:
        return False
    group.stations = list(members)
    session.flush()
    audit(session, actor, "group.members", group.name, added=sorted(after - before),
          removed=sorted(before - after))
    request_regen(session, "group changed", before ^ after)
    return True


def delete_group(session: Session, group: StationGroup, *, actor: str) -> None:
    """Delete a group no bulletin targets (its bulletins would lose their stations)."""
    used = session.scalar(select(func.count(Bulletin.id)).where(Bulletin.target_group_id == group.id)) or 0
    if used:
        raise BroadcastError(
            "Nhóm '%(n)s' là đích của %(count)s bản tin: hãy đổi đích các bản tin đó trước khi xoá.",
            n=group.name, count=used,
        )
    codes = [s.code for s in group.stations]
    name = group.name
    session.delete(group)
    session.flush()
    audit(session, actor, "group.delete", name)
    request_regen(session, "group deleted", codes)
