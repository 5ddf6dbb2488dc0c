"""Shared by the scale-out tests: process environments, bulletins to render, store checks."""

from __future__ import annotations

import hashlib
import os
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from broadcast import bulletins
from loa.config import Settings

#: A script long enough that its render takes a few seconds (so a kill lands mid-render).
LONG_SCRIPT = " ".join(
    f"Thông báo số {i}: Ủy ban nhân dân xã đề nghị bà con kiểm tra hệ thống thoát nước, gia cố nhà cửa "
    f"và chuẩn bị lương thực trước mùa mưa bão năm 2026." for i in range(1, 9)
)


def process_env(data_dir: Path, redis_url: str = "", db_url: str = "", **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOA_")}
    env.update(LOA_DATA_DIR=str(data_dir), LOA_ENGINE_ORDER="espeak", LOA_WORKER_HEARTBEAT_S="1",
               LOA_REDIS_URL=redis_url, LOA_DATABASE_URL=db_url, LOA_LANG="en",
               LOA_CLARITY_CHECK="0")  # the recognizer is not what these tests are about
    env.update(extra)
    return env


def approved_without_audio(session: Session, settings: Settings, title: str, day: date, *, body: str = "",
                           station_codes: list[str] | None = None, priority: str = "normal") -> int:
    """An approved bulletin whose audio is still to render (as after ``loa bulletin approve --no-render``)."""
    b = bulletins.create_bulletin(session, title=title, body=body or f"{title}. {LONG_SCRIPT[:300]}",
                                  priority=priority, valid_from=day, valid_to=day, station_codes=station_codes,
                                  actor="editor", settings=settings)
    bulletins.submit(session, b, "editor")
    bulletins.approve(session, b, "reviewer")
    session.flush()
    return b.id


def assert_store_complete(media_dir: Path) -> int:
    """Every file at a final path of the store is whole: its bytes hash to its name. Returns how many."""
    n = 0
    for path in media_dir.glob("??/*.mp3"):
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.stem, f"partial file {path}"
        n += 1
    return n
