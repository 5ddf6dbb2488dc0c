"""synthesize_utterances: speech then pause per utterance, lazily, at the engine's rate."""

from __future__ import annotations

import numpy as np
import pytest
from tts_fakes import FakeEngine, assert_speech

from loa.config import Settings
from loa.params import pauses
from pipeline.tts import EngineError, EspeakEngine, synthesize_utterances
from pipeline.tts.stream import group_for_service
from pipeline.types import Utterance

PAUSES = {"comma": 100, "sentence": 200, "paragraph": 300, "heading": 400}


def test_speech_then_the_pause_its_boundary_asks_for() -> None:
    engine = FakeEngine("fake", rate=8000)
    utts = [
        Utterance("Thông báo", "heading"),
        Utterance("bà con chú ý", "comma"),
        Utterance("mai mất điện.", "paragraph"),
    ]
    progress: list[tuple[int, int]] = []
    blocks = list(synthesize_utterances(utts, engine, "v", 1.0, PAUSES, lambda d, t: progress.append((d, t))))
    assert [len(b) for b in blocks] == [720, 3200, 960, 800, 1040, 2400]  # 10 ms/char, pauses at 8 kHz
    assert all(b.dtype == np.float32 for b in blocks)
    assert not blocks[1].any() and blocks[0].any()
    assert progress == [(1, 3), (2, 3), (3, 3)]


def test_is_lazy_so_memory_stays_bounded() -> None:
    engine = FakeEngine("fake")
    stream = synthesize_utterances([Utterance(f"câu {i}") for i in range(1000)], engine, "", 1.0, PAUSES)
    next(stream)
    assert engine.calls == ["câu 0"]


def test_rate_is_passed_to_the_engine() -> None:
    blocks = list(synthesize_utterances([Utterance("abcd", "comma")], FakeEngine("f"), "", 2.0, PAUSES))
    assert len(blocks[0]) == 160


def test_blank_utterance_keeps_its_pause_and_a_zero_pause_yields_nothing() -> None:
    blocks = list(
        synthesize_utterances(
            [Utterance("  ", "sentence"), Utterance("ab", "comma")],
            FakeEngine("f"),
            "",
            1.0,
            {"sentence": 50},
        )
    )
    assert [len(b) for b in blocks] == [400, 160]


def test_engine_error_reaches_the_caller() -> None:
    with pytest.raises(EngineError, match="broke"):
        list(synthesize_utterances([Utterance("x")], FakeEngine("f", fail=True), "", 1.0, PAUSES))


def test_sample_rate_change_midway_is_an_engine_error() -> None:
    class Drifting(FakeEngine):
        def sample_rate(self, voice: str = "") -> int:
            return 16000

    with pytest.raises(EngineError, match="tần số"):
        list(synthesize_utterances([Utterance("x")], Drifting("d", rate=8000), "", 1.0, PAUSES))


def test_pauses() -> None:
    s = Settings(pause_comma_ms=1, pause_sentence_ms=2, pause_paragraph_ms=3, pause_heading_ms=4)
    assert pauses(s) == {"comma": 1, "sentence": 2, "paragraph": 3, "heading": 4}


def test_with_espeak() -> None:
    engine = EspeakEngine()
    utts = [Utterance("Xin chào bà con", "comma"), Utterance("hôm nay trời nắng.", "sentence")]
    blocks = list(synthesize_utterances(utts, engine, "vi", 1.0, pauses(Settings())))
    assert len(blocks) == 4
    assert len(blocks[1]) == round(0.25 * 22050) and len(blocks[3]) == round(0.5 * 22050)
    assert_speech(np.concatenate(blocks), 22050, 1.5, 5.0)


def test_a_cloud_engine_gets_a_paragraph_per_request_within_its_limit() -> None:
    engine = FakeEngine("cloud", rate=8000)
    engine.max_chars = 30  # type: ignore[attr-defined]
    utts = [
        Utterance("Thông báo", "heading"),
        Utterance("bà con chú ý", "comma"),
        Utterance("mai mất điện", "sentence"),
        Utterance("từ bảy giờ sáng", "comma"),
        Utterance("đến trưa", "paragraph"),
        Utterance("Xin cảm ơn.", "paragraph"),
    ]
    assert group_for_service(utts, 30) == [
        ("Thông báo.", "heading", 1),
        ("bà con chú ý, mai mất điện.", "sentence", 2),
        ("từ bảy giờ sáng, đến trưa.", "paragraph", 2),
        ("Xin cảm ơn.", "paragraph", 1),
    ]
    progress: list[tuple[int, int]] = []
    blocks = list(synthesize_utterances(utts, engine, "v", 1.0, PAUSES, lambda d, t: progress.append((d, t))))
    assert engine.calls == [g[0] for g in group_for_service(utts, 30)]
    assert [len(b) for b in blocks[1::2]] == [3200, 1600, 2400, 2400]  # heading, sentence, paragraph pauses
    assert progress == [(1, 6), (3, 6), (5, 6), (6, 6)]
