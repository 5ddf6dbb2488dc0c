"""Piper neural voices (ONNX): the production voice for offline communes.

The operator supplies a voice file such as ``vi_VN-vais1000-medium.onnx`` with its ``.onnx.json``
beside it. Loading a voice takes about half a second and ~100 MB, so each file is loaded once per
process and kept.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.tts.base import Availability, EngineError, VoiceInfo, check_rate
from pipeline.types import Speech

log = logging.getLogger(__name__)

_CACHE: dict[tuple[str, str, int, int], Any] = {}
_CACHE_LOCK = threading.Lock()


def config_path_for(model: Path) -> Path:
    """Piper's convention: ``voice.onnx`` comes with ``voice.onnx.json``."""
    return model.with_name(model.name + ".json")


def _files(model: Path) -> tuple[Path, Path]:
    """The model and its config, or EngineError naming what is missing."""
    if not model.is_file():
        raise EngineError(f"Không thấy tệp giọng Piper: {model}")
    config = config_path_for(model)
    if not config.is_file():
        raise EngineError(f"Thiếu tệp cấu hình giọng Piper {config.name} bên cạnh {model.name}.")
    return model, config


def read_config(model: Path) -> dict[str, Any]:
    _, config = _files(model)
    try:
        doc = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EngineError(f"Tệp cấu hình giọng Piper {config.name} hỏng: {exc}") from exc
    audio = doc.get("audio") if isinstance(doc, dict) else None
    if not isinstance(audio, dict) or not isinstance(audio.get("sample_rate"), int):
        raise EngineError(f"Tệp cấu hình giọng Piper {config.name} thiếu audio.sample_rate.")
    return doc


def load_voice(model: Path) -> Any:
    """A loaded ``piper.PiperVoice``, cached per file (reloaded if the file changes)."""
    model, config = _files(model)
    stat = model.stat()
    key = (str(model.resolve()), str(config.resolve()), stat.st_size, stat.st_mtime_ns)
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        read_config(model)  # clear message for a broken json before piper's KeyError
        try:
            from piper import PiperVoice

            voice = PiperVoice.load(model, config_path=config)
        except ImportError as exc:
            raise EngineError("Thiếu gói piper-tts.") from exc
        except Exception as exc:  # onnxruntime raises its own types for a corrupt model
            raise EngineError(f"Không nạp được giọng Piper {model.name}: {exc}") from exc
        log.info("loaded Piper voice %s", model)
        _CACHE[key] = voice
        return voice


@dataclass
class PiperEngine:
    """``model`` empty means no Piper voice is configured. Voice ids are model file stems."""

    model: str = ""
    name: str = "piper"

    @property
    def voice_id(self) -> str:
        return Path(self.model).name.removesuffix(".onnx") if self.model else ""

    def _model_for(self, voice: str) -> Path:
        if not self.model:
            raise EngineError("Chưa cấu hình giọng Piper (piper_voice).")
        if voice in ("", self.voice_id):
            return Path(self.model)
        if voice.endswith(".onnx"):
            return Path(voice)
        raise EngineError(f"Giọng Piper {voice!r} không được cấu hình (đang có {self.voice_id!r}).")

    def voices(self) -> list[VoiceInfo]:
        if not self.model:
            return []
        try:
            doc = read_config(Path(self.model))
        except EngineError:
            return []
        language, espeak = doc.get("language"), doc.get("espeak")
        lang = (isinstance(language, dict) and language.get("code")) or (
            isinstance(espeak, dict) and espeak.get("voice")
        )
        quality = doc["audio"].get("quality", "")
        name = " ".join(str(p) for p in (doc.get("dataset", self.voice_id), quality) if p)
        return [VoiceInfo(id=self.voice_id, name=name, language=str(lang or ""), detail=str(self.model))]

    def check(self) -> Availability:
        if not self.model:
            return Availability(False, "chưa cấu hình giọng Piper (piper_voice)")
        try:
            read_config(Path(self.model))
        except EngineError as exc:
            return Availability(False, str(exc))
        if importlib.util.find_spec("piper") is None:  # no import: onnxruntime is slow to load
            return Availability(False, "thiếu gói piper-tts")
        return Availability(True, f"giọng thần kinh ngoại tuyến {self.voice_id}")

    def sample_rate(self, voice: str = "") -> int:
        return int(read_config(self._model_for(voice))["audio"]["sample_rate"])

    def synthesize(self, text: str, *, voice: str = "", rate: float = 1.0) -> Speech:
        model = self._model_for(voice)
        check_rate(rate)
        piper_voice = load_voice(model)
        sample_rate = int(piper_voice.config.sample_rate)
        voice_id = model.name.removesuffix(".onnx")
        if not text.strip():
            return Speech(np.zeros(0, dtype=np.float32), sample_rate, self.name, voice_id)
        from piper import SynthesisConfig

        # Piper's length_scale is seconds per phoneme relative to normal: slower is larger.
        syn = SynthesisConfig(length_scale=piper_voice.config.length_scale / rate)
        try:
            chunks = [c.audio_float_array for c in piper_voice.synthesize(text, syn_config=syn)]
        except Exception as exc:
            raise EngineError(f"Piper lỗi khi đọc: {exc}") from exc
        samples = np.concatenate(chunks).astype(np.float32, copy=False) if chunks else np.zeros(0, np.float32)
        return Speech(samples=samples, sample_rate=sample_rate, engine=self.name, voice=voice_id)
