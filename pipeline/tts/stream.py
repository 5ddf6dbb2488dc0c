"""Speak a whole script utterance by utterance, as a stream of blocks.

A 60-minute bulletin is about 150 MB of float32 at 22 kHz; yielding one block per utterance and
pause lets the caller write or process it as it comes instead of holding (and re-copying) it all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from pipeline.tts.base import Engine, EngineError
from pipeline.types import Utterance


def synthesize_utterances(
    utterances: Sequence[Utterance],
    engine: Engine,
    voice: str,
    rate: float,
    pauses: Mapping[str, int],
    on_progress: Callable[[int, int], None] | None = None,
) -> Iterator[npt.NDArray[np.float32]]:
    """Yield float32 blocks at ``engine.sample_rate(voice)``: each utterance's speech, then the
    silence its boundary asks for (the last utterance too). ``on_progress(done, total)`` after each.

    Raises EngineError from the engine, unchanged, so the caller can fall back to another engine.
    """
    sample_rate = engine.sample_rate(voice)
    total = len(utterances)
    for done, utt in enumerate(utterances, 1):
        speech = engine.synthesize(utt.text, voice=voice, rate=rate)
        if speech.sample_rate != sample_rate:
            raise EngineError(
                f"{engine.name} đổi tần số lấy mẫu giữa chừng ({speech.sample_rate} thay vì {sample_rate})."
            )
        if len(speech.samples):
            yield speech.samples
        silence = round(pauses.get(utt.boundary, 0) * sample_rate / 1000)
        if silence > 0:
            yield np.zeros(silence, dtype=np.float32)
        if on_progress is not None:
            on_progress(done, total)
