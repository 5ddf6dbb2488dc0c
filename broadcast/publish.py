"""Render, then publish: the one workflow that turns a bulletin into audio and new playlists.

The render runs in its own transaction so a failure is recorded on the bulletin (and an approval
made before is kept); the playlist regeneration requests are processed afterwards, by the outbox's
one drainer (``broadcast.outbox.process_requests``), even when the audio failed, so the playlists
show the bulletin (as unplaced) rather than nothing. The panel's background job, ``loa bulletin render/approve/add --approve`` and the demo all call :func:`render_and_publish`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from broadcast.bulletins import get_bulletin
from broadcast.db import session_scope
from broadcast.errors import RenderFailed
from loa.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Published:
    """What came out: the audio (None if it failed, see ``failure``) and playlists written."""

    bulletin_id: int
    title: str
    sha256: str | None = None
    path: str | None = None
    duration_s: float | None = None
    failure: RenderFailed | None = None
    playlists: int | None = None


def render_and_publish(
    factory: sessionmaker[Session],
    bulletin_id: int,
    settings: Settings,
    *,
    publish: bool = True,
    on_progress: Callable[[float], None] | None = None,
) -> Published:
    """Render bulletin ``bulletin_id`` (a cache lookup if nothing changed), then, if ``publish``,
    have the playlist regeneration requests processed (``playlists``: how many requests this call
    handled; None when the running scheduler does it). A render failure is returned, not raised."""
    from broadcast.outbox import process_requests
    from broadcast.rendering import render_bulletin

    failure: RenderFailed | None = None
    audio: tuple[str | None, str | None, float | None]
    with session_scope(factory) as s:
        b = get_bulletin(s, bulletin_id)
        title = b.title
        try:
            mf = render_bulletin(s, b, settings, on_progress=on_progress)
            audio = (mf.sha256, mf.path, mf.duration_s)
        except RenderFailed as exc:  # committed: the failure stays recorded on the bulletin
            failure, audio = exc, (None, None, None)
    playlists: int | None = None
    if publish:
        playlists = process_requests(factory, settings)
    sha, path, duration = audio
    return Published(bulletin_id, title, sha, path, duration, failure, playlists)
