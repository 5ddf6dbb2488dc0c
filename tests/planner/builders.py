"""Small builders for planner inputs, so each test states only what matters to it."""

from __future__ import annotations

from datetime import date, time

from broadcast.planner import BulletinInput, JingleInput, MediaRef, RelayInput, SessionInput, StationPlanInput

DAY = date(2026, 12, 1)  # a Tuesday (ISO weekday 2)
STATION = StationPlanInput(1, "DT-01")


def media(n: int, seconds: float) -> MediaRef:
    sha = f"{n:064x}"
    return MediaRef(sha, 1000 + n, seconds, f"/api/v1/media/{sha}")


def bulletin(
    id: int,
    seconds: float = 60,
    *,
    priority: str = "normal",
    plays: int = 1,
    valid_from: date = date(2026, 11, 1),
    valid_to: date = date(2026, 12, 31),
    title: str | None = None,
    rendered: bool = True,
) -> BulletinInput:
    return BulletinInput(
        id,
        title or f"Bản tin {id}",
        priority,
        valid_from,
        valid_to,
        plays,
        media(id, seconds) if rendered else None,
    )


def session(id: int, hh: int, mm: int, minutes: int, weekdays: str = "1234567", on_date: date | None = None):
    return SessionInput(id, time(hh, mm), minutes, weekdays, on_date)


def relay(id: int, hh: int, mm: int, minutes: int, weekdays: str = "1234567") -> RelayInput:
    return RelayInput(id, f"VOV {id}", f"http://stream.example/vov{id}", time(hh, mm), minutes, weekdays)


def jingle(seconds: float = 5) -> JingleInput:
    return JingleInput(media(9999, seconds))
