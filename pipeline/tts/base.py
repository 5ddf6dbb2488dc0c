"""What every speech engine offers, and the error it raises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from pipeline.types import PipelineError, Speech


class EngineError(PipelineError):
    """An engine could not speak this text now; the chain moves on to the next engine."""


@dataclass(frozen=True)
class VoiceInfo:
    id: str
    name: str
    language: str
    detail: str = ""


@dataclass(frozen=True)
class Availability:
    """Whether an engine can be used on this machine right now, and if not, why (for the operator)."""

    ok: bool
    reason: str = ""


@runtime_checkable
class Engine(Protocol):
    name: str

    def voices(self) -> list[VoiceInfo]: ...

    def check(self) -> Availability: ...

    def sample_rate(self, voice: str = "") -> int:
        """Rate of the samples ``synthesize`` returns for this voice, known before synthesizing."""
        ...

    def synthesize(self, text: str, *, voice: str = "", rate: float = 1.0) -> Speech:
        """Speak ``text``; blank text gives empty speech. Raises EngineError."""
        ...


def pcm16_to_float(data: bytes) -> npt.NDArray[np.float32]:
    """Signed 16-bit little-endian PCM bytes to float32 in [-1, 1)."""
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / np.float32(32768.0)


def check_rate(rate: float) -> float:
    """Reject rates no engine can honour instead of producing absurd audio."""
    if not 0.25 <= rate <= 4.0:
        shown = f"{rate:g}".replace(".", ",")  # Vietnamese decimal comma, like the range
        raise PipelineError(f"Tốc độ đọc {shown} nằm ngoài khoảng cho phép 0,25–4.")
    return rate
