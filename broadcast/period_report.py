"""The periodic report for leadership (báo cáo định kỳ): for a period and a unit, per bulletin (or
resolution) and per commune, plays planned and aired, minutes aired, communes reached out of those
targeted, and the misses with their reasons. The files are written by broadcast/period_export.py.

The counts are the as-run report's (broadcast/reports.py: one counting rule everywhere); this module
only groups them by commune and bulletin and adds the reasons. A station (cluster) counts for the
commune its unit is (or, below a commune, the commune above it); a station without a commune counts
as a commune of its own, so nothing planned is left out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast import units
from broadcast.asrun import CAUSES
from broadcast.errors import BroadcastError
from broadcast.languages import label as language_label
from broadcast.models import AsRunStatus, Bulletin, Station, Unit, utcnow
from broadcast.reports import ReportRow, _asruns, _stations, asrun_report

#: The reason given for a planned play of which no as-run row came back.
NO_LOG = "không có nhật ký phát (đài mất kết nối hoặc máy phát không chạy)"
#: Longest period one report covers.
MAX_DAYS = 366


@dataclass(frozen=True)
class Commune:
    code: str
    name: str


@dataclass
class Counts:
    planned: int = 0
    aired: int = 0
    cut: int = 0
    misses: int = 0
    minutes: float = 0.0
    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, r: ReportRow, reasons: Counter[str]) -> None:
        self.planned += r.planned
        self.aired += r.aired
        self.cut += r.cut
        self.misses += r.misses
        self.minutes = round(self.minutes + r.minutes, 1)
        self.reasons.update(reasons)


@dataclass
class BulletinLine:
    """One bulletin (one language version) over the whole unit."""

    bulletin_id: int
    title: str
    priority: str
    language: str
    counts: Counts = field(default_factory=Counts)
    targeted: set[str] = field(default_factory=set)  # commune codes
    reached: set[str] = field(default_factory=set)

    @property
    def language_label(self) -> str:
        return language_label(self.language)


@dataclass
class CommuneLine:
    commune: Commune
    stations: int = 0
    counts: Counts = field(default_factory=Counts)
    #: bulletin key (id, language) → its counts in this commune
    bulletins: dict[tuple[int, str], Counts] = field(default_factory=dict)


@dataclass
class PeriodReport:
    unit_code: str
    unit_name: str
    date_from: date
    date_to: date
    generated_at: datetime
    bulletins: list[BulletinLine]
    communes: list[CommuneLine]
    languages: dict[str, Counts]
    totals: Counts

    def bulletin(self, bulletin_id: int, language: str = "") -> BulletinLine:
        return next(b for b in self.bulletins if b.bulletin_id == bulletin_id and b.language == language)


# --- where a station belongs ---------------------------------------------------------------------


def commune_map(session: Session, stations: Iterable[Station]) -> dict[int, Commune]:
    """Station id → its commune: the station's unit if it is a commune, else the nearest commune
    above it; a station with no commune stands for itself."""
    by_id = {u.id: u for u in session.scalars(select(Unit))}
    out: dict[int, Commune] = {}
    for st in stations:
        c = _commune_of(by_id.get(st.unit_id) if st.unit_id is not None else None, by_id)
        out[st.id] = Commune(c.code, c.name) if c is not None else Commune(st.code, st.name)
    return out


def _commune_of(u: Unit | None, by_id: dict[int, Unit]) -> Unit | None:
    """The unit itself if it is a commune, else the commune above it (None above communes)."""
    seen: set[int] = set()
    while u is not None and u.id not in seen:
        if u.kind.is_commune:
            return u
        seen.add(u.id)
        u = by_id.get(u.parent_id) if u.parent_id is not None else None
    return None


def scope(session: Session, unit_code: str | None) -> tuple[str, str, list[Station]]:
    """(unit code, unit name, its stations): every station when no unit is named."""
    if unit_code:
        unit = units.get(session, unit_code)
        return unit.code, unit.name, units.stations_under(session, unit)
    try:
        unit = units.root(session)
        name, code = unit.name, unit.code
    except BroadcastError:
        name, code = "", ""
    return code, name, list(session.scalars(select(Station).order_by(Station.code)))


# --- the report ---------------------------------------------------------------------------------


def _miss_reasons(
    session: Session, by_id: dict[int, Station], date_from: date, date_to: date
) -> dict[tuple[str, int, str], Counter[str]]:
    """(station code, bulletin id, language) → why its plays were skipped or failed (a cut play
    aired, if only in part: it is counted as cut, not as a miss)."""
    out: dict[tuple[str, int, str], Counter[str]] = defaultdict(Counter)
    for _day, r in _asruns(session, by_id, date_from, date_to, (AsRunStatus.SKIPPED, AsRunStatus.FAILED)):
        if r.bulletin_id is None:
            continue
        why = CAUSES.get(r.cause or "") or r.detail or r.status.value
        out[(by_id[r.station_id].code, r.bulletin_id, r.language or "")][why] += 1
    return out


def _targets(session: Session, ids: list[int]) -> dict[int, set[str]]:
    """Bulletin id → the station codes it targets."""
    from broadcast.bulletins import target_station_codes

    return {b.id: set(target_station_codes(session, b)) for b in session.scalars(select(Bulletin).where(Bulletin.id.in_(ids)))}


def period_report(
    session: Session, date_from: date, date_to: date, unit_code: str | None = None, *, now: datetime | None = None
) -> PeriodReport:
    """Build the report (no files): see the module's docstring for what it counts."""
    if date_to < date_from:
        raise BroadcastError("Ngày cuối (%(b)s) trước ngày đầu (%(a)s).", a=f"{date_from:%d/%m/%Y}", b=f"{date_to:%d/%m/%Y}")
    if (date_to - date_from).days >= MAX_DAYS:
        raise BroadcastError("Mỗi báo cáo tối đa %(n)s ngày.", n=MAX_DAYS)
    code, name, stations = scope(session, unit_code)
    now = now or utcnow()
    ids = [s.id for s in stations]
    rows = [r for r in asrun_report(session, date_from, date_to, now=now, station_ids=ids) if r.kind == "bulletin"]
    by_id = _stations(session, None, ids)
    communes = commune_map(session, stations)
    by_code = {s.code: communes[s.id] for s in stations}
    reasons = _miss_reasons(session, by_id, date_from, date_to)
    report = PeriodReport(code, name, date_from, date_to, now, [], [], {}, Counts())
    _fold(report, rows, by_code, reasons, stations, communes)
    _add_targets(session, report, by_code)
    return report


def _fold(
    report: PeriodReport,
    rows: list[ReportRow],
    by_code: dict[str, Commune],
    reasons: dict[tuple[str, int, str], Counter[str]],
    stations: list[Station],
    communes: dict[int, Commune],
) -> None:
    lines: dict[tuple[int, str], BulletinLine] = {}
    clines: dict[str, CommuneLine] = {}
    for st in stations:
        c = communes[st.id]
        clines.setdefault(c.code, CommuneLine(c)).stations += 1
    for r in rows:
        assert r.bulletin_id is not None
        key = (r.bulletin_id, r.language)
        why = Counter(reasons.get((r.station_code, r.bulletin_id, r.language), Counter()))
        why = _with_unlogged(why, r)
        c = by_code[r.station_code]
        line = lines.setdefault(key, BulletinLine(r.bulletin_id, r.title, r.priority, r.language))
        line.counts.add(r, why)
        line.targeted.add(c.code)
        if r.aired:
            line.reached.add(c.code)
        cl = clines[c.code]
        cl.counts.add(r, why)
        cl.bulletins.setdefault(key, Counts()).add(r, why)
        report.languages.setdefault(r.language, Counts()).add(r, Counter())
        report.totals.add(r, why)
    report.bulletins = sorted(lines.values(), key=lambda b: (b.bulletin_id, b.language))
    report.communes = sorted(clines.values(), key=lambda c: c.commune.name)


def _with_unlogged(why: Counter[str], r: ReportRow) -> Counter[str]:
    """The reasons of a station's misses of one bulletin, with the plays no row came back for."""
    explained = r.skipped + r.failed
    if r.misses > explained:
        why[NO_LOG] += r.misses - explained
    return why


def _add_targets(session: Session, report: PeriodReport, by_code: dict[str, Commune]) -> None:
    """Communes targeted: those of the bulletin's target stations in the unit, and those it was planned in."""
    targets = _targets(session, sorted({b.bulletin_id for b in report.bulletins}))
    for b in report.bulletins:
        b.targeted |= {by_code[s].code for s in targets.get(b.bulletin_id, ()) if s in by_code}


def ratio(part: int, whole: int) -> str:
    """"12/15 (80%)" for the reports' text."""
    pct = f" ({round(100 * part / whole)}%)" if whole else ""
    return f"{part}/{whole}{pct}"
