"""Bulletins from a higher unit, as Circular 39/2020/TT-BTTTT has them reach a commune.

- **thông thường** (normal): it waits in each target commune's inbox; the commune's operator
  accepts it into the schedule or declines it with a reason. A commune may set a default of
  accepting automatically (``set_auto_accept``).
- **ưu tiên** (priority): it is scheduled at the next session without asking; where it meets the
  commune's own priority items, the commune puts it before or after them (``order``).
- **khẩn cấp** (emergency): it airs at once and cannot be declined.

A bulletin is "from above" for a station when its issuing unit is not the unit that decides for
the station (the station's unit, or the unit that one merged into). "Waiting" is the absence of a
decision row, so a bulletin reaches every commune it targets, also one whose stations were added
after it was approved. Each decision is a row (who, when, why) and an audit entry; the sender
reads them per commune (``status``). The planner asks ``restrict_day`` which bulletins each
station may air.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast import permissions, units
from broadcast.bulletins import target_station_codes
from broadcast.changes import audit, request_regen
from broadcast.errors import BroadcastError
from broadcast.models import (
    Bulletin,
    BulletinStatus,
    InboxDecision,
    Priority,
    Station,
    TargetKind,
    Unit,
    utcnow,
)

if TYPE_CHECKING:
    from broadcast.planner import BulletinInput

WAITING, ACCEPTED, DECLINED = "waiting", "accepted", "declined"
#: Accepted by the commune's default of accepting automatically.
AUTO = "auto"
#: A priority bulletin: on the schedule at the next session, no one asked.
SCHEDULED = "scheduled"
#: An emergency: on air at once, no one may decline it.
FORCED = "forced"
#: A priority bulletin's place against the commune's own priority items.
BEFORE, AFTER = -1, 1
POSITIONS = {"before": BEFORE, "after": AFTER}
#: States the planner places.
ON_AIR = frozenset({ACCEPTED, AUTO, SCHEDULED, FORCED})
STATE_VI = {
    WAITING: "đang chờ",
    ACCEPTED: "đã nhận",
    DECLINED: "đã từ chối",
    AUTO: "tự động nhận",
    SCHEDULED: "đã xếp lịch (ưu tiên)",
    FORCED: "phát ngay (khẩn cấp)",
}
MAX_REASON = 500
_CHUNK = 500


@dataclass(frozen=True)
class Entry:
    """One bulletin as one commune sees it (the inbox) and the sender reads it (status)."""

    bulletin_id: int
    title: str
    priority: str
    valid_from: date
    valid_to: date
    sender_code: str
    sender_name: str
    unit_id: int
    unit_code: str
    unit_name: str
    state: str
    order: int
    actor: str
    at: datetime | None
    reason: str
    #: The commune's stations (clusters) the bulletin targets.
    stations: tuple[str, ...]

    @property
    def state_vi(self) -> str:
        return STATE_VI.get(self.state, self.state)

    @property
    def position(self) -> str:
        return "after" if self.order == AFTER else "before"


# --- who decides for which station -------------------------------------------------------------


class _Tree:
    """The unit rows once: who decides for each unit now, each unit's reach, defaults."""

    def __init__(self, session: Session) -> None:
        rows = session.execute(
            select(Unit.id, Unit.parent_id, Unit.merged_into_id, Unit.auto_accept)
        ).all()
        self.merged = {r.id: r.merged_into_id for r in rows if r.merged_into_id is not None}
        self.top = {r.id for r in rows if r.parent_id is None and r.merged_into_id is None}
        self.auto = {r.id for r in rows if r.auto_accept}
        self._below: dict[int, list[int]] = defaultdict(list)
        for r in rows:
            for up in (r.parent_id, r.merged_into_id):
                if up is not None:
                    self._below[up].append(r.id)
        self._reach: dict[int, set[int]] = {}

    def decider(self, unit_id: int | None) -> int | None:
        seen: set[int] = set()
        while unit_id in self.merged and unit_id not in seen:
            seen.add(unit_id)  # type: ignore[arg-type]
            unit_id = self.merged[unit_id]  # type: ignore[index]
        return unit_id

    def reach(self, unit_id: int) -> set[int]:
        if unit_id not in self._reach:
            out, todo = {unit_id}, [unit_id]
            while todo:
                for child in self._below.get(todo.pop(), ()):
                    if child not in out:
                        out.add(child)
                        todo.append(child)
            self._reach[unit_id] = out
        return self._reach[unit_id]

    def reaches(self, sender: int, station_unit: int | None) -> bool:
        return sender in self.top if station_unit is None else station_unit in self.reach(sender)


def _station_units(session: Session, codes: Iterable[str]) -> dict[str, int | None]:
    wanted = sorted(set(codes))
    out: dict[str, int | None] = {}
    for i in range(0, len(wanted), _CHUNK):
        q = select(Station.code, Station.unit_id).where(Station.code.in_(wanted[i : i + _CHUNK]))
        out.update((r.code, r.unit_id) for r in session.execute(q))
    return out


def receivers(session: Session, bulletin: Bulletin) -> dict[int, list[str]]:
    """Deciding unit id → its target station codes, for the communes the bulletin comes to from
    above (its own unit's stations are not in any inbox)."""
    if bulletin.unit_id is None:
        return {}
    tree = _Tree(session)
    out: dict[int, list[str]] = defaultdict(list)
    for code, unit_id in sorted(_station_units(session, target_station_codes(session, bulletin)).items()):
        decider = tree.decider(unit_id)
        if decider is not None and decider != bulletin.unit_id:
            out[decider].append(code)
    return dict(out)


def _decisions(session: Session, bulletin_ids: Sequence[int]) -> dict[tuple[int, int], InboxDecision]:
    out: dict[tuple[int, int], InboxDecision] = {}
    ids = sorted(set(bulletin_ids))
    for i in range(0, len(ids), _CHUNK):
        q = select(InboxDecision).where(InboxDecision.bulletin_id.in_(ids[i : i + _CHUNK]))
        out.update(((d.bulletin_id, d.unit_id), d) for d in session.scalars(q))
    return out


def _state(priority: str, decision: InboxDecision | None, auto: bool) -> tuple[str, int]:
    if priority == Priority.EMERGENCY:
        return FORCED, 0
    if priority == Priority.PRIORITY:
        return SCHEDULED, decision.order if decision is not None else BEFORE
    if decision is not None:
        return decision.state, 0
    return (AUTO if auto else WAITING), 0


def _entry(session: Session, b: Bulletin, unit: Unit, codes: Sequence[str], d: InboxDecision | None) -> Entry:
    state, order = _state(b.priority, d, unit.auto_accept)
    sender = units.get_by_id(session, b.unit_id) if b.unit_id is not None else None
    return Entry(
        b.id, b.title, str(b.priority.value), b.valid_from, b.valid_to,
        sender.code if sender else "", sender.name if sender else "",
        unit.id, unit.code, unit.name, state, order,
        d.actor if d else ("" if state != AUTO else "tự động"), d.at if d else None, d.reason if d else "",
        tuple(codes),
    )


# --- reading: the commune's inbox, the sender's status ----------------------------------------


def status(session: Session, bulletin: Bulletin) -> list[Entry]:
    """For the sending unit: each target commune's answer (accepted, declined, waiting …)."""
    recv = receivers(session, bulletin)
    decisions = _decisions(session, [bulletin.id])
    out = []
    for unit_id, codes in recv.items():
        unit = units.get_by_id(session, unit_id)
        out.append(_entry(session, bulletin, unit, codes, decisions.get((bulletin.id, unit_id))))
    return sorted(out, key=lambda e: e.unit_code)


def inbox(session: Session, unit: Unit, *, today: date | None = None, states: Iterable[str] | None = None) -> list[Entry]:
    """The bulletins from higher units that come to this unit's stations (approved ones; given
    ``today``, only those still valid), newest first; ``states`` keeps only those states."""
    unit = units.current(session, unit)
    tree = _Tree(session)
    mine = {uid for uid in tree.reach(unit.id) if tree.decider(uid) == unit.id}
    own = _own_stations(session, sorted(mine))
    q = select(Bulletin).where(
        Bulletin.status == BulletinStatus.APPROVED, Bulletin.unit_id.is_not(None), Bulletin.unit_id.not_in(mine)
    )
    if today is not None:
        q = q.where(Bulletin.valid_to >= today)
    found = [(b, _targets_among(session, tree, b, own)) for b in session.scalars(q)]
    found = [(b, codes) for b, codes in found if codes]
    decisions = _decisions(session, [b.id for b, _ in found])
    wanted = set(states) if states is not None else None
    out = [_entry(session, b, unit, codes, decisions.get((b.id, unit.id))) for b, codes in found]
    out = [e for e in out if wanted is None or e.state in wanted]
    return sorted(out, key=lambda e: (e.state != WAITING, -e.bulletin_id))


def sent(session: Session, scope: permissions.Scope, *, today: date | None = None) -> list[tuple[Bulletin, list[Entry]]]:
    """The approved bulletins issued by units within ``scope`` that reach communes from above,
    each with every commune's answer: the sender's status view."""
    q = select(Bulletin).where(Bulletin.status == BulletinStatus.APPROVED, scope.clause(Bulletin.unit_id))
    if today is not None:
        q = q.where(Bulletin.valid_to >= today)
    out = []
    for b in session.scalars(q.order_by(Bulletin.id.desc())):
        entries = status(session, b)
        if entries:
            out.append((b, entries))
    return out


# --- deciding -------------------------------------------------------------------------------


def unit_targets(session: Session, bulletin: Bulletin, unit: Unit) -> list[str]:
    """The unit's own stations (those it decides for) that the bulletin targets from above;
    empty when the bulletin is the unit's own or does not come to it. Reads only the unit's
    stations, so a decision costs the same in a province of 20 or of 2,000 clusters."""
    if bulletin.unit_id is None:
        return []
    tree = _Tree(session)
    mine = sorted(uid for uid in tree.reach(unit.id) if tree.decider(uid) == unit.id)
    if bulletin.unit_id in mine:
        return []
    return _targets_among(session, tree, bulletin, _own_stations(session, mine))


def _own_stations(session: Session, unit_ids: Sequence[int]) -> list[tuple[str, int | None]]:
    q = select(Station.code, Station.unit_id).where(Station.unit_id.in_(sorted(unit_ids)), Station.active.is_(True))
    return [(r.code, r.unit_id) for r in session.execute(q)]


def _targets_among(
    session: Session, tree: _Tree, bulletin: Bulletin, rows: Sequence[tuple[str, int | None]]
) -> list[str]:
    """Which of these stations (code, unit id) the bulletin targets."""
    if bulletin.unit_id is None:
        return []
    if bulletin.target_kind == TargetKind.ALL:
        return sorted(code for code, unit_id in rows if tree.reaches(bulletin.unit_id, unit_id))
    targets = set(target_station_codes(session, bulletin))
    return sorted(code for code, _ in rows if code in targets)


def _decidable(session: Session, bulletin: Bulletin, unit: Unit) -> list[str]:
    """The unit's target stations; BroadcastError unless the unit may decide on this bulletin."""
    if unit.merged_into_id is not None:
        raise BroadcastError(
            "Đơn vị '%(code)s' đã được sáp nhập: %(into)s quyết định thay.",
            code=unit.code, into=units.current(session, unit).name,
        )
    if bulletin.status != BulletinStatus.APPROVED:
        raise BroadcastError("Bản tin #%(id)s chưa được duyệt, chưa vào hộp thư của xã.", id=bulletin.id)
    codes = unit_targets(session, bulletin, unit)
    if not codes:
        raise BroadcastError(
            "Bản tin #%(id)s không phải bản tin cấp trên gửi đến %(unit)s.", id=bulletin.id, unit=unit.name
        )
    return codes


def _decide(
    session: Session, bulletin: Bulletin, unit: Unit, *, state: str, order: int, reason: str, actor: str
) -> None:
    codes = _decidable(session, bulletin, unit)
    row = session.scalar(
        select(InboxDecision).where(InboxDecision.bulletin_id == bulletin.id, InboxDecision.unit_id == unit.id)
    )
    if row is None:
        row = InboxDecision(bulletin_id=bulletin.id, unit_id=unit.id, state=state, order=order, reason=reason,
                            actor=actor)
        session.add(row)
    else:
        row.state, row.order, row.reason, row.actor, row.at = state, order, reason, actor, utcnow()
    session.flush()
    audit(session, actor, f"inbox.{state}", f"bulletin:{bulletin.id}", unit=unit.code, reason=reason,
          **({"order": order} if bulletin.priority == Priority.PRIORITY else {}))
    request_regen(session, f"inbox {state}", codes)


def _reason(reason: str, *, required: bool) -> str:
    reason = " ".join((reason or "").split())
    if required and not reason:
        raise BroadcastError("Cần ghi lý do từ chối.")
    if len(reason) > MAX_REASON:
        raise BroadcastError("Lý do quá dài (tối đa %(n)s ký tự).", n=MAX_REASON)
    return reason


def _only_normal(bulletin: Bulletin) -> None:
    if bulletin.priority == Priority.EMERGENCY:
        raise BroadcastError("Bản tin khẩn cấp phát ngay, không thể nhận hay từ chối.")
    if bulletin.priority == Priority.PRIORITY:
        raise BroadcastError(
            "Bản tin ưu tiên được xếp vào phiên phát kế tiếp, không thể từ chối; xã chỉ chọn thứ tự phát."
        )


def accept(session: Session, bulletin: Bulletin, unit: Unit, *, actor: str, reason: str = "") -> None:
    """The commune takes a higher unit's normal bulletin into its schedule."""
    permissions.require_actor(session, actor, "inbox.decide", unit.id)
    _only_normal(bulletin)
    _decide(session, bulletin, unit, state=ACCEPTED, order=0, reason=_reason(reason, required=False), actor=actor)


def decline(session: Session, bulletin: Bulletin, unit: Unit, *, actor: str, reason: str) -> None:
    """The commune declines a higher unit's normal bulletin, saying why."""
    permissions.require_actor(session, actor, "inbox.decide", unit.id)
    _only_normal(bulletin)
    _decide(session, bulletin, unit, state=DECLINED, order=0, reason=_reason(reason, required=True), actor=actor)


def order(session: Session, bulletin: Bulletin, unit: Unit, position: str, *, actor: str, reason: str = "") -> None:
    """Where a higher unit's priority bulletin plays against the commune's own priority items:
    ``before`` (the default) or ``after`` them."""
    permissions.require_actor(session, actor, "inbox.decide", unit.id)
    if bulletin.priority != Priority.PRIORITY:
        raise BroadcastError("Chỉ bản tin ưu tiên mới chọn thứ tự so với bản tin ưu tiên của xã.")
    if position not in POSITIONS:
        raise BroadcastError("Thứ tự phải là 'before' (trước) hoặc 'after' (sau).")
    _decide(session, bulletin, unit, state="ordered", order=POSITIONS[position],
            reason=_reason(reason, required=False), actor=actor)


def set_auto_accept(session: Session, unit: Unit, on: bool, *, actor: str) -> None:
    """The commune's default: accept every normal bulletin from above without waiting (its own
    decisions stay as they were). Its stations get new playlists."""
    permissions.require_actor(session, actor, "inbox.decide", unit.id)
    if unit.merged_into_id is not None:
        raise BroadcastError("Đơn vị '%(code)s' đã được sáp nhập.", code=unit.code)
    if unit.auto_accept == on:
        return
    unit.auto_accept = on
    session.flush()
    audit(session, actor, "inbox.auto_accept", unit.code, on=on)
    request_regen(session, "inbox default changed", [s.code for s in units.stations_under(session, unit)])


def reaches(session: Session, bulletins: Iterable[Bulletin], station: Station) -> list[Bulletin]:
    """The bulletins whose issuing unit reaches the station (what its schedule may offer)."""
    tree = _Tree(session)
    return [b for b in bulletins if b.unit_id is None or tree.reaches(b.unit_id, station.unit_id)]


# --- the planner's filter ------------------------------------------------------------------------


def _placement(
    tree: _Tree, b_unit: int | None, priority: str, decision: InboxDecision | None, station_unit: int | None
) -> int | None:
    """The order to place bulletin at the station with, or None: not there (out of the sender's
    reach, or a normal bulletin from above that the commune has not accepted)."""
    if b_unit is None:
        return 0
    if not tree.reaches(b_unit, station_unit):
        return None
    decider = tree.decider(station_unit)
    if decider is None or decider == b_unit:
        return 0
    state, order = _state(priority, decision, decider in tree.auto)
    return order if state in ON_AIR else None


def restrict_day(
    session: Session,
    shared: list[BulletinInput],
    extra: dict[int, list[BulletinInput]],
    station_ids: Sequence[int],
) -> tuple[list[BulletinInput], dict[int, list[BulletinInput]]]:
    """The day's bulletins as each station may air them: a bulletin stays within its issuing
    unit's stations, and a higher unit's normal bulletin reaches a commune's stations only once
    accepted (priority ones carry the commune's order). ``shared`` goes to every station,
    ``extra`` by station id; both are returned anew."""
    ids = sorted({b.id for b in shared} | {b.id for lst in extra.values() for b in lst})
    meta: dict[int, tuple[int | None, str]] = {}
    for i in range(0, len(ids), _CHUNK):
        q = select(Bulletin.id, Bulletin.unit_id, Bulletin.priority).where(Bulletin.id.in_(ids[i : i + _CHUNK]))
        meta.update((r.id, (r.unit_id, str(getattr(r.priority, "value", r.priority)))) for r in session.execute(q))
    if all(u is None for u, _ in meta.values()):
        return shared, extra
    tree = _Tree(session)
    st_unit: dict[int, int | None] = {}
    wanted = sorted(set(station_ids))
    for i in range(0, len(wanted), _CHUNK):
        sq = select(Station.id, Station.unit_id).where(Station.id.in_(wanted[i : i + _CHUNK]))
        st_unit.update((r.id, r.unit_id) for r in session.execute(sq))
    decisions = _decisions(session, ids)

    def place(b: BulletinInput, sid: int) -> BulletinInput | None:
        b_unit, priority = meta.get(b.id, (None, "normal"))
        unit_id = st_unit.get(sid)
        decider = tree.decider(unit_id)
        o = _placement(tree, b_unit, priority, decisions.get((b.id, decider or 0)), unit_id)
        if o is None:
            return None
        return b if o == b.order else dataclasses.replace(b, order=o)

    keep_shared: list[BulletinInput] = []
    out: dict[int, list[BulletinInput]] = {sid: list(extra.get(sid, ())) for sid in wanted}
    for sid, lst in out.items():
        out[sid] = [p for b in lst if (p := place(b, sid)) is not None]
    for b in shared:
        placed = {sid: place(b, sid) for sid in wanted}
        if all(p is b for p in placed.values()):
            keep_shared.append(b)
            continue
        for sid, p in placed.items():
            if p is not None:
                out[sid].append(p)
    return keep_shared, out
