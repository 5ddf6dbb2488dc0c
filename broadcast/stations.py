"""Stations: creating and changing them, CSV import, session specs, agent tokens, heartbeats.

A station CSV has the columns ``code,name,kind,sessions`` (optionally ``district``, ``timezone``,
``languages``: the ISO 639-3 codes of the minority languages it airs, e.g. "kpm cje"),
where sessions is a spec such as ``"Mon-Sat 05:30-06:00; Mon-Sat 17:00-17:45"``. An import either
stores every row or, if any line is bad, nothing, and reports every bad line at once.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast.changes import Problems, audit, request_regen
from broadcast.errors import BroadcastError, CsvErrors, Forbidden, NotFound
from broadcast.models import BroadcastSession, Station, StationGroup, utcnow
from broadcast.permissions import Scope
from broadcast.security import hash_token, new_token, verify_token

#: Station kinds: commune (xã), ward (phường), township (thị trấn).
KINDS = ("xa", "phuong", "thi_tran")
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
REQUIRED_COLUMNS = ("code", "name", "kind", "sessions")
OPTIONAL_COLUMNS = ("district", "timezone", "unit", "lat", "lon", "languages")

_DAY_NAMES = {
    "mon": 1,
    "tue": 2,
    "wed": 3,
    "thu": 4,
    "fri": 5,
    "sat": 6,
    "sun": 7,
    # Vietnamese: thứ hai … thứ bảy, chủ nhật
    "t2": 1,
    "t3": 2,
    "t4": 3,
    "t5": 4,
    "t6": 5,
    "t7": 6,
    "cn": 7,
}
_DAY_ABBR = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}
_WEEKDAY_VI = {
    1: "thứ Hai",
    2: "thứ Ba",
    3: "thứ Tư",
    4: "thứ Năm",
    5: "thứ Sáu",
    6: "thứ Bảy",
    7: "Chủ nhật",
}
_ITEM_RE = re.compile(r"^(?P<days>\S+)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$")


@dataclass(frozen=True)
class SessionSpec:
    """One broadcast window. Attribute names match ``BroadcastSession`` so both can be checked alike."""

    weekdays: str  # ISO weekday digits, "123456" = Mon–Sat; ignored when on_date is set
    start_time: time
    max_minutes: int
    on_date: date | None = None
    name: str = ""

    @property
    def end_time(self) -> time:
        end = datetime.combine(date.min, self.start_time) + timedelta(minutes=self.max_minutes)
        return end.time()

    def format(self) -> str:
        days = self.on_date.isoformat() if self.on_date else format_weekdays(self.weekdays)
        return f"{days} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class SessionLike(Protocol):
    @property
    def weekdays(self) -> str: ...
    @property
    def start_time(self) -> time: ...
    @property
    def max_minutes(self) -> int: ...
    @property
    def on_date(self) -> date | None: ...


@dataclass(frozen=True)
class StationRow:
    line: int
    code: str
    name: str
    kind: str
    sessions: list[SessionSpec]
    district: str = ""
    timezone: str = ""
    #: The code of the administrative unit (commune) the station belongs to; "" keeps it as it is.
    unit: str = ""
    #: WGS84 degrees from the optional ``lat,lon`` columns; None: not given (kept as it was).
    latitude: float | None = None
    longitude: float | None = None
    #: Languages aired besides Vietnamese ("kpm cje"); None when the CSV has no languages column.
    languages: str | None = None


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    sessions: int = 0
    group: str | None = None


# --- session specs -------------------------------------------------------------------------


def format_weekdays(digits: str) -> str:
    """ "123456" → "Mon-Sat"; "135" → "Mon,Wed,Fri". Inverse of the day part of ``parse_sessions``."""
    days = sorted({int(d) for d in digits})
    if not days:
        return ""
    runs: list[tuple[int, int]] = []
    for d in days:
        if runs and d == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], d)
        else:
            runs.append((d, d))
    parts = []
    for a, b in runs:
        if a == b:
            parts.append(_DAY_ABBR[a])
        elif b == a + 1:
            parts.extend([_DAY_ABBR[a], _DAY_ABBR[b]])
        else:
            parts.append(f"{_DAY_ABBR[a]}-{_DAY_ABBR[b]}")
    return ",".join(parts)


def _day(name: str) -> int:
    try:
        return _DAY_NAMES[name.strip().lower()]
    except KeyError:
        raise BroadcastError(
            "Không hiểu ngày '%(day)s': dùng Mon…Sun hoặc T2…T7, CN (ví dụ Mon-Sat).", day=name
        ) from None


def _parse_days(text: str) -> str:
    days: set[int] = set()
    for part in text.split(","):
        if not part:
            raise BroadcastError("Danh sách ngày '%(days)s' có phần trống.", days=text)
        if "-" in part:
            a_name, _, b_name = part.partition("-")
            a, b = _day(a_name), _day(b_name)
            # A range may wrap past Sunday: Sat-Mon is Sat, Sun, Mon.
            d = a
            while True:
                days.add(d)
                if d == b:
                    break
                d = d % 7 + 1
        else:
            days.add(_day(part))
    return "".join(str(d) for d in sorted(days))


def parse_days(text: str) -> str:
    """ "Mon-Fri" or "T2,T4" → ISO weekday digits ("12345", "13")."""
    return _parse_days(text.strip())


def _parse_clock(text: str) -> time:
    h, _, m = text.partition(":")
    try:
        return time(int(h), int(m))
    except ValueError:
        raise BroadcastError("Giờ '%(clock)s' không hợp lệ (dạng HH:MM, 00:00–23:59).", clock=text) from None


def parse_sessions(spec: str) -> list[SessionSpec]:
    """Parse ``"Mon-Sat 05:30-06:00; 2026-12-01 19:00-19:30"``: weekly windows or one-off dates.

    Days are English (Mon…Sun) or Vietnamese (T2…T7, CN) abbreviations, as ranges or comma lists.
    A window may not cross midnight. Raises BroadcastError with the reason in Vietnamese.
    """
    out: list[SessionSpec] = []
    for raw in spec.split(";"):
        item = " ".join(raw.split())
        if not item:
            continue
        m = _ITEM_RE.match(item)
        if not m:
            raise BroadcastError(
                "Phiên phát '%(item)s' sai dạng: cần 'Ngày HH:MM-HH:MM', ví dụ 'Mon-Sat 05:30-06:00'.",
                item=item,
            )
        start, end = _parse_clock(m["start"]), _parse_clock(m["end"])
        minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        if minutes <= 0:
            raise BroadcastError(
                "Phiên phát '%(item)s': giờ kết thúc phải sau giờ bắt đầu (cùng ngày).", item=item
            )
        days = m["days"]
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", days):
            try:
                on_date = date.fromisoformat(days)
            except ValueError:
                raise BroadcastError("Ngày '%(day)s' không hợp lệ.", day=days) from None
            out.append(
                SessionSpec(
                    weekdays=str(on_date.isoweekday()), start_time=start, max_minutes=minutes, on_date=on_date
                )
            )
        else:
            out.append(SessionSpec(weekdays=_parse_days(days), start_time=start, max_minutes=minutes))
    if not out:
        raise BroadcastError("Chưa có phiên phát nào.")
    return out


def format_sessions(sessions: Iterable[SessionLike]) -> str:
    return "; ".join(spec_of(s).format() for s in sessions)


def spec_of(s: SessionLike) -> SessionSpec:
    return SessionSpec(
        weekdays=s.weekdays,
        start_time=s.start_time,
        max_minutes=s.max_minutes,
        on_date=s.on_date,
        name=getattr(s, "name", "") or "",
    )


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _shared_day(a: SessionLike, b: SessionLike) -> str | None:
    """A day both sessions run on, described in Vietnamese, or None."""
    if a.on_date and b.on_date:
        return f"ngày {a.on_date:%d/%m/%Y}" if a.on_date == b.on_date else None
    if a.on_date or b.on_date:
        one_off, weekly = (a, b) if a.on_date else (b, a)
        assert one_off.on_date is not None
        wd = one_off.on_date.isoweekday()
        return f"ngày {one_off.on_date:%d/%m/%Y}" if str(wd) in weekly.weekdays else None
    common = sorted(set(a.weekdays) & set(b.weekdays))
    return _WEEKDAY_VI[int(common[0])] if common else None


def check_overlaps(sessions: Sequence[SessionLike]) -> None:
    """Raise BroadcastError if any two sessions run at the same time on some day.

    A one-off session counts as running on its date, so it may not overlap a weekly one either.
    Back-to-back windows (one ends 06:00, the next starts 06:00) are fine.
    """
    problems = []
    for i, a in enumerate(sessions):
        for b in sessions[i + 1 :]:
            day = _shared_day(a, b)
            if day is None:
                continue
            a0, b0 = _minutes(a.start_time), _minutes(b.start_time)
            if a0 < b0 + b.max_minutes and b0 < a0 + a.max_minutes:
                problems.append(f"'{spec_of(a).format()}' trùng giờ với '{spec_of(b).format()}' ({day})")
    if problems:
        raise BroadcastError("Phiên phát trùng giờ: %(problems)s.", problems="; ".join(problems))


# --- CSV -----------------------------------------------------------------------------------


def parse_stations_csv(text: str) -> list[StationRow]:
    """Read a station CSV (',' or, as Excel writes it in Vietnamese, ';' between columns).
    Raises CsvErrors listing every bad line (line numbers as in an editor)."""
    text = text.lstrip("\ufeff")
    # Excel in a Vietnamese locale (decimal comma) saves CSV with ';' between columns.
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    cols = _csv_columns(reader)
    rows: list[StationRow] = []
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    line = reader.line_num
    while True:
        start_line = line + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append((start_line, f"lỗi định dạng CSV ({exc})"))
            break
        line = reader.line_num
        if not any(v.strip() for v in record):
            continue
        if len(record) != len(cols):
            errors.append(
                (start_line, f"có {len(record)} cột, cần {len(cols)} (nhớ đặt sessions trong ngoặc kép)")
            )
            continue
        values = {c: v.strip() for c, v in zip(cols, record, strict=True)}
        try:
            rows.append(_station_row(values, start_line, seen))
        except ValueError as exc:
            errors.append((start_line, str(exc)))
    if errors:
        raise CsvErrors(errors)
    if not rows:
        raise CsvErrors([(1, "không có đài nào trong tệp")])
    return rows


def _csv_columns(reader: Iterator[list[str]]) -> list[str]:
    """The header's column names, or CsvErrors naming what is missing or unknown."""
    try:
        header = next(reader)
    except StopIteration:
        raise CsvErrors([(1, "tệp trống, cần dòng tiêu đề code,name,kind,sessions")]) from None
    except csv.Error as exc:
        raise CsvErrors([(1, f"không đọc được dòng tiêu đề ({exc})")]) from None
    cols = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in cols]
    unknown = [c for c in cols if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append("thiếu cột " + ", ".join(missing))
        if unknown:
            parts.append("cột lạ " + ", ".join(unknown))
        raise CsvErrors([(1, "; ".join(parts) + " (cần code,name,kind,sessions[,district,timezone,unit,lat,lon,languages])")])
    return cols


def _code_problem(code: str, line: int, seen: dict[str, int]) -> str | None:
    if not code:
        return "thiếu mã đài (code)"
    if not CODE_RE.match(code):
        return f"mã đài '{code}' không hợp lệ (chỉ chữ thường không dấu, số, '-' hoặc '_')"
    if code in seen:
        return f"mã đài '{code}' trùng với dòng {seen[code]}"
    seen[code] = line
    return None


def _station_row(values: dict[str, str], line: int, seen: dict[str, int]) -> StationRow:
    """One CSV line as a StationRow; ValueError with every reason it is bad, joined by '; '."""
    reasons = []
    code = values["code"]
    problem = _code_problem(code, line, seen)
    if problem:
        reasons.append(problem)
    if not values["name"]:
        reasons.append("thiếu tên đài (name)")
    if values["kind"] not in KINDS:
        reasons.append(f"loại đài '{values['kind']}' không hợp lệ (dùng {', '.join(KINDS)})")
    tz = values.get("timezone", "")
    if tz:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            reasons.append(f"múi giờ '{tz}' không tồn tại")
    sessions: list[SessionSpec] = []
    try:
        sessions = parse_sessions(values["sessions"])
        check_overlaps(sessions)
    except BroadcastError as exc:
        reasons.append(str(exc).rstrip("."))
    lat, lon = _coordinates(values.get("lat", ""), values.get("lon", ""), reasons)
    languages = _csv_languages(values, reasons)
    if reasons:
        raise ValueError("; ".join(reasons))
    return StationRow(line=line, code=code, name=values["name"], kind=values["kind"], sessions=sessions,
                      district=values.get("district", ""), timezone=tz, unit=values.get("unit", ""),
                      latitude=lat, longitude=lon, languages=languages)


def _degrees(text: str, name: str, limit: float, reasons: list[str]) -> float | None:
    """A coordinate in degrees; a decimal comma (Excel in Vietnamese) is accepted."""
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        reasons.append(f"{name} '{text}' không phải số độ")
        return None
    if not -limit <= value <= limit or value != value:
        reasons.append(f"{name} '{text}' phải trong khoảng -{limit:g}…{limit:g} độ")
        return None
    return value


def _coordinates(lat: str, lon: str, reasons: list[str]) -> tuple[float | None, float | None]:
    """The optional ``lat,lon`` pair: both or neither."""
    if not lat and not lon:
        return None, None
    if not lat or not lon:
        reasons.append("cần cả lat và lon (hoặc để trống cả hai)")
        return None, None
    return _degrees(lat, "lat", 90.0, reasons), _degrees(lon, "lon", 180.0, reasons)


def _csv_languages(values: dict[str, str], reasons: list[str]) -> str | None:
    """The optional languages column (Decree 49) as stored: checked codes separated by spaces."""
    if "languages" not in values:
        return None
    from broadcast.languages import parse_languages

    try:
        return " ".join(parse_languages(values["languages"]))
    except BroadcastError as exc:
        reasons.append(str(exc).rstrip("."))
        return None


def _key(s: SessionLike) -> tuple[str, time, int, date | None]:
    return (s.weekdays, s.start_time, s.max_minutes, s.on_date)


def _group(session: Session, name: str) -> StationGroup:
    name = name.strip()
    if not name:
        raise BroadcastError("Tên nhóm trống.")
    grp = session.scalar(select(StationGroup).where(StationGroup.name == name))
    if grp is None:
        grp = StationGroup(name=name)
        session.add(grp)
    return grp


def import_stations(
    session: Session,
    rows: Sequence[StationRow],
    *,
    group: str | None = None,
    district: str | None = None,
    actor: str = "",
    scope: Scope | None = None,
    default_unit_id: int | None = None,
) -> ImportResult:
    """Create or update stations by code; their sessions become the CSV's.

    A row's ``unit`` puts the station under that unit; a new station without one goes to
    ``default_unit_id`` (the importer's unit), else the top unit. Given ``scope`` (the importing user's), every station and unit must lie within it.
    One-off sessions added since (not in the CSV) are kept; if one now overlaps a session of the
    CSV, the whole import fails. All in the caller's transaction: an error leaves the database as
    it was.
    """
    codes = [r.code for r in rows]
    existing = {s.code: s for s in session.scalars(select(Station).where(Station.code.in_(codes)))}
    unit_ids = _row_units(session, rows, existing, scope, default_unit_id)  # validate everything before changing anything
    kept = _kept_one_offs(rows, existing)
    result = ImportResult(group=group)
    grp = _group(session, group) if group else None
    for r in rows:
        st = existing.get(r.code)
        if st is None:
            st = Station(code=r.code, name=r.name, kind=r.kind)
            session.add(st)
            result.created.append(r.code)
        else:
            st.name, st.kind = r.name, r.kind
            for old in [x for x in st.sessions if x not in kept[r.code]]:
                st.sessions.remove(old)
            result.updated.append(r.code)
        _apply_row(st, r, district)
        if r.code in unit_ids:
            st.unit_id = unit_ids[r.code]
        result.sessions += len(r.sessions)
        if grp is not None and grp not in st.groups:
            st.groups.append(grp)
    audit(session, actor, "stations.import", group or "", created=result.created, updated=result.updated)
    # A new station gets its playlists (and a changed one new ones) without waiting for the night.
    request_regen(session, "stations imported", result.created + result.updated)
    session.flush()
    return result


def _row_units(
    session: Session, rows: Sequence[StationRow], existing: dict[str, Station], scope: Scope | None,
    default_unit_id: int | None = None,
) -> dict[str, int]:
    """Station code → unit id for the rows that name a unit, and new stations (the top unit);
    CsvErrors names every line whose unit is unknown, merged or outside the importer's scope."""
    from broadcast import units

    named = units.by_codes(session, [r.unit for r in rows if r.unit])
    errors: list[tuple[int, str]] = []
    out: dict[str, int] = {}
    for r in rows:
        unit = named.get(r.unit) if r.unit else None
        old = existing.get(r.code)
        if r.unit and unit is None:
            errors.append((r.line, f"không có đơn vị mã '{r.unit}' (nhập bằng loa units import)"))
        elif unit is not None and unit.merged_into_id is not None:
            errors.append((r.line, f"đơn vị '{r.unit}' đã được sáp nhập, hãy dùng đơn vị nó nhập vào"))
        else:
            fallback = old.unit_id if old is not None else (default_unit_id or units.root(session).id)
            target = unit.id if unit is not None else fallback
            if scope is not None and not (scope.covers(target) and (old is None or scope.covers(old.unit_id))):
                errors.append((r.line, f"đài '{r.code}' không thuộc đơn vị của người nhập"))
            elif target is not None:
                out[r.code] = target
    if errors:
        raise CsvErrors(errors)
    return out


def _kept_one_offs(rows: Sequence[StationRow], existing: dict[str, Station]) -> dict[str, list[BroadcastSession]]:
    """Each existing station's one-off sessions that the CSV does not restate, checked against it."""
    kept: dict[str, list[BroadcastSession]] = {}
    for r in rows:
        st = existing.get(r.code)
        if st is None:
            continue
        in_csv = {_key(x) for x in r.sessions}
        kept[r.code] = [x for x in st.sessions if x.on_date is not None and _key(x) not in in_csv]
        try:
            check_overlaps([*r.sessions, *(x for x in kept[r.code] if x.active)])
        except BroadcastError as exc:
            raise BroadcastError(
                "Đài %(code)s (dòng %(line)s): %(reason)s", code=r.code, line=r.line, reason=str(exc)
            ) from None
    return kept


def _apply_row(st: Station, r: StationRow, district: str | None) -> None:
    if r.district or district:
        st.district = r.district or district or ""
    if r.timezone:
        st.timezone = r.timezone
    if r.latitude is not None and r.longitude is not None:
        st.latitude, st.longitude = r.latitude, r.longitude
    if r.languages is not None:
        st.languages = r.languages
    for spec in r.sessions:
        st.sessions.append(
            BroadcastSession(weekdays=spec.weekdays, start_time=spec.start_time, max_minutes=spec.max_minutes,
                             on_date=spec.on_date, name=spec.name)
        )


# --- lookups and sessions --------------------------------------------------------------------


def get_station(session: Session, code: str) -> Station:
    st = session.scalar(select(Station).where(Station.code == code))
    if st is None:
        raise NotFound("Không có đài mã '%(c)s'.", c=code)
    return st


def stations_by_codes(session: Session, codes: Iterable[str]) -> list[Station]:
    """The stations named, in the order given; NotFound lists every unknown code."""
    wanted = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    found = {s.code: s for s in session.scalars(select(Station).where(Station.code.in_(wanted)))}
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise NotFound("Không có đài mã: %(codes)s.", codes=", ".join(unknown))
    return [found[c] for c in wanted]


def get_group(session: Session, name: str) -> StationGroup:
    grp = session.scalar(select(StationGroup).where(StationGroup.name == name))
    if grp is None:
        raise NotFound("Không có nhóm đài '%(name)s'.", name=name)
    return grp


def sessions_on(station: Station, day: date) -> list[BroadcastSession]:
    """The station's active sessions on a date: weekly ones on that weekday and one-offs on that date."""
    wd = str(day.isoweekday())
    return sorted(
        (
            s
            for s in station.sessions
            if s.active and (s.on_date == day if s.on_date is not None else wd in s.weekdays)
        ),
        key=lambda s: s.start_time,
    )


# --- agent tokens and heartbeats -----------------------------------------------------------------


def issue_agent_token(session: Session, station: Station, actor: str = "") -> str:
    """A new agent token for the station: returned once, only its hash is stored. Revokes the old one."""
    token = new_token()
    station.token_hash = hash_token(token)
    audit(session, actor, "station.token", station.code)
    session.flush()
    return token


def authenticate_station(session: Session, code: str, token: str) -> Station:
    station = get_station(session, code)
    if not station.active:
        raise Forbidden("Đài '%(code)s' đang tạm ngừng.", code=code)
    if not verify_token(token, station.token_hash):
        raise Forbidden("Mã truy cập của đài không đúng.")
    return station


def station_for_token(session: Session, token: str) -> Station:
    """The active station whose agent token this is (for APIs that get only a bearer token)."""
    if not token:
        raise Forbidden("Thiếu mã truy cập.")
    station = session.scalar(select(Station).where(Station.token_hash == hash_token(token)))
    if station is None or not verify_token(token, station.token_hash):
        raise Forbidden("Mã truy cập của đài không đúng.")
    if not station.active:
        raise Forbidden("Đài '%(code)s' đang tạm ngừng.", code=station.code)
    return station


def is_online(station: Station, heartbeat_s: float, now: datetime | None = None) -> bool:
    """Online when the agent's last heartbeat is at most three heartbeat intervals old."""
    if station.last_heartbeat_at is None:
        return False
    return (now or utcnow()) - station.last_heartbeat_at <= timedelta(seconds=3 * heartbeat_s)


def connection_state(station: Station, heartbeat_s: float, now: datetime | None = None) -> str:
    """"online", "lost" (its agent was heard from, but not lately) or "never" (no agent yet):
    a station whose agent was never installed is not a lost connection."""
    if station.last_heartbeat_at is None:
        return "never"
    return "online" if is_online(station, heartbeat_s, now) else "lost"


def record_heartbeat(
    session: Session, station: Station, info: dict[str, Any], now: datetime | None = None
) -> None:
    station.last_heartbeat_at = now or utcnow()
    station.agent_info = dict(info)
    session.flush()


# --- creating and changing stations ----------------------------------------------------------

#: Fields of a station an operator may change.
EDITABLE = ("name", "kind", "district", "timezone", "active")


def _check_station(problems: Problems, name: str, kind: str, district: str, timezone: str) -> None:
    if not name.strip() or len(name.strip()) > 200:
        problems.add("Tên đài không được trống (tối đa 200 ký tự).")
    if kind not in KINDS:
        problems.add("Loại đài không hợp lệ.")
    if len(district) > 200:
        problems.add("Tên huyện quá dài (tối đa 200 ký tự).")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.add("Múi giờ '%(tz)s' không tồn tại.", tz=timezone)


def create_station(
    session: Session,
    *,
    code: str,
    name: str,
    kind: str = "xa",
    district: str = "",
    timezone: str = "Asia/Ho_Chi_Minh",
    sessions: str = "",
    actor: str,
    unit: str = "",
    scope: Scope | None = None,
) -> Station:
    """A new station with its sessions (a spec such as ``"T2-T7 05:30-06:00"``, may be empty),
    under the unit with code ``unit`` (default: the top unit), which must lie within ``scope``.
    Every problem is reported at once (``Invalid``); the station gets its playlists at once."""
    unit_id = _unit_for_new(session, unit, scope)
    problems = Problems()
    code, name, district, timezone = code.strip(), name.strip(), district.strip(), timezone.strip()
    if not CODE_RE.match(code):
        problems.add("Mã đài chỉ gồm chữ thường không dấu, số, '-' hoặc '_' (tối đa 64 ký tự).")
    elif session.scalar(select(Station.id).where(Station.code == code)) is not None:
        problems.add("Mã đài '%(c)s' đã có.", c=code)
    _check_station(problems, name, kind, district, timezone)
    specs: list[SessionSpec] = []
    if sessions.strip():
        try:
            specs = parse_sessions(sessions)
            check_overlaps(specs)
        except BroadcastError as exc:
            problems.keep(exc)
    problems.check()
    station = Station(code=code, name=name, kind=kind, district=district, timezone=timezone, unit_id=unit_id)
    for spec in specs:
        station.sessions.append(
            BroadcastSession(weekdays=spec.weekdays, start_time=spec.start_time, max_minutes=spec.max_minutes,
                             on_date=spec.on_date, name=spec.name)
        )
    session.add(station)
    session.flush()
    audit(session, actor, "station.create", code, sessions=sessions.strip())
    request_regen(session, "station created", [code])
    return station


def _unit_for_new(session: Session, code: str, scope: Scope | None) -> int:
    from broadcast import units

    unit = units.get(session, code) if code.strip() else units.root(session)
    if unit.merged_into_id is not None:
        raise BroadcastError("Đơn vị '%(code)s' đã được sáp nhập, hãy dùng đơn vị nó nhập vào.", code=unit.code)
    if scope is not None and not scope.covers(unit.id):
        raise Forbidden("Đơn vị '%(code)s' không thuộc phạm vi của bạn.", code=unit.code)
    return unit.id


def update_station(session: Session, station: Station, *, actor: str, **fields: Any) -> dict[str, Any]:
    """Change a station's name, kind, district, timezone or active flag; returns what changed.
    A change of timezone or of the active flag changes when it airs, so it asks for new playlists."""
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise BroadcastError("Không sửa được trường: %(fields)s.", fields=", ".join(unknown))
    wanted: dict[str, Any] = {k: (v.strip() if isinstance(v, str) else bool(v)) for k, v in fields.items()}
    problems = Problems()
    _check_station(
        problems,
        str(wanted.get("name", station.name)),
        str(wanted.get("kind", station.kind)),
        str(wanted.get("district", station.district)),
        str(wanted.get("timezone", station.timezone)),
    )
    problems.check()
    changed = {k: v for k, v in wanted.items() if getattr(station, k) != v}
    if not changed:
        return changed
    for k, v in changed.items():
        setattr(station, k, v)
    session.flush()
    audit(session, actor, "station.update", station.code, **{k: str(v) for k, v in changed.items()})
    if {"active", "timezone"} & set(changed):
        request_regen(session, "station changed", [station.code])
    return changed
