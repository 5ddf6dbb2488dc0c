"""As-run logs: what stations actually aired, and the district's periodic report built from them.

Agents upload as-run rows with a unique ``uid`` each, and retry after a network failure, so
ingestion is idempotent by (station, uid). The report compares what aired with what was planned
(the latest playlist version of each station and day).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from broadcast.errors import BroadcastError
from broadcast.models import AsRun, AsRunStatus, Bulletin, Playlist, PlaylistItem, Station, utcnow
from broadcast.stations import get_station

KINDS = ("bulletin", "relay", "jingle")
_AIRED = (AsRunStatus.PLAYED, AsRunStatus.CUT)
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_TIME_FIELDS = ("planned_start", "planned_end", "actual_start", "actual_end")
#: Integer columns are 32-bit on PostgreSQL: a bigger number is a bad row, not a database error.
INT_MAX = 2**31 - 1
#: Longest ``detail`` kept (the agent writes a sentence; anything longer is not an as-run note).
DETAIL_MAX = 2000
#: An upload racing another with the same uids is retried this many times before giving up.
_INSERT_ATTEMPTS = 3


# --- ingestion ------------------------------------------------------------------------------


def _aware(value: Any, name: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BroadcastError("%(name)s phải là chuỗi thời gian ISO-8601", name=name)
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BroadcastError("%(name)s '%(value)s' không phải thời gian ISO-8601", name=name, value=value) from None
    if dt.tzinfo is None:
        raise BroadcastError("%(name)s '%(value)s' thiếu múi giờ (ví dụ +07:00)", name=name, value=value)
    try:  # 9999-12-31T23:59-23:59 parses, but is past year 9999 in UTC
        dt.astimezone(UTC)
    except OverflowError:
        raise BroadcastError("%(name)s '%(value)s' nằm ngoài khoảng thời gian hợp lệ", name=name, value=value) from None
    return dt


def _optional_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INT_MAX:
        raise BroadcastError("%(name)s phải là số nguyên từ 0 đến %(max)s", name=name, max=INT_MAX)
    return value


def _parse_row(row: Any) -> dict[str, Any]:
    """One uploaded row as AsRun column values; BroadcastError (without a row number) if bad."""
    if not isinstance(row, dict):
        raise BroadcastError("không phải một đối tượng JSON")
    uid = row.get("uid")
    if not isinstance(uid, str) or not uid.strip() or len(uid) > 64:
        raise BroadcastError("uid phải là chuỗi 1–64 ký tự")
    try:
        day = date.fromisoformat(row["date"])
    except (KeyError, TypeError, ValueError):
        raise BroadcastError("date '%(value)s' không phải ngày YYYY-MM-DD", value=row.get("date")) from None
    kind = row.get("kind", "bulletin")
    if not isinstance(kind, str) or kind not in KINDS:
        raise BroadcastError("kind '%(value)s' không hợp lệ (bulletin, relay hoặc jingle)", value=kind)
    status = row.get("status")
    try:
        st = AsRunStatus(status if isinstance(status, str) else "")
    except ValueError:
        raise BroadcastError("status '%(value)s' không hợp lệ (played, cut, skipped hoặc failed)", value=status) from None
    sha = row.get("sha256")
    if sha is not None and (not isinstance(sha, str) or not _SHA_RE.match(sha)):
        raise BroadcastError("sha256 phải là 64 ký tự hex thường hoặc null")
    title, detail = row.get("title", ""), row.get("detail", "")
    if not isinstance(title, str) or len(title) > 300:
        raise BroadcastError("title phải là chuỗi tối đa 300 ký tự")
    if not isinstance(detail, str) or len(detail) > DETAIL_MAX:
        raise BroadcastError("detail phải là chuỗi tối đa %(max)s ký tự", max=DETAIL_MAX)
    times = {name: _aware(row.get(name), name) for name in _TIME_FIELDS}
    if st in _AIRED and times["actual_start"] is None:
        raise BroadcastError("dòng '%(status)s' cần actual_start", status=st.value)
    for a, b in (("planned_start", "planned_end"), ("actual_start", "actual_end")):
        ta, tb = times[a], times[b]
        if ta is not None and tb is not None and tb < ta:
            raise BroadcastError("%(b)s trước %(a)s", b=b, a=a)
    return {
        "uid": uid,
        "playlist_date": day,
        "playlist_version": _optional_int(row.get("version"), "version"),
        "kind": kind,
        "title": title,
        "bulletin_id": _optional_int(row.get("bulletin_id"), "bulletin_id"),
        "media_sha256": sha,
        **times,
        "status": st,
        "detail": detail,
    }


def record_asrun(session: Session, station: Station, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Store a batch of as-run rows for a station; returns (accepted, duplicates).

    Every row is checked first: one bad row stores nothing and the error lists every bad row.
    A row whose uid is already stored (a retried upload), or repeated in the batch, is a duplicate.
    Two uploads of the same rows at the same moment (a retry racing a request that is still being
    stored): the loser's insert hits the unique (station, uid) constraint; it is rolled back to a
    savepoint and retried, this time seeing the winner's rows, so it answers with duplicates.
    """
    if not isinstance(rows, list):
        raise BroadcastError("rows phải là một danh sách.")
    parsed, errors = [], []
    for i, row in enumerate(rows, start=1):
        try:
            parsed.append(_parse_row(row))
        except BroadcastError as exc:
            errors.append(f"dòng {i}: {exc}")
    if errors:
        raise BroadcastError("Nhật ký phát có dòng không hợp lệ, chưa lưu gì: " + "; ".join(errors) + ".")
    bulletin_ids = {p["bulletin_id"] for p in parsed if p["bulletin_id"] is not None}
    known = (
        set(session.scalars(select(Bulletin.id).where(Bulletin.id.in_(bulletin_ids))))
        if bulletin_ids
        else set()
    )
    for p in parsed:
        if p["bulletin_id"] not in known:
            p["bulletin_id"] = None  # a deleted bulletin must not make the agent's upload fail forever
    accepted = _insert_new(session, station, parsed)
    station.last_sync_at = utcnow()
    session.flush()
    return accepted, len(parsed) - accepted


def _stored_uids(session: Session, station: Station, uids: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(uids), 500):  # stay under every backend's bound-parameter limit
        chunk = uids[i : i + 500]
        found.update(
            session.scalars(select(AsRun.uid).where(AsRun.station_id == station.id, AsRun.uid.in_(chunk)))
        )
    return found


def _insert_new(session: Session, station: Station, parsed: list[dict[str, Any]]) -> int:
    for attempt in range(1, _INSERT_ATTEMPTS + 1):
        seen = _stored_uids(session, station, [p["uid"] for p in parsed])
        new = []
        for p in parsed:
            if p["uid"] not in seen:
                seen.add(p["uid"])
                new.append(AsRun(station_id=station.id, **p))
        savepoint = session.begin_nested()
        try:
            session.add_all(new)
            session.flush()
        except IntegrityError:  # a concurrent upload stored some of these uids first
            savepoint.rollback()
            if attempt == _INSERT_ATTEMPTS:
                raise
            continue
        savepoint.commit()
        return len(new)
    raise AssertionError("unreachable")


# --- report ---------------------------------------------------------------------------------------


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
    aired: int = 0  # played + cut
    cut: int = 0  # aired but cut short
    minutes: float = 0.0  # minutes actually on air
    skipped: int = 0
    failed: int = 0
    misses: int = 0  # planned plays that did not air, or skipped/failed plays (not both for one play)


@dataclass
class _Acc:
    planned: int = 0
    aired: int = 0
    cut: int = 0
    seconds: float = 0.0
    skipped: int = 0
    failed: int = 0


Key = tuple[str, int | None, str]  # kind, bulletin_id, title (title only when there is no bulletin)


def _key(kind: str, bulletin_id: int | None, title: str) -> Key:
    if bulletin_id is not None:
        return ("bulletin", bulletin_id, "")
    return (kind, None, title)


def _local_day(dt: datetime, tz: ZoneInfo) -> date:
    return dt.astimezone(tz).date()


def asrun_report(
    session: Session,
    date_from: date,
    date_to: date,
    station_code: str | None = None,
    *,
    now: datetime | None = None,
) -> list[ReportRow]:
    """Per station and programme: plays planned, aired, minutes on air, misses, for the dates given.

    Planned plays come from the latest playlist version of each station and day; a play counts as
    planned once its slot has ended (before ``now``). Plays are matched by programme and day, not
    by start time, because a regenerated playlist (an emergency) shifts later items.
    """
    if date_to < date_from:
        raise BroadcastError("Ngày cuối (%(to)s) trước ngày đầu (%(frm)s).", to=f"{date_to:%d/%m/%Y}",
                             frm=f"{date_from:%d/%m/%Y}")
    now = now or utcnow()
    if station_code:
        stations = [get_station(session, station_code)]
    else:
        stations = list(session.scalars(select(Station).order_by(Station.code)))
    by_id = {s.id: s for s in stations}
    ids = list(by_id)
    acc: dict[tuple[int, date, Key], _Acc] = defaultdict(_Acc)
    titles: dict[Key, str] = {}
    priorities: dict[Key, str] = {}

    latest = (
        select(Playlist.station_id, Playlist.date, func.max(Playlist.version).label("version"))
        .where(Playlist.station_id.in_(ids), Playlist.date >= date_from, Playlist.date <= date_to)
        .group_by(Playlist.station_id, Playlist.date)
        .subquery()
    )
    planned_q = (
        select(Playlist.station_id, Playlist.date, PlaylistItem)
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
    for station_id, day, item in session.execute(planned_q):
        if item.start + timedelta(seconds=item.duration_s) > now:
            continue
        k = _key(item.kind, item.bulletin_id, item.title)
        titles.setdefault(k, item.title)
        priorities.setdefault(k, item.priority)
        acc[(station_id, day, k)].planned += 1

    # Rows without a playlist date are placed by their own time, in the station's timezone.
    lo = datetime.combine(date_from - timedelta(days=1), datetime.min.time()).astimezone()
    hi = datetime.combine(date_to + timedelta(days=2), datetime.min.time()).astimezone()
    when = func.coalesce(AsRun.actual_start, AsRun.planned_start)
    asrun_q = select(AsRun).where(
        AsRun.station_id.in_(ids),
        or_(
            and_(AsRun.playlist_date >= date_from, AsRun.playlist_date <= date_to),
            and_(AsRun.playlist_date.is_(None), when >= lo, when < hi),
        ),
    )
    for r in session.scalars(asrun_q):
        if r.playlist_date is not None:
            day = r.playlist_date
        else:
            t = r.actual_start or r.planned_start
            assert t is not None
            day = _local_day(t, ZoneInfo(by_id[r.station_id].timezone))
            if not date_from <= day <= date_to:
                continue
        k = _key(r.kind, r.bulletin_id, r.title)
        titles.setdefault(k, r.title)
        a = acc[(r.station_id, day, k)]
        if r.status in _AIRED:
            a.aired += 1
            a.cut += r.status == AsRunStatus.CUT
            start, end = r.actual_start, r.actual_end
            if start is not None and end is None and r.planned_start and r.planned_end:
                end = start + (r.planned_end - r.planned_start)
            if start is not None and end is not None:
                a.seconds += max(0.0, (end - start).total_seconds())
        elif r.status == AsRunStatus.SKIPPED:
            a.skipped += 1
        else:
            a.failed += 1

    bulletin_ids = {k[1] for (_, _, k) in acc if k[1] is not None}
    for b in session.scalars(select(Bulletin).where(Bulletin.id.in_(bulletin_ids))) if bulletin_ids else []:
        titles[("bulletin", b.id, "")] = b.title
        priorities[("bulletin", b.id, "")] = b.priority.value

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
                priority=priorities.get(k, "normal"),
            )
        row.planned += a.planned
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
        key=lambda r: (r.station_code, kind_order.get(r.kind, 9), r.bulletin_id or 0, r.title),
    )


def _add(t: ReportRow, r: ReportRow) -> None:
    t.planned += r.planned
    t.aired += r.aired
    t.cut += r.cut
    t.minutes = round(t.minutes + r.minutes, 1)
    t.skipped += r.skipped
    t.failed += r.failed
    t.misses += r.misses


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
        k = _key(r.kind, r.bulletin_id, r.title)
        _add(out.setdefault(k, ReportRow("", "", r.kind, r.bulletin_id, r.title, r.priority)), r)
        aired_at[k] += r.aired > 0
    for k, t in out.items():
        t.station_code = str(aired_at[k])
    kind_order = {k: i for i, k in enumerate(KINDS)}
    return sorted(out.values(), key=lambda t: (kind_order.get(t.kind, 9), t.bulletin_id or 0, t.title))


# --- output formats ----------------------------------------------------------------------------

#: CSV/table headers for the district's report (Vietnamese: it goes to the Standing Committee).
HEADERS_VI = {
    "station_code": "Mã đài",
    "station_name": "Tên đài",
    "kind": "Loại",
    "bulletin_id": "Mã bản tin",
    "title": "Tiêu đề",
    "priority": "Mức ưu tiên",
    "planned": "Số lần theo kế hoạch",
    "aired": "Số lần đã phát",
    "cut": "Bị cắt ngang",
    "minutes": "Số phút phát",
    "skipped": "Bỏ qua",
    "failed": "Lỗi",
    "misses": "Số lần không phát",
}
_COLUMNS = [f.name for f in fields(ReportRow)]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def report_csv(rows: Sequence[ReportRow]) -> str:
    """CSV text with a Vietnamese header row. Encode it as UTF-8 *with BOM* for Excel (see write_csv)."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([HEADERS_VI[c] for c in _COLUMNS])
    for r in rows:
        w.writerow([_cell(getattr(r, c)) for c in _COLUMNS])
    return buf.getvalue()


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


def report_table(rows: Sequence[ReportRow]) -> str:
    """Plain-text tables for the terminal: per station (with a total line after each station),
    then per bulletin over the whole district."""
    cols = ["station_code", "bulletin_id", "title", "planned", "aired", "minutes", "misses"]
    lines: list[list[str]] = []
    totals = {t.station_code: t for t in station_totals(rows)}
    for i, r in enumerate(rows):
        lines.append([_cell(getattr(r, c)) if c != "title" else _short(r.title) for c in cols])
        if i + 1 == len(rows) or rows[i + 1].station_code != r.station_code:
            t = totals[r.station_code]
            lines.append(["", "", "Tổng", str(t.planned), str(t.aired), _cell(t.minutes), str(t.misses)])
    out = _text_table(
        ["Đài", "Bản tin", "Tiêu đề", "Kế hoạch", "Đã phát", "Phút", "Không phát"], lines, {3, 4, 5, 6}
    )
    by_programme = [
        [
            _cell(t.bulletin_id),
            _short(t.title),
            t.station_code,
            str(t.planned),
            str(t.aired),
            _cell(t.minutes),
            str(t.misses),
        ]
        for t in programme_totals(rows)
    ]
    out += ["", "Toàn huyện, theo bản tin:"]
    out += _text_table(
        ["Bản tin", "Tiêu đề", "Số đài đã phát", "Kế hoạch", "Đã phát", "Phút", "Không phát"],
        by_programme,
        {2, 3, 4, 5, 6},
    )
    return "\n".join(out)
