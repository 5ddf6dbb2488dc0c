"""Planned against aired, for one station and day: the playback history ("what aired at 04:12 at
Hiệp An?") and the mark of each planned item on the day's timeline (aired, cut, missed).

An as-run row carries the slot it was planned for (``planned_start``), when it really started and
ended, its result and what cut it (``cause``, broadcast/asrun.py). A planned item is matched with
its rows by kind, media and planned start; a row planned under an earlier version of the playlist
(an emergency shifted the day) is matched by its bulletin and language instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from broadcast.asrun import CAUSES
from broadcast.languages import label as language_label
from broadcast.models import AsRun, AsRunStatus, Station, utcnow
from broadcast.reports import AIRING_LABELS, _asruns
from broadcast.stations import get_station

#: A timeline item's mark: aired whole, cut short (never aired whole), missed, or still to come.
MARKS = ("aired", "cut", "missed", "upcoming")
MARK_LABELS = {"aired": "Đã phát", "cut": "Bị cắt", "missed": "Không phát", "upcoming": "Chưa đến giờ"}


@dataclass(frozen=True)
class HistoryRow:
    """One attempt to air something, on the station's clock."""

    title: str
    kind: str
    bulletin_id: int | None
    language: str
    status: str
    cause: str
    detail: str
    planned_start: datetime | None
    planned_end: datetime | None
    actual_start: datetime | None
    actual_end: datetime | None

    @property
    def status_label(self) -> str:
        return AIRING_LABELS.get(self.status, self.status)

    @property
    def cause_label(self) -> str:
        return CAUSES.get(self.cause, "")

    @property
    def language_label(self) -> str:
        return language_label(self.language)

    def on_air_at(self, moment: datetime) -> bool:
        if self.actual_start is None or self.status not in (AsRunStatus.PLAYED, AsRunStatus.CUT):
            return False
        end = self.actual_end or self.actual_start
        return self.actual_start <= moment < end


@dataclass(frozen=True)
class History:
    station_code: str
    station_name: str
    day: date
    timezone: str
    rows: tuple[HistoryRow, ...]
    #: With ``at``: the moment asked about, and the rows on air then.
    at: datetime | None = None
    on_air: tuple[HistoryRow, ...] = ()
    #: With ``at``: what the plan had at that moment (manifest items), aired or not.
    planned_then: tuple[dict[str, Any], ...] = ()


def _row(r: AsRun, tz: ZoneInfo) -> HistoryRow:
    def local(t: datetime | None) -> datetime | None:
        return t.astimezone(tz) if t is not None else None

    return HistoryRow(
        r.title, r.kind, r.bulletin_id, r.language or "", r.status.value, r.cause or "", r.detail,
        local(r.planned_start), local(r.planned_end), local(r.actual_start), local(r.actual_end),
    )  # fmt: skip


def playback_history(
    session: Session, station_code: str, day: date, at: time | None = None
) -> History:
    """Every as-run row of the station's day, in airing order; with ``at`` (station clock), also
    what was on air at that minute and what the plan had there."""
    station = get_station(session, station_code)
    tz = ZoneInfo(station.timezone)
    rows = [_row(r, tz) for _, r in _asruns(session, {station.id: station}, day, day)]
    rows.sort(key=lambda h: h.actual_start or h.planned_start or datetime.min.replace(tzinfo=tz))
    if at is None:
        return History(station.code, station.name, day, station.timezone, tuple(rows))
    moment = datetime.combine(day, at, tzinfo=tz)
    window_end = moment + timedelta(minutes=1)
    on_air = tuple(h for h in rows if h.on_air_at(moment) or _starts_within(h, moment, window_end))
    planned = tuple(it for it in _manifest_items(session, station, day) if _covers(it, moment, window_end))
    return History(station.code, station.name, day, station.timezone, tuple(rows), moment, on_air, planned)


def _starts_within(h: HistoryRow, lo: datetime, hi: datetime) -> bool:
    return h.actual_start is not None and h.status in ("played", "cut") and lo <= h.actual_start < hi


def _manifest_items(session: Session, station: Station, day: date) -> list[dict[str, Any]]:
    from broadcast.generate import latest_playlist

    playlist = latest_playlist(session, station.code, day)
    return list(playlist.manifest.get("items", [])) if playlist is not None else []


def _span(item: dict[str, Any]) -> tuple[datetime, datetime] | None:
    try:
        start = datetime.fromisoformat(item["start"])
        return start, start + timedelta(seconds=float(item.get("duration_s", 0.0)))
    except (KeyError, TypeError, ValueError):
        return None


def _covers(item: dict[str, Any], lo: datetime, hi: datetime) -> bool:
    span = _span(item)
    return span is not None and span[0] < hi and lo < span[1]


# --- the day's timeline ---------------------------------------------------------------------------


def _media_key(kind: str, sha: str | None, title: str, start: datetime | None) -> tuple[Any, ...]:
    return (kind, sha or title, start)


def item_marks(
    items: Sequence[dict[str, Any]], rows: Sequence[AsRun], now: datetime | None = None
) -> list[tuple[str, str]]:
    """The mark of each manifest item (MARKS) and why it was cut or missed (words, "" if aired),
    from the day's as-run rows of the station.

    Matched first by kind, media and planned start, then (a row of an earlier playlist version)
    by bulletin and language; a row is used once."""
    now = now or utcnow()
    exact: dict[tuple[Any, ...], list[AsRun]] = {}
    loose: dict[tuple[Any, ...], list[AsRun]] = {}
    for r in rows:
        exact.setdefault(_media_key(r.kind, r.media_sha256, r.title, r.planned_start), []).append(r)
        if r.bulletin_id is not None:
            loose.setdefault((r.bulletin_id, r.language or ""), []).append(r)
    used: set[int] = set()
    marks = []
    for it in items:
        span = _span(it)
        start = span[0] if span else None
        found = [r for r in exact.get(_media_key(it.get("kind", ""), it.get("sha256"), it.get("title", ""), start), [])
                 if id(r) not in used]  # fmt: skip
        if not found and it.get("bulletin_id") is not None:
            found = _loose_match(loose.get((it["bulletin_id"], it.get("language") or ""), []), used)
        used.update(id(r) for r in found)
        marks.append(_mark(found, span, now))
    return marks


def _loose_match(candidates: list[AsRun], used: set[int]) -> list[AsRun]:
    """The rows of the first play (one planned start) of this bulletin not matched yet."""
    free = [r for r in candidates if id(r) not in used]
    if not free:
        return []
    first = free[0].planned_start
    return [r for r in free if r.planned_start == first]


def _why(found: list[AsRun]) -> str:
    last = found[-1]
    return CAUSES.get(last.cause or "", "") or last.detail


def _mark(found: list[AsRun], span: tuple[datetime, datetime] | None, now: datetime) -> tuple[str, str]:
    statuses = {r.status for r in found}
    if AsRunStatus.PLAYED in statuses:
        return "aired", ""
    if AsRunStatus.CUT in statuses:
        return "cut", _why([r for r in found if r.status == AsRunStatus.CUT])
    if found:
        return "missed", _why(found)
    if span is not None and span[1] <= now:
        return "missed", "không có nhật ký phát"
    return "upcoming", ""


def day_rows(session: Session, station: Station, day: date) -> list[AsRun]:
    """The station's as-run rows of that day, in airing order (for ``item_marks``)."""
    return [r for _, r in _asruns(session, {station.id: station}, day, day)]
