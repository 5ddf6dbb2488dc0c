"""A bulletin's versions in other languages (Decree 49/2024/NĐ-CP), and a station's languages.

A version is a recording (processed like any uploaded recording) or a text read by a voice that
speaks the language (a Piper voice file, or an espeak-ng voice such as ``espeak:vi``: the editor
names it; Loa does not guess). It is rendered once saved (the CLI at once; the panel on the job
queue, like the main render), so the planner can place it right after the Vietnamese version at
every station that airs the language (broadcast/planner.py). Until then it has no audio and does
not air.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast import changes
from broadcast.bulletins import _check_source, get_bulletin, request_regen, store_upload
from broadcast.errors import BroadcastError, NotFound
from broadcast.languages import MAIN, check_code, label, parse_languages, station_languages
from broadcast.models import Bulletin, BulletinVersion, MediaFile, Station
from broadcast.planner import BulletinInput, MediaRef, VersionInput
from loa.config import Settings

_RENDER = "Không tạo được âm thanh cho bản %(lang)s của bản tin #%(id)s: %(e)s"


def _render_version(session: Session, settings: Settings, bulletin: Bulletin, v: BulletinVersion,
                    on_progress: Callable[[float], None] | None = None) -> MediaFile:
    """Render the version through the pipeline (recording → horn processing; text → the voice)."""
    from broadcast.rendering import upsert_media
    from loa.params import render_params
    from pipeline.render import RenderRequest, render
    from pipeline.types import PipelineError

    recording = None
    if v.source_kind == "audio":
        upload = session.get(MediaFile, v.upload_sha256) if v.upload_sha256 else None
        if upload is None:
            raise BroadcastError("Bản %(lang)s không có tệp ghi âm.", lang=label(v.language))
        recording = (settings.media_dir / upload.path).resolve()
    req = RenderRequest(
        text=None if recording else v.body, recording=recording,
        title=f"{bulletin.title} ({label(v.language)})", issuer=bulletin.issuer,
        category=bulletin.category, date=bulletin.valid_from.isoformat(), voice=v.voice,
        speech_rate=bulletin.speech_rate,
    )  # fmt: skip
    try:
        res = render(req, render_params(settings), on_progress)
    except PipelineError as exc:
        raise BroadcastError(_RENDER, lang=label(v.language), id=bulletin.id, e=str(exc)) from exc
    return upsert_media(session, res, settings.media_dir)


def save_version(
    session: Session,
    settings: Settings,
    bulletin_id: int,
    language: str,
    *,
    text: str = "",
    recording: Path | None = None,
    voice: str = "",
    actor: str,
) -> BulletinVersion:
    """Add (or replace) the bulletin's version in ``language``, without audio until
    :func:`render_version` has run (the CLI runs it at once, the panel on the job queue; a
    replaced version's old audio no longer airs).

    A text needs ``voice``: the one voice that speaks that language; Vietnamese voices would read
    K'Ho or Churu as if it were Vietnamese, which listeners cannot follow."""
    bulletin = get_bulletin(session, bulletin_id)
    code = check_code(language)
    if code == MAIN:
        raise BroadcastError("Bản tiếng Việt là nội dung chính của bản tin, không thêm như một bản dịch.")
    if (recording is None) == (not text.strip()):
        raise BroadcastError("Bản %(lang)s cần đúng một nguồn: văn bản hoặc tệp ghi âm.", lang=label(code))
    if recording is None and not voice.strip():
        raise BroadcastError(
            "Bản %(lang)s bằng văn bản cần giọng đọc nói được tiếng này (--voice).", lang=label(code)
        )
    duration = _check_source(text, recording, settings)
    v = session.scalar(
        select(BulletinVersion).where(BulletinVersion.bulletin_id == bulletin.id, BulletinVersion.language == code)
    ) or BulletinVersion(bulletin_id=bulletin.id, language=code)
    v.source_kind, v.body, v.voice, v.created_by = ("audio" if recording else "text"), text, voice.strip(), actor
    v.upload_sha256 = store_upload(session, recording, settings.media_dir, duration).sha256 if recording else None
    v.media_sha256 = None
    session.add(v)
    session.flush()
    return v


def render_version(session: Session, settings: Settings, version_id: int,
                   on_progress: Callable[[float], None] | None = None) -> BulletinVersion:
    """Render a saved version (a cache lookup when nothing changed: safe to run twice), with the
    audit row in its saver's name and the playlist regeneration request."""
    v = session.get(BulletinVersion, version_id)
    if v is None:
        raise NotFound("Không có bản dịch #%(id)s (đã bị xoá?).", id=version_id)
    bulletin = get_bulletin(session, v.bulletin_id)
    v.media_sha256 = _render_version(session, settings, bulletin, v, on_progress).sha256
    session.flush()
    changes.audit(session, v.created_by, "bulletin.version", f"bulletin:{bulletin.id}", language=v.language,
                  source=v.source_kind, media=v.media_sha256)  # fmt: skip
    request_regen(session, bulletin, f"version {v.language}")
    return v


def remove_version(session: Session, bulletin_id: int, language: str, *, actor: str) -> None:
    bulletin = get_bulletin(session, bulletin_id)
    code = check_code(language)
    v = session.scalar(
        select(BulletinVersion).where(BulletinVersion.bulletin_id == bulletin.id, BulletinVersion.language == code)
    )
    if v is None:
        raise NotFound("Bản tin #%(id)s không có bản %(lang)s.", id=bulletin.id, lang=label(code))
    session.delete(v)
    session.flush()
    changes.audit(session, actor, "bulletin.version.remove", f"bulletin:{bulletin.id}", language=code)
    request_regen(session, bulletin, f"version {code} removed")


def list_versions(session: Session, bulletin_id: int) -> list[dict[str, Any]]:
    """The bulletin's versions: language, its name, source, voice, seconds of audio."""
    get_bulletin(session, bulletin_id)
    q = (
        select(BulletinVersion, MediaFile.duration_s)
        .outerjoin(MediaFile, MediaFile.sha256 == BulletinVersion.media_sha256)
        .where(BulletinVersion.bulletin_id == bulletin_id)
        .order_by(BulletinVersion.language)
    )
    return [
        {"language": v.language, "label": label(v.language), "source": v.source_kind, "voice": v.voice,
         "media_sha256": v.media_sha256, "duration_s": dur or 0.0}
        for v, dur in session.execute(q)
    ]  # fmt: skip


def set_station_languages(session: Session, station: Station, languages: str, *, actor: str) -> tuple[str, ...]:
    """Set the languages a station airs besides Vietnamese; its playlists are regenerated."""
    codes = parse_languages(languages)
    stored = " ".join(codes)
    if stored != station.languages:
        old = station.languages
        station.languages = stored
        session.flush()
        changes.audit(session, actor, "station.languages", f"station:{station.code}", old=old, new=stored)
        changes.request_regen(session, "station languages", [station.code])
    return codes


# --- for the planner (broadcast/generate.py) ----------------------------------------------------


def version_inputs(session: Session, bulletin_ids: list[int]) -> dict[int, tuple[VersionInput, ...]]:
    """The rendered versions of these bulletins, as planner inputs, by bulletin id."""
    from broadcast.generate import media_url

    out: dict[int, list[VersionInput]] = defaultdict(list)
    for i in range(0, len(bulletin_ids), 500):
        q = (
            select(BulletinVersion.bulletin_id, BulletinVersion.language, Bulletin.title, MediaFile)
            .join(MediaFile, MediaFile.sha256 == BulletinVersion.media_sha256)
            .join(Bulletin, Bulletin.id == BulletinVersion.bulletin_id)
            .where(BulletinVersion.bulletin_id.in_(bulletin_ids[i : i + 500]))
            .order_by(BulletinVersion.bulletin_id, BulletinVersion.language)
        )
        for bid, lang, title, mf in session.execute(q):
            media = MediaRef(mf.sha256, mf.size, mf.duration_s, media_url(mf.sha256))
            out[bid].append(VersionInput(lang, media, f"{title} ({label(lang)})"))
    return {k: tuple(v) for k, v in out.items()}


def with_versions(bulletins: list[BulletinInput], versions: dict[int, tuple[VersionInput, ...]]) -> list[BulletinInput]:
    """The bulletins, each carrying its versions (the planner keeps those the station airs)."""
    if not versions:
        return bulletins
    return [replace(b, versions=versions[b.id]) if b.id in versions else b for b in bulletins]


def languages_by_station(session: Session, station_ids: list[int] | None) -> dict[int, tuple[str, ...]]:
    """Station id → the languages it airs besides Vietnamese (only stations that list some)."""
    q = select(Station.id, Station.languages).where(Station.languages != "")
    if station_ids is not None:
        wanted = set(station_ids)
        return {i: station_languages(s) for i, s in session.execute(q) if i in wanted}
    return {i: station_languages(s) for i, s in session.execute(q)}
