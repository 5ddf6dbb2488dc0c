"""Every voice a deployment could speak with, whether it is usable now and why not: the installed
Piper voices, the configured cloud voices and espeak-ng's accents (the fallback, "dự phòng").

``loa voices`` prints this list and the panel's voice picker offers its usable part
(``pipeline.tts.cli.usable_voices``). A voice's ``id`` is ``engine:voice`` (``fpt:banmai``,
``espeak:vi``, ``piper:/…/vi_VN-vais1000-medium.onnx``), so one string says who speaks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from pipeline.params import ConfigError, EngineParams
from pipeline.tts.base import Engine, EngineError
from pipeline.tts.chain import CLOUD_ENGINES, EngineChain, EngineStatus, make_engine
from pipeline.tts.install import installed_voices, resolve_voice
from pipeline.tts.piper_engine import PiperEngine

log = logging.getLogger(__name__)

#: Quality tier of each engine: neural (offline, natural), cloud (online), fallback (espeak-ng).
TIER = {"piper": "neural", "espeak": "fallback", **{name: "cloud" for name in CLOUD_ENGINES}}
TIER_LABELS = {"neural": "thần kinh", "cloud": "đám mây", "fallback": "dự phòng"}
#: The new cloud voices (gTTS is the unofficial Google endpoint, shown by ``loa voices`` apart).
VENDOR_CLOUD = ("fpt", "viettel", "zalo", "vnpt")


@dataclass(frozen=True)
class VoiceChoice:
    id: str
    engine: str
    voice: str
    #: What an operator reads in the picker, in Vietnamese ("FPT.AI — Ban Mai (nữ, miền Bắc)").
    label: str
    tier: str
    usable: bool
    #: Why it is not usable (or what to know about it), in Vietnamese.
    reason: str = ""


def _why_not(st: EngineStatus, in_order: bool) -> str:
    if not st.availability.ok:
        return st.availability.reason
    if not in_order:
        return f"{st.engine.name} chưa có trong engine_order"
    if st.cooling_until is not None:
        until = datetime.fromtimestamp(st.cooling_until).astimezone().strftime("%H:%M")
        return f"tạm bỏ qua đến {until} sau lỗi: {st.last_error}"
    return ""


def _choices(st: EngineStatus, in_order: bool, suffix: str = "") -> list[VoiceChoice]:
    reason = _why_not(st, in_order)
    tier = TIER[st.engine.name]
    try:
        voices = st.engine.voices()
    except EngineError as exc:
        log.info("cannot list the voices of %s: %s", st.engine.name, exc)
        voices = []
    out = []
    for v in voices:
        label = f"{v.detail} — {v.name}" if tier == "cloud" else f"{v.name}{suffix}"
        out.append(VoiceChoice(f"{st.engine.name}:{v.id}", st.engine.name, v.id, label, tier, not reason,
                               reason or st.availability.reason))  # fmt: skip
    return out


def _piper_choices(params: EngineParams, chain: EngineChain) -> list[VoiceChoice]:
    """One choice per installed voice (and the configured one, if it lives elsewhere)."""
    models = [str(p) for p in installed_voices(params.voices_dir)] if params.voices_dir else []
    configured = resolve_voice(params.piper_voice, params.voices_dir) if params.voices_dir else params.piper_voice
    if configured and configured not in models:
        models.append(configured)
    out = []
    for model in models:
        engine = PiperEngine(model=model)
        st = chain.status_of(engine)
        for choice in _choices(st, "piper" in params.engine_order):
            out.append(replace(choice, id=f"piper:{model}", voice=model))
    return out


def voice_choices(params: EngineParams) -> list[VoiceChoice]:
    """Installed Piper voices, then the cloud voices that have a key, then espeak-ng's accents."""
    engines: list[tuple[Engine, str]] = []
    for name in (*VENDOR_CLOUD, "espeak"):
        try:
            engines.append(make_engine(name, params))
        except ConfigError as exc:
            log.info("voice list: %s left out: %s", name, exc)
    chain = EngineChain(engines, cooldown_s=params.cooldown_s, state_path=params.state_path)
    out = _piper_choices(params, chain)
    for st in chain.status():
        if st.engine.name in VENDOR_CLOUD and not all(getattr(st.engine, "secrets", list)()):
            continue  # not configured: not a choice (``loa voices`` still says why)
        suffix = " (dự phòng)" if st.engine.name == "espeak" else ""
        out += _choices(st, st.engine.name in params.engine_order or st.engine.name == "espeak", suffix)
    return out
