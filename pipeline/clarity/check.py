"""Clarity check: transcribe a delivered MP3 offline and score it against its script.

score = 1 − WER between the spoken form of the script (pipeline.text.normalize: numbers, dates
and abbreviations as an announcer reads them) and what the recognizer heard. Recordings have no
script: the transcript alone is returned.
"""

from __future__ import annotations

import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pipeline.audio.ffmpeg import ffmpeg_exe
from pipeline.clarity import recognizer
from pipeline.clarity.wer import compare
from pipeline.text import Lexicon, normalize
from pipeline.types import PipelineError


@dataclass(frozen=True)
class ClarityReport:
    transcript: str
    score: float | None  # None: no script to compare with (a recording)
    wer: float | None
    missed: tuple[str, ...]
    reference: str  # the spoken form compared against ("" without a script)
    duration_s: float

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["missed"] = list(self.missed)
        return d


def decode_16k_mono(path: Path) -> npt.NDArray[np.int16]:
    """Any file ffmpeg reads → 16 kHz mono int16, what the recognizer was trained on."""
    proc = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-i", str(path), "-map", "0:a:0",
         "-ac", "1", "-ar", str(recognizer.SAMPLE_RATE), "-f", "s16le", "-c:a", "pcm_s16le", "pipe:1"],
        capture_output=True, check=False, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise PipelineError(f"Không đọc được tệp âm thanh: {Path(path).name}.")
    return np.frombuffer(proc.stdout, dtype="<i2").astype(np.int16)


def score_transcript(transcript: str, script: str | None, lexicon: Lexicon | None = None,
                     duration_s: float = 0.0) -> ClarityReport:
    """Compare a transcript with the spoken form of ``script`` (None: transcript only)."""
    if script is None:
        return ClarityReport(transcript, None, None, (), "", duration_s)
    spoken = normalize(script, lexicon)
    al = compare(spoken, transcript)
    return ClarityReport(transcript, al.score, al.wer, al.missed, spoken, duration_s)


def check_clarity(path: Path, script: str | None = None, lexicon: Lexicon | None = None) -> ClarityReport:
    """Decode ``path``, transcribe it and score it. Raises recognizer.RecognizerMissing."""
    recognizer.ensure_available()  # fail fast, before decoding, when the recognizer is not installed
    samples = decode_16k_mono(Path(path))
    transcript = recognizer.transcribe(samples)
    return score_transcript(transcript, script, lexicon, len(samples) / recognizer.SAMPLE_RATE)
