"""The one "today" and "now" of the broadcast day.

Stations air in their own time zone (``settings.timezone``, Asia/Ho_Chi_Minh by default), while the
server's clock is usually on UTC: at 01:30 in Vietnam the server still says yesterday. Everything
about the broadcast day (default validity, what has aired, render tags, the demo) asks this module,
never ``date.today()``. Tests freeze the clock by patching :func:`utcnow`.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

log = logging.getLogger(__name__)

DEFAULT_TZ = "Asia/Ho_Chi_Minh"


def zone(tz: str | None) -> ZoneInfo:
    """The named zone; the stations' default zone for an empty or unknown name."""
    try:
        return ZoneInfo(tz or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r, using %s", tz, DEFAULT_TZ)
        return ZoneInfo(DEFAULT_TZ)


def utcnow() -> datetime:
    """The current instant (aware, UTC); the single place the wall clock is read."""
    return datetime.now(UTC)


def now(tz: str | None = None) -> datetime:
    """The current time where the stations are."""
    return utcnow().astimezone(zone(tz))


def today(tz: str | None = None) -> date:
    """Today's date where the stations are, not on the server's clock zone."""
    return now(tz).date()
