"""``loa voices``: engines, voices, usable or not and why; --probe; --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from tts_fakes import google_resolves

from loa.config import Settings
from loa.params import engine_params
from pipeline.tts import EngineError, build_chain
from pipeline.tts.cli import commands, voices_command


def run(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(voices_command, list(args), obj=settings)
    return result.exit_code, result.output


def test_is_exposed_to_the_loa_cli() -> None:
    assert [c.name for c in commands] == ["voices"]
    code, out = run(Settings(), "--help")
    assert code == 0 and "--probe" in out and "--json" in out


def test_text_listing(tmp_path: Path) -> None:
    code, out = run(Settings(data_dir=tmp_path, espeak_voice="vi-vn-x-central"))
    assert code == 0
    assert "piper: KHÔNG dùng được — chưa cấu hình giọng Piper (piper_voice)" in out
    assert "gtts: dùng được" in out and "espeak: dùng được" in out
    assert "* vi-vn-x-central  Vietnamese (Central) [vi]" in out
    assert "  vi               Vietnamese (Northern) [vi]" in out
    assert out.index("piper:") < out.index("gtts:") < out.index("espeak:")


def test_json_listing_shows_cooldown(tmp_path: Path, joe_model: Path) -> None:
    settings = Settings(data_dir=tmp_path, piper_voice=str(joe_model))
    chain = build_chain(engine_params(settings))
    chain.mark_failed(chain.engines[1], EngineError("mất mạng"))
    code, out = run(settings, "--json")
    assert code == 0
    engines = {e["name"]: e for e in json.loads(out)["engines"]}
    assert list(engines) == ["piper", "gtts", "espeak"]
    assert engines["piper"]["usable"] and engines["piper"]["voice"] == "en_US-joe-medium"
    assert engines["piper"]["voices"][0]["language"] == "en_US"
    assert not engines["gtts"]["usable"] and engines["gtts"]["last_error"] == "mất mạng"
    assert engines["gtts"]["cooling_until"]
    assert engines["espeak"]["usable"] and engines["espeak"]["cooling_until"] is None
    assert {v["id"] for v in engines["espeak"]["voices"]} == {"vi", "vi-vn-x-central", "vi-vn-x-south"}
    assert all(e["probe"] is None for e in engines.values())


@pytest.mark.skipif(google_resolves(), reason="this machine is online; the test is about offline PCs")
def test_probe_speaks_with_each_engine_and_records_the_outcome(tmp_path: Path, joe_model: Path) -> None:
    settings = Settings(data_dir=tmp_path, piper_voice=str(joe_model), gtts_retries=0)
    code, out = run(settings, "--probe", "--json")
    assert code == 0
    engines = {e["name"]: e for e in json.loads(out)["engines"]}
    for name in ("piper", "espeak"):
        assert engines[name]["usable"] and engines[name]["probe"]["ok"]
        assert engines[name]["probe"]["duration_s"] > 0.3
    # Offline: Google fails for real, and the failure is remembered for the next render.
    assert not engines["gtts"]["usable"] and not engines["gtts"]["probe"]["ok"]
    assert "Google TTS" in engines["gtts"]["probe"]["error"]
    assert [e.name for e in build_chain(engine_params(settings)).candidates()] == ["piper", "espeak"]
    code, out = run(settings, "--probe")
    assert "piper: dùng được" in out and "thử đọc: được (" in out
    assert "gtts: KHÔNG dùng được" in out and "thử đọc: lỗi — Google TTS" in out


def test_a_successful_probe_clears_the_cooldown(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, engine_order=("espeak",))
    chain = build_chain(engine_params(settings))
    chain.mark_failed(chain.engines[0], EngineError("hỏng tạm thời"))
    [listed] = json.loads(run(settings, "--json")[1])["engines"]
    # The only engine: still offered (a render tries it rather than nothing), but shown as cooling.
    assert listed["usable"] and listed["cooling_until"] and listed["last_error"] == "hỏng tạm thời"
    code, out = run(settings, "--probe", "--json")
    assert code == 0 and json.loads(out)["engines"][0]["probe"]["ok"]
    assert json.loads(run(settings, "--json")[1])["engines"][0]["cooling_until"] is None


def test_exits_non_zero_when_nothing_is_usable(tmp_path: Path) -> None:
    code, out = run(Settings(data_dir=tmp_path, engine_order=("piper",)))
    assert code == 1 and "Không có bộ đọc nào dùng được" in out


def test_bad_engine_order_is_a_clean_error(tmp_path: Path) -> None:
    code, out = run(Settings(data_dir=tmp_path, engine_order=("festival",)))
    assert code == 1 and "unknown engine 'festival'" in out
