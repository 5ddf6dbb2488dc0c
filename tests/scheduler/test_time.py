from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from broadcast.scheduler import Clock, SchedulerError, nightly_dates, nightly_slot, parse_hhmm

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def test_parse_hhmm() -> None:
    assert parse_hhmm("00:05") == time(0, 5)
    assert parse_hhmm(" 7:30 ") == time(7, 30)
    assert parse_hhmm("23:59") == time(23, 59)
    for bad in ("24:00", "12:60", "1205", "", "ab:cd", "12:5"):
        with pytest.raises(SchedulerError, match="HH:MM"):
            parse_hhmm(bad)


def test_slot_is_the_local_day_whose_nightly_time_last_passed() -> None:
    at = time(0, 5)
    # 00:04 local on the 27th is 17:04 UTC on the 26th: the last run due is the 26th's.
    assert nightly_slot(datetime(2026, 11, 26, 17, 4, tzinfo=UTC), at, VN) == date(2026, 11, 26)
    assert nightly_slot(datetime(2026, 11, 26, 17, 5, tzinfo=UTC), at, VN) == date(2026, 11, 27)
    # The same instant in UTC's own terms would be a different day: the station's zone decides.
    assert nightly_slot(datetime(2026, 11, 26, 17, 5, tzinfo=UTC), at, UTC) == date(2026, 11, 26)
    assert nightly_slot(datetime(2026, 11, 27, 22, 0, tzinfo=VN), time(22, 0), VN) == date(2026, 11, 27)
    assert nightly_slot(datetime(2026, 11, 27, 21, 59, tzinfo=VN), time(22, 0), VN) == date(2026, 11, 26)


def test_dates_cover_today_and_the_days_ahead() -> None:
    assert nightly_dates(date(2026, 12, 31), 2) == [date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2)]
    assert nightly_dates(date(2026, 3, 1), 0) == [date(2026, 3, 1)]


def test_clock_from_env() -> None:
    assert Clock.from_env(VN, {}).offset == timedelta(0)
    clock = Clock.from_env(VN, {"LOA_FAKE_NOW": "2026-11-26T23:59:50"})  # no offset: local to VN
    expected = datetime(2026, 11, 26, 23, 59, 50, tzinfo=VN)
    assert abs((clock.now() - expected).total_seconds()) < 5
    assert clock.now().tzinfo is not None
    assert clock.now().microsecond % 1000 == 0  # the planner's resolution
    utc = Clock.from_env(VN, {"LOA_FAKE_NOW": "2026-11-26T16:59:50+00:00"})
    assert abs((utc.now() - expected).total_seconds()) < 5
    with pytest.raises(SchedulerError, match="LOA_FAKE_NOW"):
        Clock.from_env(VN, {"LOA_FAKE_NOW": "tomorrow"})
