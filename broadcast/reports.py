"""The district's as-run report: one counting rule, one vocabulary, for the panel, the CSV and the CLI.

What aired is compared with what was planned (the latest playlist version of each station and day).

Counting rule (per station, programme and day):

* **planned**: plays in the latest playlist whose slot has ended; a play whose slot has not ended is
  **upcoming** ("chưa đến giờ"), never a miss.
* A *play* is one planned slot as the agent knows it (day, programme, planned start). An item cut by
  an emergency and aired again is the same play: it counts once in **aired** and once in **cut**.
* **skipped**/**failed**: plays that never went on air and ended skipped or failed.
* **misses**: planned plays that did not air, or skipped/failed plays (not both for one play).
* **minutes**: every second actually on air, the cut part included.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from broadcast.errors import BroadcastError
from broadcast.models import AsRun, AsRunStatus, Bulletin, Playlist, PlaylistItem, Station, utcnow
from broadcast.stations import get_station

KINDS = ("bulletin", "relay", "jingle")
_AIRED = (AsRunStatus.PLAYED, AsRunStatus.CUT)


@dataclass
class ReportRow:
    """One station × one programme (a bulletin, or a relay/jingle by title) over the period."""

    station_code: str
    station_name: str
    kind: str
    bulletin_id: int | None
    title: str
    priority: str
    planned: int = 0  # plays planned in the latest playlists that should have ended by now
    upcoming: int = 0  # plays planned whose slot has not ended yet ("chưa đến giờ")
    aired: int = 0  # plays that went on air (a cut play aired again counts once)
    cut: int = 0  # plays cut short at least once
    minutes: float = 0.0  # minutes actually on air
    skipped: int = 0
    failed: int = 0
    misses: int = 0  # planned plays that did not air, or skipped/failed plays (not both for one play)
    #: ISO 639-3 code of a bulletin's version in another language (Decree 49); "" the main version.
    language: str = ""


@dataclass(frozen=True)
class Airing:
    """One as-run row: an attempt to air a play, with its planned and actual times."""

    station_code: str
    station_name: str
    day: date
    kind: str
    bulletin_id: int | None
    title: str
    status: str
    planned_start: datetime | None
    actual_start: datetime | None
    actual_end: datetime | None
    detail: str


@dataclass
class _Acc:
    planned: int = 0
    upcoming: int = 0
    aired: int = 0
    cut: int = 0
    seconds: float = 0.0
    skipped: int = 0
    failed: int = 0


@dataclass
class _Play:
    """The as-run rows of one play (normally one; a cut play that aired again has two or more)."""

    on_air: bool = False
    cut: bool = False
    last: AsRunStatus | None = None
    seconds: float = 0.0


Key = tuple[str, int | None, str]  # kind, bulletin_id, title (no bulletin) or language (a bulletin's version)
_Cell = tuple[int, date, Key]  # station id, day, programme


def _key(kind: str, bulletin_id: int | None, title: str, language: str = "") -> Key:
    if bulletin_id is not None:
        return ("bulletin", bulletin_id, language if language != "vie" else "")
    return (kind, None, title)


def _stations(
    session: Session, station_code: str | None, station_ids: Collection[int] | None = None
) -> dict[int, Station]:
    if station_code:
        stations = [get_station(session, station_code)]
    elif station_ids is not None:
        wanted = sorted(station_ids)
        stations = [
            st
            for i in range(0, len(wanted), 500)
            for st in session.scalars(select(Station).where(Station.id.in_(wanted[i : i + 500])))
        ]
    else:
        stations = list(session.scalars(select(Station).order_by(Station.code)))
    return {s.id: s for s in stations}


#: The columns the reports read, selected as plain rows (attribute access as on the ORM classes).
_ITEM_COLS = [PlaylistItem.__table__.c[n] for n in (
    "start", "duration_s", "kind", "title", "priority", "bulletin_id", "language")]  # fmt: skip
_ASRUN_COLS = [c for c in AsRun.__table__.c if c.name not in ("received_at",)]


def _planned(
    session: Session, ids: list[int], date_from: date, date_to: date
) -> Iterable[Any]:
    """(station id, day, item) of the latest playlists; items as plain rows with PlaylistItem's
    attribute names (no ORM objects: a province's month is hundreds of thousands of items)."""
    latest = (
        select(Playlist.station_id, Playlist.date, func.max(Playlist.version).label("version"))
        .where(Playlist.station_id.in_(ids), Playlist.date >= date_from, Playlist.date <= date_to)
        .group_by(Playlist.station_id, Playlist.date)
        .subquery()
    )
    q = (
        select(Playlist.station_id, Playlist.date, *_ITEM_COLS)
        .join(
            latest,
            and_(
                Playlist.station_id == latest.c.station_id,
                Playlist.date == latest.c.date,
                Playlist.version == latest.c.version,
            ),
        )
        .join(PlaylistItem, PlaylistItem.playlist_id == Playlist.id)
    )
    for r in session.execute(q):
        yield r[0], r[1], r


def _asruns(
    session: Session,
    by_id: dict[int, Station],
    date_from: date,
    date_to: date,
    statuses: Collection[AsRunStatus] | None = None,
) -> Iterable[tuple[date, Any]]:
    """As-run rows of the period with their day; rows without a playlist date are placed by their
    own time, in the station's timezone. Plain rows with AsRun's attribute names (not ORM
    objects: a month of a province is hundreds of thousands of rows)."""
    lo = datetime.combine(date_from - timedelta(days=1), datetime.min.time()).astimezone()
    hi = datetime.combine(date_to + timedelta(days=2), datetime.min.time()).astimezone()
    when = func.coalesce(AsRun.actual_start, AsRun.planned_start)
    q = (
        select(*_ASRUN_COLS)
        .where(
            AsRun.station_id.in_(list(by_id)),
            or_(
                and_(AsRun.playlist_date >= date_from, AsRun.playlist_date <= date_to),
                and_(AsRun.playlist_date.is_(None), when >= lo, when < hi),
            ),
        )
        .order_by(AsRun.station_id, when, AsRun.id)
    )
    if statuses is not None:  # e.g. only the misses' rows
        q = q.where(AsRun.status.in_([s.value for s in statuses]))
    for r in session.execute(q):
        if r.playlist_date is not None:
            day = r.playlist_date
        else:
            t = r.actual_start or r.planned_start
            assert t is not None
            day = t.astimezone(ZoneInfo(by_id[r.station_id].timezone)).date()
            if not date_from <= day <= date_to:
                continue
        yield day, r


def _seconds_on_air(r: AsRun) -> float:
    start, end = r.actual_start, r.actual_end
    if start is not None and end is None and r.planned_start and r.planned_end:
        end = start + (r.planned_end - r.planned_start)
    if start is None or end is None:
        return 0.0
    return max(0.0, (end - start).total_seconds())


def _fold_play(a: _Acc, p: _Play) -> None:
    a.seconds += p.seconds
    if p.on_air:
        a.aired += 1
        a.cut += p.cut
    elif p.last == AsRunStatus.SKIPPED:
        a.skipped += 1
    elif p.last == AsRunStatus.FAILED:
        a.failed += 1


def _count_asruns(rows: Iterable[tuple[date, AsRun]], acc: dict[_Cell, _Acc], titles: dict[Key, str]) -> None:
    """Group rows into plays (same day, programme and planned start; a row without a planned start
    is a play of its own), then count each play once."""
    plays: dict[tuple[_Cell, Any], _Play] = defaultdict(_Play)
    for day, r in rows:
        k = _key(r.kind, r.bulletin_id, r.title, r.language)
        titles.setdefault(k, r.title)
        ident = r.planned_start if r.planned_start is not None else ("uid", r.uid)
        p = plays[((r.station_id, day, k), ident)]
        p.last = r.status
        if r.status in _AIRED:
            p.on_air = True
            p.cut |= r.status == AsRunStatus.CUT
            p.seconds += _seconds_on_air(r)
    for (cell, _ident), p in plays.items():
        _fold_play(acc[cell], p)


def asrun_report(
    session: Session,
    date_from: date,
    date_to: date,
    station_code: str | None = None,
    *,
    now: datetime | None = None,
    station_ids: Collection[int] | None = None,
) -> list[ReportRow]:
    """Per station and programme, the counts of the module's rule for the dates given.

    Plays are matched with the plan by programme and day, not by start time, because a
    regenerated playlist (an emergency) shifts later items.
    """
    if date_to < date_from:
        raise BroadcastError(
            "Ngày cuối (%(b)s) trước ngày đầu (%(a)s).", a=f"{date_from:%d/%m/%Y}", b=f"{date_to:%d/%m/%Y}"
        )
    now = now or utcnow()
    by_id = _stations(session, station_code, station_ids)
    acc: dict[_Cell, _Acc] = defaultdict(_Acc)
    titles: dict[Key, str] = {}
    priorities: dict[Key, str] = {}
    for station_id, day, item in _planned(session, list(by_id), date_from, date_to):
        k = _key(item.kind, item.bulletin_id, item.title, item.language)
        titles.setdefault(k, item.title)
        priorities.setdefault(k, item.priority)
        a = acc[(station_id, day, k)]
        if item.start + timedelta(seconds=item.duration_s) > now:
            a.upcoming += 1
        else:
            a.planned += 1
    _count_asruns(_asruns(session, by_id, date_from, date_to), acc, titles)
    bulletin_ids = {k[1] for (_, _, k) in acc if k[1] is not None}
    for b in session.scalars(select(Bulletin).where(Bulletin.id.in_(bulletin_ids))) if bulletin_ids else []:
        titles[("bulletin", b.id, "")] = b.title
        priorities[("bulletin", b.id, "")] = b.priority.value
    return _rows(acc, by_id, titles, priorities)


def _rows(
    acc: dict[_Cell, _Acc], by_id: dict[int, Station], titles: dict[Key, str], priorities: dict[Key, str]
) -> list[ReportRow]:
    rows: dict[tuple[int, Key], ReportRow] = {}
    seconds: dict[tuple[int, Key], float] = defaultdict(float)
    for (station_id, _day, k), a in acc.items():
        st = by_id[station_id]
        row = rows.get((station_id, k))
        if row is None:
            row = rows[(station_id, k)] = ReportRow(
                station_code=st.code,
                station_name=st.name,
                kind=k[0],
                bulletin_id=k[1],
                title=titles.get(k, ""),
                priority=priorities.get(k, priorities.get((k[0], k[1], ""), "normal")),
                language=k[2] if k[0] == "bulletin" else "",
            )
        row.planned += a.planned
        row.upcoming += a.upcoming
        row.aired += a.aired
        row.cut += a.cut
        row.skipped += a.skipped
        row.failed += a.failed
        # Within one day, a skipped/failed play and a planned-but-missing play are the same miss.
        row.misses += max(a.planned - a.aired, a.skipped + a.failed, 0)
        seconds[(station_id, k)] += a.seconds
    for key, row in rows.items():
        row.minutes = round(seconds[key] / 60.0, 1)
    kind_order = {k: i for i, k in enumerate(KINDS)}
    return sorted(
        rows.values(),
        key=lambda r: (r.station_code, kind_order.get(r.kind, 9), r.bulletin_id or 0, r.language, r.title),
    )


def airings(
    session: Session, date_from: date, date_to: date, station_code: str | None = None, *, limit: int = 5000
) -> list[Airing]:
    """Each as-run row of the period (each attempt to air, with its actual times), in airing order."""
    by_id = _stations(session, station_code)
    found = list(_asruns(session, by_id, date_from, date_to))[:limit]
    ids = {r.bulletin_id for _, r in found if r.bulletin_id is not None}
    titles: dict[int | None, str] = {}
    if ids:
        titles = {
            i: t for i, t in session.execute(select(Bulletin.id, Bulletin.title).where(Bulletin.id.in_(ids)))
        }
    out = []
    for day, r in found:
        st = by_id[r.station_id]
        title = titles.get(r.bulletin_id, r.title) if r.bulletin_id is not None else r.title
        out.append(
            Airing(
                st.code,
                st.name,
                day,
                r.kind,
                r.bulletin_id,
                title,
                r.status.value,
                r.planned_start,
                r.actual_start,
                r.actual_end,
                r.detail,
            )  # fmt: skip
        )
    return sorted(
        out, key=lambda a: (a.day, a.station_code, a.actual_start or a.planned_start or datetime.min)
    )


def _add(t: ReportRow, r: ReportRow) -> None:
    for name in COUNTS:
        setattr(t, name, getattr(t, name) + getattr(r, name))
    t.minutes = round(t.minutes, 1)


def station_totals(rows: Iterable[ReportRow]) -> list[ReportRow]:
    """One row per station summing its programmes (kind "total")."""
    out: dict[str, ReportRow] = {}
    for r in rows:
        _add(
            out.setdefault(r.station_code, ReportRow(r.station_code, r.station_name, "total", None, "", "")),
            r,
        )
    return list(out.values())


def programme_totals(rows: Iterable[ReportRow]) -> list[ReportRow]:
    """One row per bulletin (or relay/jingle) summing every station: the district-wide view.
    ``station_code`` holds the number of stations that aired it at least once."""
    out: dict[Key, ReportRow] = {}
    aired_at: dict[Key, int] = defaultdict(int)
    for r in rows:
        k = _key(r.kind, r.bulletin_id, r.title, r.language)
        _add(out.setdefault(k, ReportRow("", "", r.kind, r.bulletin_id, r.title, r.priority, language=r.language)), r)
        aired_at[k] += r.aired > 0
    for k, t in out.items():
        t.station_code = str(aired_at[k])
    kind_order = {k: i for i, k in enumerate(KINDS)}
    return sorted(
        out.values(), key=lambda t: (kind_order.get(t.kind, 9), t.bulletin_id or 0, t.language, t.title)
    )


# --- one vocabulary ------------------------------------------------------------------------------

#: The counts, in the order every table shows them, with their short (table) labels. The panel
#: translates these msgids; the CSV and the CLI print them as they are.
COUNTS = ("planned", "upcoming", "aired", "cut", "misses", "skipped", "failed", "minutes")
COUNT_LABELS = {
    "planned": "Kế hoạch",
    "upcoming": "Chưa đến giờ",
    "aired": "Đã phát",
    "cut": "Bị cắt",
    "misses": "Không phát",
    "skipped": "Bỏ qua",
    "failed": "Lỗi",
    "minutes": "Phút",
}
KIND_LABELS = {"bulletin": "Bản tin", "relay": "Tiếp sóng", "jingle": "Nhạc hiệu", "total": "Tổng"}
PRIORITY_LABELS = {"normal": "Thông thường", "priority": "Ưu tiên", "emergency": "Khẩn cấp"}
AIRING_LABELS = {"played": "Đã phát", "cut": "Bị cắt", "skipped": "Bỏ qua", "failed": "Lỗi"}

#: CSV headers (Vietnamese: the report goes to the Standing Committee).
HEADERS_VI = {
    "station_code": "Mã đài",
    "station_name": "Tên đài",
    "kind": "Loại",
    "bulletin_id": "Mã bản tin",
    "title": "Tiêu đề",
    "priority": "Mức ưu tiên",
    "planned": "Số lần theo kế hoạch",
    "upcoming": "Số lần chưa đến giờ",
    "aired": "Số lần đã phát",
    "cut": "Số lần bị cắt",
    "minutes": "Số phút phát",
    "skipped": "Số lần bỏ qua",
    "failed": "Số lần lỗi",
    "misses": "Số lần không phát",
    "language": "Ngôn ngữ",
}
_COLUMNS = [f.name for f in fields(ReportRow)]
#: Cells Excel reads as a formula (OWASP "CSV injection"): =, +, -, @, tab, carriage return.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """A text cell Excel cannot run: one that starts like a formula gets a leading single quote."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def decimal(value: float) -> str:
    """One decimal, Vietnamese style (5,0)."""
    return f"{value:.1f}".replace(".", ",")


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return decimal(value)
    if isinstance(value, int):
        return str(value)
    if column == "kind":
        value = KIND_LABELS.get(value, value)
    elif column == "priority":
        value = PRIORITY_LABELS.get(value, value)
    return safe_cell(str(value))


def report_csv(rows: Sequence[ReportRow]) -> str:
    """CSV text with a Vietnamese header row, Vietnamese labels and decimal commas, every text cell
    defused (safe_cell). Encode it as UTF-8 *with BOM* for Excel (csv_bytes)."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([HEADERS_VI[c] for c in _COLUMNS])
    for r in rows:
        w.writerow([_language_cell(r) if c == "language" else _cell(c, getattr(r, c)) for c in _COLUMNS])
    return buf.getvalue()


def _language_cell(r: ReportRow) -> str:
    """A bulletin's language by name (Tiếng Việt for its main version); blank for relays, jingles."""
    from broadcast.languages import label

    return label(r.language) if r.kind == "bulletin" else ""


def csv_bytes(rows: Sequence[ReportRow]) -> bytes:
    """UTF-8 with BOM, so Excel on Windows shows Vietnamese letters correctly."""
    return report_csv(rows).encode("utf-8-sig")


def report_json(rows: Sequence[ReportRow], date_from: date, date_to: date) -> str:
    doc = {
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "rows": [asdict(r) for r in rows],
        "stations": [asdict(r) for r in station_totals(rows)],
        "programmes": [
            {
                **{k: v for k, v in asdict(r).items() if k not in ("station_code", "station_name")},
                "stations_aired": int(r.station_code),
            }
            for r in programme_totals(rows)
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)


def _text_table(heads: list[str], lines: list[list[str]], numeric: set[int]) -> list[str]:
    widths = [
        max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(heads)
    ]

    def fmt(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [fmt(heads), fmt(["-" * w for w in widths]), *(fmt(line) for line in lines)]


def _short(title: str) -> str:
    return title if len(title) <= 40 else title[:39] + "…"


def _counts(r: ReportRow) -> list[str]:
    return [_cell(c, getattr(r, c)) for c in COUNTS]


def report_table(rows: Sequence[ReportRow]) -> str:
    """Plain-text tables for the terminal: per station (with a total line after each station),
    then per bulletin over the whole district; the same counts and labels as the panel."""
    heads = [COUNT_LABELS[c] for c in COUNTS]
    numeric = set(range(3, 3 + len(COUNTS)))
    lines: list[list[str]] = []
    totals = {t.station_code: t for t in station_totals(rows)}
    for i, r in enumerate(rows):
        lines.append([r.station_code, _cell("bulletin_id", r.bulletin_id), _short(r.title), *_counts(r)])
        if i + 1 == len(rows) or rows[i + 1].station_code != r.station_code:
            lines.append(["", "", "Tổng", *_counts(totals[r.station_code])])
    out = _text_table(["Đài", "Bản tin", "Tiêu đề", *heads], lines, numeric)
    by_programme = [
        [_cell("bulletin_id", t.bulletin_id), _short(t.title), t.station_code, *_counts(t)]
        for t in programme_totals(rows)
    ]
    out += ["", "Toàn huyện, theo bản tin:"]
    out += _text_table(["Bản tin", "Tiêu đề", "Số đài đã phát", *heads], by_programme, numeric)
    return "\n".join(out)
