"""The offline Vietnamese recognizer (the optional ``viet-asr`` wheel, model embedded).

Loaded once per process: building the pipeline reads a 70 MB model (about a second).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import numpy as np
import numpy.typing as npt

from pipeline.types import PipelineError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000


class RecognizerMissing(PipelineError):
    """viet-asr is not installed: the clarity check cannot run (nothing else is affected)."""


MISSING_MESSAGE = ("Chưa cài bộ nhận dạng tiếng nói: không kiểm tra được độ rõ. "
                   "Cài bằng: pip install 'loa[clarity]'.")


@functools.cache
def _pipeline() -> Any:
    try:
        from vietasr import Pipeline
    except (ImportError, OSError) as exc:  # OSError: the wheel's native library fails to load
        log.info("viet-asr unavailable: %s", exc)
        raise RecognizerMissing(MISSING_MESSAGE) from exc
    return Pipeline.preset("transcribe")


def ensure_available() -> None:
    """Load the recognizer now; raises RecognizerMissing (with the Vietnamese message) when absent."""
    _pipeline()


def available() -> bool:
    """True when the recognizer can be loaded here."""
    try:
        _pipeline()
    except RecognizerMissing:
        return False
    return True


def transcribe(samples: npt.NDArray[np.int16]) -> str:
    """Text heard in 16 kHz mono int16 ``samples``. Raises RecognizerMissing when not installed."""
    if len(samples) == 0:
        return ""
    result = _pipeline().transcribe(np.ascontiguousarray(samples, dtype=np.int16), float(SAMPLE_RATE))
    return str(result.text).strip()
