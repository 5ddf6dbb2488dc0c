"""The ordered fallback chain of engines, with a cooldown for engines that just failed.

The cooldown lives in a small JSON file so that the next ``loa`` process also skips an engine that
failed a minute ago: an offline PC must not wait for Google on every render.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pipeline.params import ConfigError, EngineParams
from pipeline.store import atomic_write_bytes
from pipeline.tts.base import Availability, Engine
from pipeline.tts.cloud.fpt import FptEngine
from pipeline.tts.cloud.viettel import ViettelEngine
from pipeline.tts.cloud.vnpt import VnptEngine
from pipeline.tts.cloud.zalo import ZaloEngine
from pipeline.tts.espeak_engine import EspeakEngine
from pipeline.tts.gtts_engine import GttsEngine
from pipeline.tts.install import resolve_voice
from pipeline.tts.piper_engine import PiperEngine

log = logging.getLogger(__name__)

#: Engines that send the text over the internet (to Google, FPT, Viettel, Zalo, VNPT): a draft goes
#: to them only when the deployment allows it, and an emergency never waits for them.
CLOUD_ENGINES = frozenset({"gtts", "fpt", "viettel", "zalo", "vnpt"})


def _piper(params: EngineParams) -> tuple[Engine, str]:
    voice = resolve_voice(params.piper_voice, params.voices_dir) if params.voices_dir else params.piper_voice
    piper = PiperEngine(model=voice)
    return piper, piper.voice_id


def _gtts(params: EngineParams) -> tuple[Engine, str]:
    return GttsEngine(timeout_s=params.gtts_timeout_s, retries=params.gtts_retries), "vi"


def _espeak(params: EngineParams) -> tuple[Engine, str]:
    return EspeakEngine(default_voice=params.espeak_voice), params.espeak_voice


def _cloud_timing(params: EngineParams) -> dict[str, Any]:
    return {"timeout_s": params.cloud_timeout_s, "retries": params.cloud_retries,
            "poll_timeout_s": params.cloud_poll_timeout_s}  # fmt: skip


def _fpt(params: EngineParams) -> tuple[Engine, str]:
    fpt = FptEngine(
        api_key=params.fpt_api_key, endpoint=params.fpt_endpoint, voice=params.fpt_voice,
        timeout_s=params.fpt_timeout_s, poll_timeout_s=params.fpt_poll_timeout_s,
    )  # fmt: skip
    return fpt, fpt.voice


def _viettel(params: EngineParams) -> tuple[Engine, str]:
    engine = ViettelEngine(
        token=params.viettel_token, endpoint=params.viettel_endpoint, voice=params.viettel_voice,
        **_cloud_timing(params),
    )  # fmt: skip
    return engine, engine.voice


def _zalo(params: EngineParams) -> tuple[Engine, str]:
    engine = ZaloEngine(
        api_key=params.zalo_api_key, endpoint=params.zalo_endpoint, voice=params.zalo_voice,
        **_cloud_timing(params),
    )  # fmt: skip
    return engine, engine.voice


def _vnpt(params: EngineParams) -> tuple[Engine, str]:
    engine = VnptEngine(
        access_token=params.vnpt_access_token, token_id=params.vnpt_token_id,
        token_key=params.vnpt_token_key, endpoint=params.vnpt_endpoint, voice=params.vnpt_voice,
        **_cloud_timing(params),
    )  # fmt: skip
    return engine, engine.voice


_FACTORIES: dict[str, Callable[[EngineParams], tuple[Engine, str]]] = {
    "piper": _piper, "gtts": _gtts, "espeak": _espeak,
    "fpt": _fpt, "viettel": _viettel, "zalo": _zalo, "vnpt": _vnpt,
}  # fmt: skip
ENGINE_NAMES = tuple(_FACTORIES)


def make_engine(name: str, params: EngineParams) -> tuple[Engine, str]:
    """One engine from its parameters, with the voice the chain uses for it."""
    factory = _FACTORIES.get(name)
    if factory is None:
        raise ConfigError(f"engine_order: unknown engine {name!r} (known: {', '.join(ENGINE_NAMES)})")
    return factory(params)


def offline_only(params: EngineParams) -> EngineParams:
    """The same parameters with every cloud engine taken out of ``engine_order``.

    For renders that must not send their text out (a draft, unless allowed) or must not wait on
    the network (an emergency). When only cloud engines were listed, espeak-ng speaks instead, so
    that such a render still gets a voice.
    """
    order = tuple(n for n in params.engine_order if n not in CLOUD_ENGINES)
    return replace(params, engine_order=order or ("espeak",))


@dataclass(frozen=True)
class EngineStatus:
    engine: Engine
    voice: str
    availability: Availability
    #: Wall-clock time until which the engine is skipped, or None.
    cooling_until: float | None = None
    last_error: str = ""


class EngineChain:
    def __init__(
        self,
        engines: Sequence[tuple[Engine, str]],
        *,
        cooldown_s: float = 300.0,
        state_path: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engines = [e for e, _ in engines]
        self._voices = {e.name: v for e, v in engines}
        self.cooldown_s = cooldown_s
        self.state_path = state_path
        self.clock = clock
        self._memory: dict[str, Any] = {}  # state when there is no file

    # --- state -------------------------------------------------------------------------
    def _load(self) -> dict[str, Any]:
        if self.state_path is None:
            return dict(self._memory)
        try:
            doc = json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable engine state %s: %s", self.state_path, exc)
            return {}
        cooldown = doc.get("cooldown") if isinstance(doc, dict) else None
        return dict(cooldown) if isinstance(cooldown, dict) else {}

    def _save(self, state: dict[str, Any]) -> None:
        if self.state_path is None:
            self._memory = state
            return
        doc = json.dumps({"version": 1, "cooldown": state}, ensure_ascii=False, indent=1)
        atomic_write_bytes(self.state_path, doc.encode("utf-8"))

    def _cooling(self, entry: Any, now: float) -> float | None:
        """The end of a cooldown still running, else None. An end further away than one
        cooldown means the clock was set back, so it no longer counts."""
        try:
            until = float(entry["until"])
        except (TypeError, KeyError, ValueError):
            return None
        return until if now < until <= now + self.cooldown_s else None

    # --- API ---------------------------------------------------------------------------
    def status(self) -> list[EngineStatus]:
        """Every engine in order, with whether it is usable and whether it is cooling down."""
        state, now = self._load(), self.clock()
        return [self._status(e, state, now) for e in self.engines]

    def status_of(self, engine: Engine) -> EngineStatus:
        """The status of ``engine`` (in the chain or not: another Piper voice), with its cooldown."""
        return self._status(engine, self._load(), self.clock())

    def _status(self, e: Engine, state: dict[str, Any], now: float) -> EngineStatus:
        entry = state.get(e.name)
        until = self._cooling(entry, now)
        error = str(entry.get("error", "")) if until is not None and isinstance(entry, dict) else ""
        return EngineStatus(e, self._voices.get(e.name, ""), e.check(), until, error)

    def candidates(self) -> list[Engine]:
        """Engines to try, in order: usable now and not cooling down.

        If every usable engine is cooling down, they are all offered anyway: trying a recently
        failed engine is better than rendering nothing.
        """
        statuses = [s for s in self.status() if s.availability.ok]
        ready = [s.engine for s in statuses if s.cooling_until is None]
        if not ready and statuses:
            log.warning("every usable speech engine failed recently; trying them again")
            return [s.engine for s in statuses]
        return ready

    def plan(self) -> list[tuple[Engine, str]]:
        """The engines to try for a render, each with its voice, in order. A chosen voice is
        already in the chain's order (:func:`pipeline.tts.voice_list.apply_choice`)."""
        return [(e, self.voice_for(e)) for e in self.candidates()]

    def mark_failed(self, engine: Engine, error: Exception) -> None:
        log.warning("speech engine %s failed, skipped for %.0f s: %s", engine.name, self.cooldown_s, error)
        if self.cooldown_s <= 0:
            return
        state = self._load()
        state[engine.name] = {"until": self.clock() + self.cooldown_s, "error": str(error)[:500]}
        self._save(state)

    def mark_ok(self, engine: Engine) -> None:
        state = self._load()
        if state.pop(engine.name, None) is not None:
            self._save(state)

    def voice_for(self, engine: Engine) -> str:
        return self._voices[engine.name]


def build_chain(params: EngineParams, *, clock: Callable[[], float] = time.time) -> EngineChain:
    """The chain ``params.engine_order`` describes; cooldowns kept in ``params.state_path``."""
    if not params.engine_order:
        raise ConfigError("engine_order: no speech engine listed")
    seen: set[str] = set()
    engines = []
    for name in params.engine_order:
        if name in seen:
            raise ConfigError(f"engine_order: {name!r} listed twice")
        seen.add(name)
        engines.append(make_engine(name, params))
    return EngineChain(engines, cooldown_s=params.cooldown_s, state_path=params.state_path, clock=clock)
