"""Speak a whole script utterance by utterance, as a stream of blocks.

A 60-minute bulletin is about 150 MB of float32 at 22 kHz; yielding one block per utterance and
pause lets the caller write or process it as it comes instead of holding (and re-copying) it all.

A cloud engine (one that declares ``max_chars``, see pipeline/tts/cloud/base.py) gets the
utterances of a paragraph in one request, up to its limit, with their punctuation: one request
per sentence would cost a round trip (and, for FPT.AI, a poll of several seconds) each, and the
service pauses at the punctuation itself. Paragraph and heading pauses are still Loa's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from pipeline.tts.base import Engine, EngineError
from pipeline.types import Boundary, Utterance


def group_for_service(utterances: Sequence[Utterance], limit: int) -> list[tuple[str, Boundary, int]]:
    """Consecutive utterances joined up to ``limit`` characters, never across a paragraph or a
    heading: (text, the boundary after it, how many utterances it holds)."""
    groups: list[tuple[str, Boundary, int]] = []
    text, count = "", 0
    prev: Boundary = "sentence"
    for utt in utterances:
        mark = "" if utt.text[-1:] in ".!?…,;:" else ("," if utt.boundary == "comma" else ".")
        part = utt.text + mark
        if count and len(text) + 1 + len(part) > limit:
            groups.append((text, prev, count))
            text, count = "", 0
        prev = utt.boundary
        text, count = (f"{text} {part}" if text else part), count + 1
        if utt.boundary in ("paragraph", "heading"):
            groups.append((text, utt.boundary, count))
            text, count = "", 0
    if count:
        groups.append((text, utterances[-1].boundary, count))
    return groups


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
    limit = getattr(engine, "max_chars", 0)
    pieces = group_for_service(utterances, limit) if limit else [(u.text, u.boundary, 1) for u in utterances]
    done = 0
    for text, boundary, count in pieces:
        done += count
        speech = engine.synthesize(text, voice=voice, rate=rate)
        if speech.sample_rate != sample_rate:
            raise EngineError(
                f"{engine.name} đổi tần số lấy mẫu giữa chừng ({speech.sample_rate} thay vì {sample_rate})."
            )
        if len(speech.samples):
            yield speech.samples
        silence = round(pauses.get(boundary, 0) * sample_rate / 1000)
        if silence > 0:
            yield np.zeros(silence, dtype=np.float32)
        if on_progress is not None:
            on_progress(done, total)
