"""Weekdays and sessions the way Vietnamese officials write them (T2…CN), for the CLI and the panel."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from broadcast.stations import SessionLike

#: ISO weekday digit → Vietnamese short name (Thứ Hai … Chủ nhật).
WEEKDAYS_VI: dict[str, str] = {"1": "T2", "2": "T3", "3": "T4", "4": "T5", "5": "T6", "6": "T7", "7": "CN"}
EVERY_DAY_VI = "Hằng ngày"


def weekdays_label(digits: str, names: Mapping[str, str] = WEEKDAYS_VI, every_day: str = EVERY_DAY_VI) -> str:
    """ISO weekday digits as people write them: "123456" → "T2–T7", "135" → "T2, T4, T6".

    ``names``/``every_day`` let the panel pass its translated labels; three or more days in a row
    become a range."""
    days = sorted({int(d) for d in digits if d in "1234567"})
    if len(days) == 7:
        return every_day
    runs: list[list[int]] = []
    for d in days:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    parts = []
    for run in runs:
        labels = [names[str(d)] for d in run]
        parts.append(f"{labels[0]}–{labels[-1]}" if len(run) >= 3 else ", ".join(labels))
    return ", ".join(parts)


def sessions_label(sessions: Iterable[SessionLike]) -> str:
    """A station's sessions in one line: "T2–T7 05:30–06:00; 01/12/2026 19:00–19:30"."""
    out = []
    for s in sessions:
        end = (datetime.combine(date.min, s.start_time) + timedelta(minutes=s.max_minutes)).time()
        days = f"{s.on_date:%d/%m/%Y}" if s.on_date else weekdays_label(s.weekdays)
        out.append(f"{days} {s.start_time:%H:%M}–{end:%H:%M}")
    return "; ".join(out)
