"""Every voice a render could use here, and how a chosen voice reorders the engine chain.

A voice choice is written ``engine:voice`` (``piper:vi_VN-vais1000-medium``, ``fpt:banmai``,
``espeak:vi-vn-x-south``): the chosen engine speaks first, with that voice, and the rest of the
chain stays behind it as the fallback. The panel's picker, the default voice of a deployment and a
bulletin's own voice all use this form. Plain parameters only: no database, no ``loa.config``.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pipeline.params import EngineParams
from pipeline.tts.base import Engine, EngineError
from pipeline.tts.chain import EngineChain, EngineStatus
from pipeline.tts.install import installed_voices

log = logging.getLogger(__name__)

#: Quality tier of an engine's voices; an engine not named here is a cloud service.
NEURAL, CLOUD, FALLBACK = "neural", "cloud", "fallback"
_TIERS = {"piper": NEURAL, "espeak": FALLBACK}
#: Engines listed only when they are in ``engine_order`` (they need no key, so "configured" means
#: "asked for"): gTTS rests on an unofficial endpoint.
_ONLY_WHEN_ORDERED = frozenset({"gtts"})


def tier(engine: str) -> str:
    return _TIERS.get(engine, CLOUD)


@dataclass(frozen=True)
class VoiceChoice:
    """One voice of the picker. ``id`` is the ``engine:voice`` choice."""

    id: str
    engine: str
    voice: str
    name: str
    tier: str
    usable: bool = True
    reason: str = ""


def parse_choice(choice: str) -> tuple[str, str] | None:
    """``"piper:NAME"`` → ("piper", "NAME"); None for "" or a bare espeak accent (the older form)."""
    engine, sep, voice = choice.partition(":")
    if not sep or not engine.strip():
        return None
    return engine.strip(), voice.strip()


def as_choice(voice: str) -> str:
    """``voice`` as an ``engine:voice`` choice: a bare espeak-ng accent (the older form) is espeak's."""
    return voice if not voice or parse_choice(voice) else f"espeak:{voice}"


def apply_choice(params: EngineParams, choice: str, *, only: bool = False, within: bool = False) -> EngineParams:
    """The engine parameters with ``choice``'s engine first and its voice set (``<engine>_voice``);
    ``only``: that engine alone (a sample must be that voice or nothing); ``within``: only an engine
    already in ``engine_order`` (a render request's voice never brings in an engine the caller left
    out, such as a cloud one on an offline chain). "" changes nothing."""
    parsed = parse_choice(choice)
    if parsed is None or (within and parsed[0] not in params.engine_order):
        return params
    engine, voice = parsed
    order = (engine,) if only else (engine, *(e for e in params.engine_order if e != engine))
    changes: dict[str, Any] = {"engine_order": order}
    field = f"{engine}_voice"
    if voice and field in {f.name for f in dataclasses.fields(params)}:
        changes[field] = voice
    return dataclasses.replace(params, **changes)


def _why_not(st: EngineStatus) -> str:
    """Why a voice of this engine cannot speak now ("" when it can). An engine missing from
    ``engine_order`` still can: choosing one of its voices puts it first (:func:`apply_choice`)."""
    if not st.availability.ok:
        return st.availability.reason
    if st.cooling_until is not None:
        until = datetime.fromtimestamp(st.cooling_until).astimezone().strftime("%H:%M")
        return f"tạm bỏ qua đến {until} sau lỗi: {st.last_error}"
    return ""


def _engine_voices(st: EngineStatus) -> list[VoiceChoice]:
    reason, name = _why_not(st), st.engine.name
    try:
        voices = st.engine.voices() if st.availability.ok or tier(name) == CLOUD else []
    except EngineError as exc:
        log.info("voice list: cannot list the voices of %s: %s", name, exc)
        voices = []
    out = []
    for v in voices:
        label = f"{v.detail} — {v.name}" if tier(name) == CLOUD and v.detail else v.name
        out.append(VoiceChoice(f"{name}:{v.id}", name, v.id, label, tier(name), not reason, reason))
    return out


def _piper_voices(params: EngineParams, chain: EngineChain) -> list[VoiceChoice]:
    from pipeline.tts.chain import make_engine

    models = installed_voices(params.voices_dir) if params.voices_dir else []
    names = [p.name.removesuffix(".onnx") for p in models]
    # (choice's voice, setting): each installed voice by name; a configured path outside the voices
    # folder as "piper:" (the configured voice; choices never carry paths).
    entries = [(name, name) for name in names]
    configured = params.piper_voice
    if configured and configured not in names and configured not in {str(p) for p in models}:
        entries.append(("", configured))
    out = []
    for voice, setting in entries:
        engine, voice_id = make_engine("piper", dataclasses.replace(params, piper_voice=setting))
        reason = _why_not(chain.status_of(engine))
        out.append(VoiceChoice(f"piper:{voice}", "piper", voice, f"Piper {voice_id or setting}", NEURAL,
                               not reason, reason))  # fmt: skip
    return out


def _configured(name: str, engine: Any, params: EngineParams) -> bool:
    """Cloud services count once their key is set; gTTS (no key) once it is in engine_order."""
    if name in _ONLY_WHEN_ORDERED:
        return name in params.engine_order
    secrets = getattr(engine, "secrets", None)
    return secrets is None or all(secrets())


def list_voices(params: EngineParams, engine_names: tuple[str, ...] | None = None) -> list[VoiceChoice]:
    """Installed Piper voices, configured cloud voices, then espeak-ng's accents (the fallback):
    every voice the picker offers, each with whether it can speak here now and why not (not
    installed, cooling down after a failure). Cloud services without a key are left out. ``loa voices`` prints this list and
    the panel's picker offers its usable part. ``engine_names``: the engines to look at (default:
    every engine the chain knows)."""
    from pipeline.tts.chain import ENGINE_NAMES, make_engine

    names = engine_names or ENGINE_NAMES
    engines: list[tuple[Engine, str]] = []
    for name in sorted(names, key=lambda n: (list(_TIERS).index(n) if n in _TIERS else 0.5, n)):
        if name == "piper":
            continue
        try:
            engine, voice = make_engine(name, params)
        except (EngineError, ValueError) as exc:  # ValueError: ConfigError of a half-set engine
            log.info("voice list: %s unavailable: %s", name, exc)
            continue
        if _configured(name, engine, params):
            engines.append((engine, voice))
    chain = EngineChain(engines, cooldown_s=params.cooldown_s, state_path=params.state_path)
    out = _piper_voices(params, chain) if "piper" in names else []
    for st in chain.status():
        out.extend(_engine_voices(st))
    return out
