"""Render a bulletin through the pipeline and record the result in the database.

The pipeline owns the audio and its cache (identical input is a lookup); this module only keeps
the books: the MediaFile row (by sha256), the bulletin's render status, and a playlist regeneration
request when an approved bulletin gets new audio.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from broadcast.bulletins import request_regen
from broadcast.clarity import mark_pending
from broadcast.errors import RenderFailed
from broadcast.media import MediaStoreDown, local_copy, media_backend, record_media
from broadcast.models import Bulletin, BulletinStatus, MediaFile, Priority
from broadcast.voices import render_setup
from loa.config import Settings
from pipeline.params import RenderParams
from pipeline.render import RenderRequest, RenderResult, render
from pipeline.store import StoredMedia
from pipeline.tts.chain import offline_only
from pipeline.types import PipelineError

log = logging.getLogger(__name__)

ProgressFn = Callable[[float], None]


def render_request(bulletin: Bulletin, settings: Settings, session: Session, voice: str | None = None) -> RenderRequest:
    """What the pipeline needs to render this bulletin: its script, or its stored recording.
    ``voice``: what goes in the request's voice (default: the bulletin's own)."""
    recording: Path | None = None
    if bulletin.source_kind == "audio":
        upload = session.get(MediaFile, bulletin.upload_sha256) if bulletin.upload_sha256 else None
        if upload is None:
            raise RenderFailed("Bản tin #%(id)s không có tệp ghi âm.", id=bulletin.id)
        recording = local_copy(settings, upload.path).resolve()
    return RenderRequest(
        text=None if recording else bulletin.body,
        recording=recording,
        title=bulletin.title,
        issuer=bulletin.issuer,
        category=bulletin.category,
        date=bulletin.valid_from.isoformat(),
        voice=bulletin.voice if voice is None else voice,
        speech_rate=bulletin.speech_rate,
    )


#: Statuses whose text is published: every other one (draft, submitted, rejected) is still a draft.
_PUBLISHED = {BulletinStatus.APPROVED, BulletinStatus.ARCHIVED}


def cloud_voices_allowed(bulletin: Bulletin, settings: Settings) -> bool:
    """Whether this bulletin's render may use a cloud voice (engines that send the text out).

    An emergency never waits on a cloud call: the offline voice speaks at once. A bulletin not yet
    approved may hold sensitive text, so it goes to the cloud only if ``cloud_voices_for_drafts``.
    """
    if bulletin.priority == Priority.EMERGENCY:
        return False
    return bulletin.status in _PUBLISHED or settings.cloud_voices_for_drafts


def bulletin_render_params(session: Session, bulletin: Bulletin, settings: Settings) -> tuple[RenderParams, str]:
    """The render parameters for this bulletin's voice (:func:`broadcast.voices.render_setup`),
    without the cloud engines when :func:`cloud_voices_allowed` says no; and the request's voice."""
    params, voice = render_setup(session, bulletin, settings)
    if cloud_voices_allowed(bulletin, settings):
        return params, voice
    return replace(params, engines=offline_only(params.engines)), voice


def upsert_media(
    session: Session, res: RenderResult, media_dir: Path, settings: Settings | None = None
) -> MediaFile:
    """The rendered MP3's MediaFile row (the pipeline already put the file in the local store; with
    ``settings`` naming a bucket, it is copied there first)."""
    meta: dict[str, Any] = {
        **res.meta,
        "engine": res.engine,
        "voice": res.voice,
        "loudness_lufs": res.loudness_lufs,
        "true_peak_dbtp": res.true_peak_dbtp,
        "cache_key": res.cache_key,
    }
    stored = StoredMedia(res.sha256, media_dir / res.relpath, res.relpath, res.size, meta)
    backend = media_backend(settings) if settings is not None else None
    return record_media(session, stored, duration_s=res.duration_s, meta=meta, backend=backend)


def render_bulletin(
    session: Session, bulletin: Bulletin, settings: Settings, on_progress: ProgressFn | None = None
) -> MediaFile:
    """Render (or fetch from the cache) the bulletin's broadcast MP3 and link it to the bulletin.

    On failure the bulletin is marked ``failed`` with a Vietnamese ``render_error`` and
    RenderFailed is raised: commit the session anyway so the failure is recorded.
    """
    try:
        params, voice = bulletin_render_params(session, bulletin, settings)
        req = render_request(bulletin, settings, session, voice)
    except (RenderFailed, MediaStoreDown) as exc:
        bulletin.render_status, bulletin.render_error = "failed", str(exc)
        session.flush()
        raise
    bulletin.render_status, bulletin.render_error = "running", ""
    try:
        res = render(req, params, on_progress=on_progress)
    except PipelineError as exc:
        failure = RenderFailed("Không tạo được âm thanh cho bản tin #%(id)s: %(e)s", id=bulletin.id, e=str(exc))
        log.warning("%s", failure)
        bulletin.render_status, bulletin.render_error = "failed", str(failure)
        session.flush()
        raise failure from exc
    # The write is idempotent: the same render may run twice at once (a worker thought dead is
    # retried elsewhere). Lock the bulletin row (PostgreSQL; SQLite has one writer anyway) and read
    # what the other run may have committed meanwhile, so it is one MediaFile row, one link and one
    # regeneration request, whoever finishes first.
    session.refresh(bulletin, with_for_update=True)
    previous = bulletin.media_sha256
    try:
        mf = upsert_media(session, res, settings.media_dir, settings)
    except MediaStoreDown as exc:
        bulletin.render_status, bulletin.render_error = "failed", str(exc)
        session.flush()
        raise RenderFailed("Không lưu được âm thanh của bản tin #%(id)s: %(e)s", id=bulletin.id, e=str(exc)) from exc
    bulletin.media = mf
    bulletin.media_sha256 = mf.sha256
    bulletin.render_status, bulletin.render_error = "done", ""
    session.flush()
    if settings.clarity_check:
        mark_pending(session, mf.sha256, bulletin.source_kind)  # checked in the background
    if previous != mf.sha256:
        # New audio on air: the approved bulletin's stations need playlists that point to it.
        request_regen(session, bulletin, "bulletin rendered")
    log.info(
        "bulletin #%s rendered: %s (%.1f s, %s%s)",
        bulletin.id,
        mf.sha256[:12],
        mf.duration_s,
        res.engine,
        ", cached" if res.cached else "",
    )
    return mf
