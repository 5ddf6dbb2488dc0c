"""Test data for the scheduler: stations with daily sessions and approved bulletins with audio.

Audio is a MediaFile row over a small file in the media folder (rendering is not what these tests
are about); everything else goes through the real services of broadcast.stations / bulletins."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from broadcast import bulletins
from broadcast.models import Bulletin, MediaFile, RegenRequest
from broadcast.stations import import_stations, parse_stations_csv
from loa.config import Settings

SESSIONS = "Mon-Sun 05:30-06:00; Mon-Sun 11:00-11:30; Mon-Sun 17:00-17:45"


def station_codes(n: int) -> list[str]:
    return [f"xa-{i:03d}" for i in range(n)]


def add_stations(session: Session, n: int) -> list[str]:
    codes = station_codes(n)
    lines = ["code,name,kind,sessions"] + [f'{c},Xã số {i},xa,"{SESSIONS}"' for i, c in enumerate(codes)]
    import_stations(session, parse_stations_csv("\n".join(lines) + "\n"), actor="test")
    # Seeded stations start with an empty outbox: the tests count the requests of their own changes.
    session.execute(delete(RegenRequest).where(RegenRequest.reason == "stations imported"))
    return codes


def add_media(session: Session, settings: Settings, label: str, duration_s: float = 60.0) -> str:
    data = f"ID3 fake mp3 for {label}".encode() * 40
    sha = hashlib.sha256(data).hexdigest()
    rel = f"{sha[:2]}/{sha}.mp3"
    path: Path = settings.media_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if session.get(MediaFile, sha) is None:
        session.add(MediaFile(sha256=sha, path=rel, size=len(data), duration_s=duration_s))
        session.flush()
    return sha


def approved_bulletin(session: Session, settings: Settings, title: str, *, valid_from: date, valid_to: date,
                      priority: str = "normal", station_codes: list[str] | None = None,
                      plays_per_day: int = 1) -> Bulletin:
    """Create, give audio, submit and approve (which queues a RegenRequest, in this transaction)."""
    b = bulletins.create_bulletin(session, title=title, body=f"Nội dung {title}.", priority=priority,
                                  valid_from=valid_from, valid_to=valid_to, plays_per_day=plays_per_day,
                                  station_codes=station_codes, actor="editor", media_dir=settings.media_dir)
    b.media_sha256 = add_media(session, settings, title)
    b.render_status = "done"
    bulletins.submit(session, b, "editor")
    bulletins.approve(session, b, "reviewer")
    return b


def clear_outbox(session: Session) -> None:
    from datetime import UTC, datetime

    session.execute(update(RegenRequest).where(RegenRequest.done_at.is_(None)).values(done_at=datetime.now(UTC)))
