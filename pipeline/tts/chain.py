"""The ordered fallback chain of engines, with a cooldown for engines that just failed.

The cooldown lives in a small JSON file so that the next ``loa`` process also skips an engine that
failed a minute ago: an offline PC must not wait for Google on every render.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.params import ConfigError, EngineParams
from pipeline.store import atomic_write_bytes
from pipeline.tts.base import Availability, Engine
from pipeline.tts.cloud.fpt import FptEngine
from pipeline.tts.espeak_engine import EspeakEngine
from pipeline.tts.gtts_engine import GttsEngine
from pipeline.tts.install import resolve_voice
from pipeline.tts.piper_engine import PiperEngine

log = logging.getLogger(__name__)

ENGINE_NAMES = ("piper", "gtts", "espeak", "fpt")


def make_engine(name: str, params: EngineParams) -> tuple[Engine, str]:
    """One engine from its parameters, with the voice the chain uses for it."""
    if name == "piper":
        voice = resolve_voice(params.piper_voice, params.voices_dir) if params.voices_dir else params.piper_voice
        piper = PiperEngine(model=voice)
        return piper, piper.voice_id
    if name == "gtts":
        return GttsEngine(timeout_s=params.gtts_timeout_s, retries=params.gtts_retries), "vi"
    if name == "espeak":
        return EspeakEngine(default_voice=params.espeak_voice), params.espeak_voice
    if name == "fpt":
        fpt = FptEngine(
            api_key=params.fpt_api_key, endpoint=params.fpt_endpoint, voice=params.fpt_voice,
            timeout_s=params.fpt_timeout_s, poll_timeout_s=params.fpt_poll_timeout_s,
        )  # fmt: skip
        return fpt, params.fpt_voice
    raise ConfigError(f"engine_order: unknown engine {name!r} (known: {', '.join(ENGINE_NAMES)})")


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
        out = []
        for e in self.engines:
            entry = state.get(e.name)
            until = self._cooling(entry, now)
            error = str(entry.get("error", "")) if until is not None and isinstance(entry, dict) else ""
            out.append(EngineStatus(e, self._voices[e.name], e.check(), until, error))
        return out

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
