"""pipeline/ stages take plain parameters; only the CLIs (and loa.params, at the edge) read settings."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from loa.config import ConfigError, Settings
from loa.params import audio_params, engine_params, render_params
from pipeline.audio import decode as decode_mod
from pipeline.render import check_text, normalize_preview
from pipeline.types import PipelineError

ROOT = Path(__file__).resolve().parents[2]
WAV = ROOT / "tests/data/speech-vi/vi-speech-09.wav"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_pipeline_stage_imports_loa() -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(n for n in _imports(p) if n == "loa" or n.startswith("loa."))
        for p in (ROOT / "pipeline").rglob("*.py")
        if p.name != "cli.py"  # the CLI adapters hand settings over to the stages
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_render_params_carry_the_settings() -> None:
    s = Settings(data_dir=Path("/srv/loa"), highpass_hz=150.0, engine_order=("espeak",), max_text_chars=99,
                 pause_comma_ms=111)
    p = render_params(s)
    assert p.audio.highpass_hz == 150.0 and p.audio.sample_rate == s.sample_rate
    assert p.engines.engine_order == ("espeak",) and p.engines.state_path == Path("/srv/loa/tts-engine-state.json")
    assert p.max_text_chars == 99 and p.pauses["comma"] == 111 and p.media_dir == s.media_dir
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.audio.sample_rate = 8000  # type: ignore[misc]


def test_audio_fingerprint_keys_are_unchanged() -> None:
    """Renders cached before parameters existed are still found: same fields, same names."""
    assert set(dataclasses.asdict(audio_params(Settings()))) == {
        "sample_rate", "highpass_hz", "loudness_target_lufs", "true_peak_ceiling_dbtp", "mp3_bitrate_kbps",
        "jingle_gap_ms"}


def test_a_missing_jingle_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="jingle"):
        render_params(Settings(intro_jingle="no-such-jingle.ogg"))


def test_bad_engine_order_is_the_config_error_of_loa_config(tmp_path: Path) -> None:
    from pipeline.tts import build_chain

    with pytest.raises(ConfigError, match="listed twice"):
        build_chain(engine_params(Settings(data_dir=tmp_path, engine_order=("espeak", "espeak"))))


def test_check_text_takes_the_limit() -> None:
    assert check_text("Xin chào.", 9) == "Xin chào."
    with pytest.raises(PipelineError, match="tối đa 8 ký tự"):
        check_text("Xin chào.", 8)
    with pytest.raises(PipelineError, match="tối đa 8 ký tự"):
        normalize_preview("Xin chào.", 8)


def test_one_probe_serves_validation_and_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []
    real = decode_mod.probe

    def counting(path: Path):  # type: ignore[no-untyped-def]
        calls.append(path)
        return real(path)

    monkeypatch.setattr(decode_mod, "probe", counting)
    info = decode_mod.validate_recording(WAV, 3600.0)
    blocks, rate = decode_mod.decode_file(WAV, 3600.0, info=info)
    assert rate == info.sample_rate and sum(len(b) for b in blocks) > 0
    assert calls == [WAV]
    decode_mod.decode_file(WAV, 3600.0)  # without it, decoding validates (and probes) itself
    assert calls == [WAV, WAV]
