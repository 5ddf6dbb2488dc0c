"""espeak-ng through ctypes: Vietnamese variants, rate, errors, and calls from many threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from tts_fakes import assert_speech

from pipeline.tts import EngineError, EspeakEngine
from pipeline.types import PipelineError

SENTENCE = "Hôm nay trời mưa to, bà con chú ý giữ gìn sức khỏe và che chắn nhà cửa."


@pytest.fixture(scope="module")
def espeak() -> EspeakEngine:
    return EspeakEngine()


def test_lists_the_three_vietnamese_variants(espeak: EspeakEngine) -> None:
    voices = {v.id: v for v in espeak.voices()}
    assert set(voices) == {"vi", "vi-vn-x-central", "vi-vn-x-south"}
    assert voices["vi"].name == "Vietnamese (Northern)"
    assert voices["vi-vn-x-south"].name == "Vietnamese (Southern)"
    assert all(v.language == "vi" for v in voices.values())


def test_speaks_vietnamese(espeak: EspeakEngine) -> None:
    speech = espeak.synthesize(SENTENCE)
    assert speech.sample_rate == espeak.sample_rate() == 22050
    assert speech.engine == "espeak" and speech.voice == "vi"
    # 19 syllables at espeak's normal speed: a few seconds.
    assert_speech(speech.samples, speech.sample_rate, 2.5, 8.0)


def test_each_variant_speaks_differently(espeak: EspeakEngine) -> None:
    out = {v: espeak.synthesize(SENTENCE, voice=v) for v in ("vi", "vi-vn-x-central", "vi-vn-x-south")}
    for speech in out.values():
        assert_speech(speech.samples, speech.sample_rate, 2.5, 8.0)
    lengths = {v: len(s.samples) for v, s in out.items()}
    # Central and southern use their own phoneme tables, so the same text comes out differently.
    assert len(set(lengths.values())) == 3
    assert out["vi-vn-x-south"].voice == "vi-vn-x-south"


def test_rate_changes_duration(espeak: EspeakEngine) -> None:
    normal = espeak.synthesize(SENTENCE).duration_s
    fast = espeak.synthesize(SENTENCE, rate=1.6).duration_s
    slow = espeak.synthesize(SENTENCE, rate=0.7).duration_s
    assert fast < 0.8 * normal
    assert slow > 1.2 * normal


def test_unknown_default_voice_is_an_engine_error() -> None:
    broken = EspeakEngine(default_voice="no-such-voice")
    with pytest.raises(EngineError, match="không có giọng"):
        broken.synthesize("Xin chào.")
    assert not broken.check().ok


def test_unknown_requested_voice_is_bad_input_not_an_engine_failure(espeak: EspeakEngine) -> None:
    with pytest.raises(PipelineError, match="Không có giọng đọc 'no-such-voice'") as info:
        espeak.synthesize("Xin chào.", voice="no-such-voice")
    assert not isinstance(info.value, EngineError)
    assert "vi-vn-x-south" in str(info.value)  # says which voices there are


def test_blank_text_gives_empty_speech(espeak: EspeakEngine) -> None:
    speech = espeak.synthesize("  \n ")
    assert len(speech.samples) == 0 and speech.sample_rate == 22050


def test_out_of_range_rate_is_refused(espeak: EspeakEngine) -> None:
    with pytest.raises(PipelineError, match="Tốc độ"):
        espeak.synthesize("Xin chào.", rate=0)
    with pytest.raises(PipelineError, match=r"Tốc độ đọc 4,5 nằm ngoài khoảng cho phép 0,25–4\."):
        espeak.synthesize("Xin chào.", rate=4.5)


def test_missing_library_is_reported_not_raised(tmp_path: Path) -> None:
    engine = EspeakEngine(lib_path=str(tmp_path / "libespeak-ng.so"), data_path=str(tmp_path))
    status = engine.check()
    assert not status.ok and "espeak-ng" in status.reason
    with pytest.raises(EngineError):
        engine.synthesize("Xin chào.")


def test_concurrent_calls_from_threads_give_each_caller_its_own_speech(espeak: EspeakEngine) -> None:
    """libespeak-ng has global state; without the lock this mixes outputs or crashes."""
    jobs = [
        ("Xin chào.", "vi"),
        (SENTENCE, "vi-vn-x-south"),
        ("Một hai ba bốn năm sáu bảy tám chín mười.", "vi-vn-x-central"),
    ]
    alone = [len(espeak.synthesize(t, voice=v).samples) for t, v in jobs]
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda job: espeak.synthesize(job[0], voice=job[1]), jobs * 6))
    for i, speech in enumerate(results):
        text, voice = jobs[i % 3]
        assert speech.voice == voice
        # espeak-ng carries a little jitter from call to call (about 0.5 %), never more.
        assert abs(len(speech.samples) - alone[i % 3]) < 0.03 * alone[i % 3], (text, voice)
        assert np.sqrt(np.mean(speech.samples**2)) > 0.02
