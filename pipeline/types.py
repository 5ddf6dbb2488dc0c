"""The data that passes between pipeline stages. Plain values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

#: What ends an utterance; decides the pause that follows it.
Boundary = Literal["comma", "sentence", "paragraph", "heading"]


@dataclass(frozen=True)
class Utterance:
    """A stretch of spoken-form text (no digits, no unexpanded abbreviations) and what ends it."""

    text: str
    boundary: Boundary = "sentence"


@dataclass(frozen=True)
class Speech:
    """Mono float32 PCM in [-1, 1] at ``sample_rate``."""

    samples: npt.NDArray[np.float32]
    sample_rate: int
    engine: str = ""
    voice: str = ""

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate if self.sample_rate else 0.0


@dataclass
class AudioReport:
    """Measurements taken by the audio chain, for tags and render metadata."""

    integrated_lufs: float
    true_peak_dbtp: float
    duration_s: float
    input_lufs: float | None = None
    gain_db: float = 0.0
    notes: list[str] = field(default_factory=list)


class PipelineError(Exception):
    """Bad input or an impossible render. Its message is meant for the operator."""
