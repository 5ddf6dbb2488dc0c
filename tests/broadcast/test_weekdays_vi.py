"""Weekdays as Vietnamese officials write them (T2…CN), shared by ``loa stations list`` and the panel."""

from __future__ import annotations

from datetime import date, time
from types import SimpleNamespace

from broadcast.weekdays_vi import sessions_label, weekdays_label


def test_weekdays_label_ranges_and_lists() -> None:
    assert weekdays_label("123456") == "T2–T7"
    assert weekdays_label("135") == "T2, T4, T6"
    assert weekdays_label("67") == "T7, CN"
    assert weekdays_label("1234567") == "Hằng ngày"


def test_weekdays_label_takes_translated_names() -> None:
    names = dict(zip("1234567", ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], strict=True))
    assert weekdays_label("12345", names, "Every day") == "Mon–Fri"


def test_sessions_label() -> None:
    weekly = SimpleNamespace(weekdays="123456", start_time=time(5, 30), max_minutes=30, on_date=None)
    once = SimpleNamespace(weekdays="", start_time=time(19, 0), max_minutes=30, on_date=date(2026, 12, 1))
    assert sessions_label([weekly, once]) == "T2–T7 05:30–06:00; 01/12/2026 19:00–19:30"
