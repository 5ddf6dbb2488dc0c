"""The clarity check with the real offline recognizer (a few short transcriptions), and without it."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from loa import config
from loa.cli import cli
from loa.params import render_params
from pipeline.clarity import RecognizerMissing, check_clarity, recognizer
from pipeline.render import RenderRequest, render

ROOT = Path(__file__).resolve().parents[2]
CLIP = ROOT / "tests" / "data" / "speech-vi" / "vi-speech-01.wav"
#: What is said in CLIP (natural speech, 6.9 s, 16 kHz).
CLIP_TEXT = ("Với một người đi làm thuê như anh, số tiền kiếm được chưa đủ để thỏa mãn nhu cầu cá nhân, "
             "nói gì đến chăm lo cho gia đình.")
SCRIPT = "Thông báo của UBND xã Hiệp An. Từ 7h00 đến 17h30 ngày 28/11/2026, cắt điện khu vực thôn 2."

needs_asr = pytest.mark.skipif(not recognizer.available(), reason="viet-asr not installed")


@pytest.fixture()
def settings(tmp_path: Path) -> config.Settings:
    return config.load(env={"LOA_DATA_DIR": str(tmp_path / "data")}, engine_order=("espeak",))


@pytest.fixture()
def no_recognizer(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Simulate viet-asr not being installed: its import fails."""
    monkeypatch.setitem(sys.modules, "vietasr", None)  # makes `import vietasr` raise ImportError
    recognizer._pipeline.cache_clear()
    yield
    monkeypatch.undo()
    recognizer._pipeline.cache_clear()


@needs_asr
def test_natural_speech_through_the_horn_chain_is_clear(settings: config.Settings) -> None:
    result = render(RenderRequest(recording=CLIP, title="Bản ghi"), render_params(settings))
    report = check_clarity(result.path, CLIP_TEXT)
    assert report.score is not None and report.score >= 0.85, report
    assert 6.0 < report.duration_s < 8.0
    heard = check_clarity(result.path)  # a recording: transcript only
    assert heard.score is None and "tiền" in heard.transcript


@needs_asr
def test_espeak_render_scores_lower_and_render_check_reports_it(tmp_path: Path) -> None:
    script = tmp_path / "thong-bao.txt"
    script.write_text(SCRIPT, "utf-8")
    env = {"LOA_DATA_DIR": str(tmp_path / "data"), "LOA_ENGINE_ORDER": "espeak"}
    out = CliRunner(mix_stderr=False).invoke(cli, ["render", str(script), "--check", "--json"], env=env)
    assert out.exit_code == 0, out.output + out.stderr
    data = json.loads(out.stdout)
    clarity = data["clarity"]
    assert data["engine"] == "espeak" and clarity["score"] is not None
    assert clarity["score"] < 0.7, clarity  # espeak-ng is far from natural speech
    assert clarity["missed"] and set(clarity["missed"]) <= set(clarity["reference"].lower().split()) | {
        w.strip(".,") for w in clarity["reference"].lower().split()}
    assert "bảy giờ" in clarity["reference"]  # compared with the spoken form, not the digits
    # The same file through `loa check`: the same figures, in Vietnamese.
    text = CliRunner(mix_stderr=False).invoke(cli, ["check", data["path"], "--text", str(script)], env=env)
    assert text.exit_code == 0, text.stderr
    assert f"Độ rõ: {clarity['score']:.2f}" in text.stdout and "Từ bị nghe sót" in text.stdout


@pytest.mark.usefixtures("no_recognizer")
def test_without_the_recognizer_the_check_says_so(tmp_path: Path, settings: config.Settings) -> None:
    assert not recognizer.available()
    with pytest.raises(RecognizerMissing, match="Chưa cài bộ nhận dạng"):
        check_clarity(CLIP, CLIP_TEXT)
    out = CliRunner(mix_stderr=False).invoke(cli, ["check", str(CLIP)], env={"LOA_DATA_DIR": str(tmp_path)})
    assert out.exit_code == 1 and "Chưa cài bộ nhận dạng" in out.stderr and out.stdout == ""


@pytest.mark.usefixtures("no_recognizer")
def test_render_check_without_the_recognizer_still_renders(tmp_path: Path) -> None:
    script = tmp_path / "ngan.txt"
    script.write_text("Xin chào bà con.", "utf-8")
    env = {"LOA_DATA_DIR": str(tmp_path / "data"), "LOA_ENGINE_ORDER": "espeak"}
    out = CliRunner(mix_stderr=False).invoke(cli, ["render", str(script), "--check", "--no-progress"], env=env)
    assert out.exit_code == 0, out.stderr
    assert "đã dựng" in out.stdout and "Chưa cài bộ nhận dạng" in out.stderr
    as_json = CliRunner(mix_stderr=False).invoke(cli, ["render", str(script), "--check", "--json"], env=env)
    data = json.loads(as_json.stdout)
    assert data["cached"] and data["clarity"] is None and "Chưa cài" in data["clarity_error"]
