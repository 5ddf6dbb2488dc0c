"""Voices of a deployment: the picker's list, the default voice (kept in the database, set by an
administrator, audited), which voice speaks a bulletin, which one the deployment uses now, and
the "nghe thử" samples.

The default voice set in the panel wins over the config file's engine order; with no row the
config file decides (``engine_order``, ``piper_voice``, ``espeak_voice``, …). A voice choice is
``engine:voice`` (``pipeline.tts.voice_list``); the older bare espeak accents stay valid.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from broadcast.changes import audit
from broadcast.errors import BroadcastError
from broadcast.models import Bulletin, DeploymentSetting, Priority
from loa.config import ConfigError, Settings
from loa.params import engine_params, render_params
from pipeline.params import RenderParams
from pipeline.tts.voice_list import (
    CLOUD,
    FALLBACK,
    VoiceChoice,
    apply_choice,
    as_choice,
    list_voices,
    parse_choice,
    tier,
)

DEFAULT_VOICE = "default_voice"
#: The bare espeak-ng accents older bulletins carry (the chain's espeak voice when it gets there).
LEGACY_ACCENTS = ("vi", "vi-vn-x-central", "vi-vn-x-south")
#: What "nghe thử" reads: short, with a number and a date, so a listener hears how each is read.
SAMPLE_TEXT = ("Loa truyền thanh xã xin thông báo: ngày 15 tháng 12, trạm y tế tiêm vắc xin "
               "cho trẻ em dưới 5 tuổi. Đề nghị bà con đưa các cháu đến đúng giờ.")
VOICE_MAX = 200
#: A voice name: no path separators (a Piper voice is looked up by name in the voices folder).
_VOICE_ID = re.compile(r"[\w.\-]*")


def known_engines() -> tuple[str, ...]:
    from pipeline.tts.chain import ENGINE_NAMES

    return tuple(ENGINE_NAMES)


def check_voice(voice: object) -> str:
    """A voice a bulletin (or the default) may name: "", an older espeak accent, or
    ``engine:voice`` of an engine the chain knows. Whether it speaks here is the render's
    business: a voice that cannot is skipped by the chain, and the panel says which one spoke."""
    if not isinstance(voice, str) or len(voice) > VOICE_MAX:
        raise BroadcastError("Giọng đọc không hợp lệ.")
    voice = voice.strip()
    if voice == "" or voice in LEGACY_ACCENTS:
        return voice
    parsed = parse_choice(voice)
    if parsed is None or parsed[0] not in known_engines() or not _VOICE_ID.fullmatch(parsed[1]):
        raise BroadcastError(
            "Giọng đọc không hợp lệ: '%(voice)s' (dạng bộ-đọc:giọng, bộ đọc là một trong: %(engines)s).",
            voice=voice, engines=", ".join(known_engines()),
        )
    return voice


# --- the default voice --------------------------------------------------------------------------


def default_voice(session: Session) -> str:
    """The default set in the panel, or "" (the config file decides)."""
    row = session.get(DeploymentSetting, DEFAULT_VOICE)
    return row.value if row is not None else ""


def set_default_voice(session: Session, voice: str, actor: str, settings: Settings) -> str:
    """Make ``voice`` the deployment's default ("" goes back to the config file). It must be a
    voice that can speak here now. Writes an audit row with the old and new values."""
    voice = check_voice(voice)
    if not actor.strip():
        raise BroadcastError("Thiếu người thực hiện.")
    if voice and voice not in LEGACY_ACCENTS:
        usable = {v.id for v in voice_options(settings) if v.usable}
        if voice not in usable:
            raise BroadcastError("Giọng '%(voice)s' không dùng được trên máy này.", voice=voice)
    row = session.get(DeploymentSetting, DEFAULT_VOICE)
    before = row.value if row is not None else ""
    if before == voice:
        return voice
    if row is None:
        session.add(DeploymentSetting(key=DEFAULT_VOICE, value=voice, updated_by=actor))
    else:
        row.value, row.updated_by = voice, actor
    audit(session, actor, "settings.default_voice", DEFAULT_VOICE, before=before, after=voice)
    session.flush()
    return voice


# --- listing and choosing -----------------------------------------------------------------------


def voice_options(settings: Settings) -> list[VoiceChoice]:
    """Every voice of the picker: installed Piper voices, configured cloud voices, espeak accents."""
    try:
        return list_voices(engine_params(settings), known_engines())
    except ConfigError:
        return []


def bulletin_voice(session: Session, bulletin: Bulletin) -> str:
    """The voice that should speak this bulletin: its own, else the deployment's default."""
    return bulletin.voice or default_voice(session)


def render_setup(session: Session, bulletin: Bulletin, settings: Settings) -> tuple[RenderParams, str]:
    """The render parameters for this bulletin's voice, and the voice to put in the request (only
    an older bare espeak accent is passed there). An emergency never goes to a cloud voice first:
    the offline chain speaks at once."""
    params = render_params(settings)
    voice = bulletin_voice(session, bulletin)
    parsed = parse_choice(voice)
    if parsed is None:
        return params, voice
    if bulletin.priority == Priority.EMERGENCY and tier(parsed[0]) == CLOUD:
        return params, ""
    return dataclasses.replace(params, engines=apply_choice(params.engines, voice)), ""


@dataclass(frozen=True)
class CurrentVoice:
    """The voice the deployment speaks with now. ``source``: "panel" (the default set there),
    "config" (the config file's chain) or "" (no engine can speak)."""

    id: str
    name: str
    tier: str
    source: str
    usable: bool

    @property
    def fallback(self) -> bool:
        return self.tier == FALLBACK


def current_voice(session: Session, settings: Settings) -> CurrentVoice:
    """What a render started now would speak with (the default voice, else the first engine of
    the chain that is usable and not cooling down after a failure)."""
    from pipeline.tts.chain import build_chain

    chosen = default_voice(session)
    try:
        params = apply_choice(engine_params(settings), chosen)
        chain = build_chain(params)
    except ConfigError:
        return CurrentVoice("", "", "", "", False)
    candidates = chain.candidates()
    if not candidates:
        return CurrentVoice("", "", "", "", False)
    engine = candidates[0]
    voice = chain.voice_for(engine)
    names = {v.id: v.name for v in voice_options(settings)}
    vid = f"{engine.name}:{voice}"
    source = "panel" if chosen and parse_choice(chosen) == (engine.name, voice) else "config"
    return CurrentVoice(vid, names.get(vid, vid), tier(engine.name), source, True)


# --- "nghe thử" ---------------------------------------------------------------------------------


def render_sample(settings: Settings, voice: str) -> Path:
    """A short fixed Vietnamese sample read by ``voice`` alone (no fallback: the listener must hear
    that voice), kept in the media store so the next request is a lookup. Returns the MP3's path."""
    from pipeline.render import RenderRequest, render
    from pipeline.types import PipelineError

    voice = check_voice(voice)
    if not voice:
        raise BroadcastError("Hãy chọn một giọng để nghe thử.")
    choice = as_choice(voice)
    try:
        params = render_params(settings)
        params = dataclasses.replace(params, engines=apply_choice(params.engines, choice, only=True),
                                     intro_jingle=None, outro_jingle=None)
        res = render(RenderRequest(text=SAMPLE_TEXT, title="Nghe thử giọng đọc"), params)
    except (PipelineError, ConfigError) as exc:
        raise BroadcastError("Không đọc thử được bằng giọng '%(voice)s': %(e)s", voice=voice, e=str(exc)) from exc
    return res.path
