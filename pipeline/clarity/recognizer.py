"""The offline Vietnamese recognizer (the optional ``viet-asr`` wheel, model embedded).

Loaded once per process: building the pipeline reads a 70 MB model (about a second).
"""

from __future__ import annotations

import atexit
import functools
import logging
from typing import Any

import numpy as np
import numpy.typing as npt

from pipeline.types import PipelineError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
#: The model fails on long inputs (ONNX "indices element out of data bounds" past a few minutes,
#: then returns almost nothing), so audio is transcribed in windows of at most this length,
#: each cut at the quietest 50 ms of its last CUT_SEARCH_S seconds so that no word is split.
WINDOW_S = 30.0
CUT_SEARCH_S = 10.0
_FRAME = SAMPLE_RATE // 20


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
    loaded = Pipeline.preset("transcribe")
    # freed at exit while its native library still works: left to the garbage collector at
    # interpreter shutdown, its __del__ printed a TypeError from a half torn-down cffi
    atexit.register(loaded.close)
    return loaded


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


def windows(n: int, samples: npt.NDArray[np.int16]) -> list[tuple[int, int]]:
    """(start, end) sample ranges covering ``samples[:n]``, each at most WINDOW_S long, cut in quiet."""
    limit, search = int(WINDOW_S * SAMPLE_RATE), int(CUT_SEARCH_S * SAMPLE_RATE)
    out: list[tuple[int, int]] = []
    start = 0
    while n - start > limit:
        lo = start + limit - search
        frames = samples[lo:start + limit].astype(np.float64)
        count = len(frames) // _FRAME
        energy = (frames[:count * _FRAME].reshape(count, _FRAME) ** 2).sum(axis=1)
        cut = lo + int(np.argmin(energy)) * _FRAME + _FRAME // 2
        out.append((start, cut))
        start = cut
    if n > start:
        out.append((start, n))
    return out


def transcribe(samples: npt.NDArray[np.int16]) -> str:
    """Text heard in 16 kHz mono int16 ``samples``. Raises RecognizerMissing when not installed."""
    samples = np.ascontiguousarray(samples, dtype=np.int16)
    texts = []
    for start, end in windows(len(samples), samples):
        result = _pipeline().transcribe(np.ascontiguousarray(samples[start:end]), float(SAMPLE_RATE))
        texts.append(str(result.text).strip())
    return " ".join(t for t in texts if t)
