"""Administrative units: province → (district) → commune, and the stations (clusters) below.

The tree is data (``loa units import FILE.csv``, columns ``code,name,kind,parent``). Lookups here
are what the rest of Loa asks: a unit by its code (also the CAP geocode mapping), the ids of a
unit and of everything below it (a user's scope), the stations and communes under a unit.

A merged unit keeps its row, its name and its stations, and points at the unit it joined
(``merged_into_id``); ``subtree_ids`` of the surviving unit includes it, so its staff see the
merged commune's clusters, bulletins and as-run rows, while reports of the past still name it.
A renamed unit keeps its old names with the moment they ended (``name_on``).
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast.changes import audit, request_regen
from broadcast.errors import BroadcastError, CsvErrors, NotFound
from broadcast.models import Station, Unit, UnitKind, UnitName, utcnow

#: The one unit an upgraded data folder starts with (migration 0004 writes the same values).
ROOT_CODE = "goc"
ROOT_NAME = "Đơn vị gốc"
KINDS: tuple[str, ...] = tuple(k.value for k in UnitKind)
COMMUNE_KINDS: frozenset[UnitKind] = frozenset(k for k in UnitKind if k.is_commune)
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
COLUMNS = ("code", "name", "kind", "parent")
MAX_NAME = 200
#: The level of each kind: a unit's parent is of a lower level, a merge joins units of one level.
LEVEL = {UnitKind.TINH: 0, UnitKind.HUYEN: 1, UnitKind.XA: 2, UnitKind.PHUONG: 2, UnitKind.DAC_KHU: 2}
_VI_KIND = {"tinh": "tỉnh", "huyen": "huyện", "xa": "xã", "phuong": "phường", "dac-khu": "đặc khu"}


def kind_vi(kind: UnitKind | str) -> str:
    """The kind as Vietnamese words (tỉnh, huyện, xã, phường, đặc khu)."""
    return _VI_KIND.get(str(getattr(kind, "value", kind)), str(kind))


# --- lookups ---------------------------------------------------------------------------------


def find(session: Session, code: str) -> Unit | None:
    return session.scalar(select(Unit).where(Unit.code == code.strip()))


def get(session: Session, code: str) -> Unit:
    """The unit with this code (mã đơn vị hành chính; also a CAP area geocode)."""
    unit = find(session, code)
    if unit is None:
        raise NotFound("Không có đơn vị mã '%(code)s'.", code=code.strip())
    return unit


def get_by_id(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("Không có đơn vị #%(id)s.", id=unit_id)
    return unit


def by_codes(session: Session, codes: Iterable[str]) -> dict[str, Unit]:
    """The units whose codes are given (unknown codes left out): CAP geocodes → units."""
    wanted = sorted({c.strip() for c in codes if c.strip()})
    if not wanted:
        return {}
    return {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_(wanted)))}


def all_units(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).order_by(Unit.code)))


def root(session: Session) -> Unit:
    """The unit that stations and users without one go to: the upgrade's ``goc`` if it is there,
    else the only top unit; created when there is no unit at all."""
    unit = find(session, ROOT_CODE)
    if unit is not None:
        return unit
    tops = list(session.scalars(select(Unit).where(Unit.parent_id.is_(None), Unit.merged_into_id.is_(None))))
    if len(tops) == 1:
        return tops[0]
    if tops:
        raise BroadcastError("Có nhiều đơn vị cấp cao nhất: cần ghi rõ đơn vị.")
    unit = Unit(code=ROOT_CODE, name=ROOT_NAME, kind=UnitKind.TINH)
    session.add(unit)
    session.flush()
    return unit


def current(session: Session, unit: Unit) -> Unit:
    """The unit as it is now: a merged unit's surviving unit (followed through several merges)."""
    seen = {unit.id}
    while unit.merged_into_id is not None:
        unit = get_by_id(session, unit.merged_into_id)
        if unit.id in seen:  # pragma: no cover - merge refuses cycles
            break
        seen.add(unit.id)
    return unit


def ancestors(session: Session, unit: Unit) -> list[Unit]:
    """The units above, nearest first (a merged unit's surviving unit counts as above it)."""
    out: list[Unit] = []
    seen = {unit.id}
    nxt = unit.merged_into_id or unit.parent_id
    while nxt is not None and nxt not in seen:
        seen.add(nxt)
        up = get_by_id(session, nxt)
        out.append(up)
        nxt = up.merged_into_id or up.parent_id
    return out


def _below(session: Session) -> dict[int, list[int]]:
    """unit id → the ids directly below it: its children, and the units merged into it."""
    below: dict[int, list[int]] = defaultdict(list)
    for uid, parent, merged in session.execute(select(Unit.id, Unit.parent_id, Unit.merged_into_id)):
        if merged is not None:
            below[merged].append(uid)
        if parent is not None:
            below[parent].append(uid)
    return below


def subtree_ids(session: Session, unit_id: int) -> set[int]:
    """The unit and every unit below it, merged ones included: a user's scope."""
    below = _below(session)
    out = {unit_id}
    todo = [unit_id]
    while todo:
        for child in below.get(todo.pop(), ()):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def is_within(session: Session, unit_id: int | None, scope_unit_id: int) -> bool:
    """True when ``unit_id`` is the scope's unit or below it."""
    return unit_id is not None and unit_id in subtree_ids(session, scope_unit_id)


def stations_under(session: Session, unit: Unit) -> list[Station]:
    """The stations (clusters) of the unit and of every unit below it, by code."""
    ids = subtree_ids(session, unit.id)
    return list(session.scalars(select(Station).where(Station.unit_id.in_(ids)).order_by(Station.code)))


def communes_under(session: Session, unit: Unit, *, include_merged: bool = False) -> list[Unit]:
    """The communes (xã, phường, đặc khu) at or below the unit, by code; merged ones only if asked."""
    ids = subtree_ids(session, unit.id)
    q = select(Unit).where(Unit.id.in_(ids), Unit.kind.in_(list(COMMUNE_KINDS)))
    if not include_merged:
        q = q.where(Unit.merged_into_id.is_(None))
    return list(session.scalars(q.order_by(Unit.code)))


def commune_of(session: Session, station: Station) -> Unit | None:
    """The unit that decides for the station now (its unit, or the unit that unit merged into)."""
    if station.unit_id is None:
        return None
    return current(session, get_by_id(session, station.unit_id))


def name_on(session: Session, unit: Unit, moment: datetime) -> str:
    """The unit's name at a moment: an old name if it was renamed since."""
    old = session.scalar(
        select(UnitName.name).where(UnitName.unit_id == unit.id, UnitName.until > moment).order_by(UnitName.until)
    )
    return old if old is not None else unit.name


def label(session: Session, unit: Unit) -> str:
    """The unit's name for lists: "Xã Hiệp An (đã nhập vào Xã Đức Trọng)" once merged."""
    if unit.merged_into_id is None:
        return unit.name
    return f"{unit.name} (đã nhập vào {current(session, unit).name})"


# --- CSV import ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitRow:
    line: int
    code: str
    name: str
    kind: UnitKind
    parent: str


@dataclass
class UnitImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _reader(text: str) -> Any:
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _header(reader: Any) -> list[str]:
    try:
        header: list[str] = next(reader)
    except StopIteration:
        raise CsvErrors([(1, "tệp trống, cần dòng tiêu đề code,name,kind,parent")]) from None
    except csv.Error as exc:
        raise CsvErrors([(1, f"không đọc được dòng tiêu đề ({exc})")]) from None
    cols = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in cols]
    unknown = [c for c in cols if c not in COLUMNS]
    if missing or unknown:
        parts = (["thiếu cột " + ", ".join(missing)] if missing else []) + (
            ["cột lạ " + ", ".join(unknown)] if unknown else []
        )
        raise CsvErrors([(1, "; ".join(parts) + " (cần code,name,kind,parent)")])
    return cols


def _row(values: dict[str, str], line: int, seen: dict[str, int]) -> UnitRow:
    """One line as a UnitRow; ValueError with every reason it is bad (checks of this line alone)."""
    reasons = []
    code, name, kind, parent = values["code"], values["name"], values["kind"].lower(), values["parent"]
    if not code:
        reasons.append("thiếu mã đơn vị (code)")
    elif not CODE_RE.match(code):
        reasons.append(f"mã đơn vị '{code}' không hợp lệ (chỉ chữ thường không dấu, số, '.', '-' hoặc '_')")
    elif code in seen:
        reasons.append(f"mã đơn vị '{code}' trùng với dòng {seen[code]}")
    else:
        seen[code] = line
    if not name:
        reasons.append("thiếu tên đơn vị (name)")
    elif len(name) > MAX_NAME:
        reasons.append(f"tên đơn vị dài quá {MAX_NAME} ký tự")
    if kind not in KINDS:
        reasons.append(f"cấp '{values['kind']}' không hợp lệ (dùng {', '.join(KINDS)})")
    if parent and parent == code:
        reasons.append("đơn vị không thể là cấp trên của chính nó")
    if reasons:
        raise ValueError("; ".join(reasons))
    return UnitRow(line, code, name, UnitKind(kind), parent)


def parse_units_csv(text: str) -> list[UnitRow]:
    """Read a units CSV (',' or ';'); CsvErrors lists every bad line, numbered as in an editor.
    Parents are checked against the database by ``import_units``."""
    reader = _reader(text)
    cols = _header(reader)
    rows: list[UnitRow] = []
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    line = reader.line_num
    while True:
        start = line + 1
        try:
            record: list[str] = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append((start, f"lỗi định dạng CSV ({exc})"))
            break
        line = reader.line_num
        if not any(v.strip() for v in record):
            continue
        if len(record) != len(cols):
            errors.append((start, f"có {len(record)} cột, cần {len(cols)}"))
            continue
        try:
            rows.append(_row({c: v.strip() for c, v in zip(cols, record, strict=True)}, start, seen))
        except ValueError as exc:
            errors.append((start, str(exc)))
    if errors:
        raise CsvErrors(errors)
    if not rows:
        raise CsvErrors([(1, "không có đơn vị nào trong tệp")])
    return rows


def _parent_problem(row: UnitRow, parent_kind: UnitKind | None, parent_merged: bool) -> str | None:
    if not row.parent:
        return None if row.kind == UnitKind.TINH else f"{kind_vi(row.kind)} cần đơn vị cấp trên (parent)"
    if row.kind == UnitKind.TINH:
        return "tỉnh là cấp cao nhất, không có đơn vị cấp trên (để trống parent)"
    if parent_kind is None:
        return f"không có đơn vị cấp trên mã '{row.parent}' (trong tệp hoặc đã nhập)"
    if parent_merged:
        return f"đơn vị cấp trên '{row.parent}' đã được sáp nhập"
    if LEVEL[parent_kind] >= LEVEL[row.kind]:
        return f"{kind_vi(row.kind)} không thể trực thuộc {kind_vi(parent_kind)} '{row.parent}'"
    return None


def _check_tree(session: Session, rows: Sequence[UnitRow]) -> dict[str, Unit]:
    """Every parent named exists and is of a higher level; units left out of the file still fit
    under a unit the file changes. Returns the existing units by code."""
    in_file = {r.code: r for r in rows}
    existing = {u.code: u for u in session.scalars(select(Unit))}
    errors: list[tuple[int, str]] = []
    for r in rows:
        parent_file = in_file.get(r.parent)
        parent_db = existing.get(r.parent)
        kind = parent_file.kind if parent_file else (parent_db.kind if parent_db else None)
        merged = parent_file is None and parent_db is not None and parent_db.merged_into_id is not None
        problem = _parent_problem(r, kind, merged)
        old = existing.get(r.code)
        if problem is None and old is not None and old.merged_into_id is not None and r.parent:
            problem = "đơn vị này đã được sáp nhập, không đổi cấp trên được nữa"
        if problem:
            errors.append((r.line, problem))
    by_id = {u.id: u for u in existing.values()}
    for u in existing.values():
        up = by_id.get(u.parent_id) if u.parent_id is not None else None
        if u.code in in_file or up is None or up.code not in in_file:
            continue
        new_kind = in_file[up.code].kind
        if LEVEL[new_kind] >= LEVEL[u.kind]:
            errors.append((in_file[up.code].line,
                           f"'{u.code}' ({kind_vi(u.kind)}) đang trực thuộc đơn vị này, không thể đổi sang "
                           f"{kind_vi(new_kind)}"))
    if errors:
        raise CsvErrors(sorted(errors))
    return existing


def import_units(session: Session, rows: Sequence[UnitRow], *, actor: str) -> UnitImportResult:
    """Create or update units by code: all or nothing (everything is checked before any change).
    A new name is a rename (the old one is kept for reports of the past)."""
    existing = _check_tree(session, rows)
    result = UnitImportResult()
    units: dict[str, Unit] = dict(existing)
    for r in rows:
        u = units.get(r.code)
        if u is None:
            u = Unit(code=r.code, name=r.name, kind=r.kind)
            session.add(u)
            units[r.code] = u
            result.created.append(r.code)
        elif (u.name, u.kind) == (r.name, r.kind) and _parent_code(u, units) == r.parent:
            result.unchanged.append(r.code)
        else:
            if u.name != r.name:
                _keep_old_name(session, u, actor)
            u.name, u.kind = r.name, r.kind
            result.updated.append(r.code)
    session.flush()
    for r in rows:
        units[r.code].parent_id = units[r.parent].id if r.parent else None
    session.flush()
    audit(session, actor, "units.import", "", created=result.created, updated=result.updated)
    return result


def _parent_code(u: Unit, units: dict[str, Unit]) -> str:
    if u.parent_id is None:
        return ""
    return next((c for c, x in units.items() if x.id == u.parent_id), "")


def _keep_old_name(session: Session, unit: Unit, actor: str) -> None:
    session.add(UnitName(unit_id=unit.id, name=unit.name, until=utcnow(), actor=actor or "system"))


# --- rename and merge ------------------------------------------------------------------------


def rename(session: Session, unit: Unit, name: str, *, actor: str) -> None:
    """A new name from now on; reports of the past keep the old one (``name_on``)."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise BroadcastError("Tên đơn vị không được trống (tối đa 200 ký tự).")
    if name == unit.name:
        return
    _keep_old_name(session, unit, actor)
    audit(session, actor, "unit.rename", unit.code, before=unit.name, after=name)
    unit.name = name
    session.flush()


def merge(session: Session, unit: Unit, into: Unit, *, actor: str) -> None:
    """Merge ``unit`` into ``into`` (sáp nhập): its stations, bulletins and history stay where they
    are, its row keeps its name, and ``into``'s staff now see and decide for it."""
    if unit.id == into.id:
        raise BroadcastError("Không thể sáp nhập một đơn vị vào chính nó.")
    if unit.merged_into_id is not None:
        raise BroadcastError("Đơn vị '%(code)s' đã được sáp nhập trước đó.", code=unit.code)
    if into.merged_into_id is not None:
        raise BroadcastError("Đơn vị '%(code)s' đã được sáp nhập, hãy chọn đơn vị nó nhập vào.", code=into.code)
    if LEVEL[unit.kind] != LEVEL[into.kind]:
        raise BroadcastError(
            "Chỉ sáp nhập được hai đơn vị cùng cấp (%(a)s và %(b)s khác cấp).",
            a=kind_vi(unit.kind), b=kind_vi(into.kind),
        )
    unit.merged_into_id = into.id
    unit.merged_at = utcnow()
    session.flush()
    audit(session, actor, "unit.merge", unit.code, into=into.code)
    # The surviving unit now decides for the merged one's stations: their plans may change.
    request_regen(session, "unit merged", [s.code for s in stations_under(session, unit)])
