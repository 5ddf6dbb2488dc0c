"""What a station agent's heartbeat may carry: a few short, typed fields, so a hostile or broken
agent cannot store megabytes (or garbage) in ``stations.agent_info``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from broadcast.errors import BroadcastError

#: Longest ``agent_version`` and ``time`` strings accepted.
SHORT_MAX = 64
#: Longest ``playing`` (an item title; titles are at most 300 characters).
PLAYING_MAX = 300
FIELDS = ("time", "agent_version", "cached_until", "playing")


def _text(body: dict[str, Any], name: str, limit: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise BroadcastError(
            "Trường '%(name)s' phải là chuỗi tối đa %(limit)s ký tự.", name=name, limit=limit
        )
    return value


def heartbeat_info(body: dict[str, Any]) -> dict[str, Any]:
    """The fields of a heartbeat to store, checked; BroadcastError names the first bad one."""
    info: dict[str, Any] = {}
    moment = _text(body, "time", SHORT_MAX)
    if moment is not None:
        try:
            parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                raise ValueError(moment)
            parsed.astimezone(UTC)
        except (ValueError, OverflowError):
            raise BroadcastError(
                "Trường 'time' phải là thời gian ISO-8601 có múi giờ, ví dụ 2026-11-27T05:30:00+07:00."
            ) from None
    until = _text(body, "cached_until", SHORT_MAX)
    if until is not None:
        try:
            date.fromisoformat(until)
        except ValueError:
            raise BroadcastError("Trường 'cached_until' phải là ngày dạng YYYY-MM-DD.") from None
    values = {
        "time": moment,
        "agent_version": _text(body, "agent_version", SHORT_MAX),
        "cached_until": until,
        "playing": _text(body, "playing", PLAYING_MAX),
    }
    for name in FIELDS:
        if name in body:
            info[name] = values[name]
    return info
