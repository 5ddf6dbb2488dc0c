"""Whole renders, offline: gTTS really fails here, so espeak-ng really speaks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from mutagen.id3 import ID3

from loa import config
from loa.cli import cli
from loa.params import render_params
from pipeline.audio import measure_file_ebur128
from pipeline.render import RenderRequest, normalize_preview, render
from pipeline.types import PipelineError

ROOT = Path(__file__).resolve().parents[2]
NOTICE = (ROOT / "media" / "samples" / "lich-cat-dien.txt").read_text("utf-8")
SHORT = "Thông báo của UBND xã Hiệp An. Từ 7h00 đến 17h30 ngày 28/11/2026, cắt điện khu vực thôn 2."


@pytest.fixture()
def settings(tmp_path: Path) -> config.Settings:
    # gTTS first, as on a district PC that has lost its internet: it must fail fast and fall back.
    return config.load(env={"LOA_DATA_DIR": str(tmp_path / "data")}, engine_order=("gtts", "espeak"))


def media_files(settings: config.Settings) -> list[Path]:
    return sorted(settings.media_dir.glob("??/*.mp3"))


def test_offline_render_falls_back_to_espeak_and_is_broadcast_ready(settings: config.Settings) -> None:
    seen: list[float] = []
    result = render(
        RenderRequest(text=SHORT, title="Lịch cắt điện", issuer="Điện lực Đức Trọng", category="Thông báo",
                      date="2026-11-27"),
        render_params(settings),
        on_progress=seen.append,
    )
    assert result.engine == "espeak" and not result.cached
    assert result.path.is_file() and result.path.parent.parent == settings.media_dir
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    assert 4.0 < result.duration_s < 30.0
    measured = measure_file_ebur128(result.path)
    assert abs(measured.integrated - settings.loudness_target_lufs) <= 0.5
    assert measured.true_peak_dbtp <= -1.0
    tags = ID3(result.path)
    assert tags.version[:2] == (2, 4)
    assert str(tags["TIT2"]) == "Lịch cắt điện" and str(tags["TLAN"]) == "vie"
    assert str(tags["TXXX:LOA_ENGINE"]) == "espeak"
    assert str(tags["TXXX:LOA_CACHE_KEY"]) == result.cache_key
    assert str(tags["TXXX:LOA_LOUDNESS_LUFS"]) == f"{result.loudness_lufs:.2f}"
    assert str(tags["TXXX:LOA_TRUE_PEAK_DBTP"]) == f"{result.true_peak_dbtp:.2f}"
    assert str(tags["TXXX:LOA_SOURCE_SHA256"]) == result.meta["source_sha256"]


def test_unchanged_input_is_a_cache_hit(settings: config.Settings) -> None:
    first = render(RenderRequest(text=SHORT, title="A"), render_params(settings))
    second = render(RenderRequest(text=SHORT, title="A"), render_params(settings))
    assert second.cached and second.sha256 == first.sha256 and second.path == first.path
    assert len(media_files(settings)) == 1
    louder = config.load(env={"LOA_DATA_DIR": str(settings.data_dir)}, engine_order=("espeak",),
                         loudness_target_lufs=-20.0)
    third = render(RenderRequest(text=SHORT, title="A"), render_params(louder))
    assert not third.cached and third.cache_key != first.cache_key


@pytest.mark.parametrize("text", ["", "   \n\t  ", None])
def test_empty_text_is_refused_and_nothing_written(settings: config.Settings, text: str | None) -> None:
    with pytest.raises(PipelineError, match="trống"):
        render(RenderRequest(text=text), render_params(settings))
    assert media_files(settings) == []


def test_text_over_the_limit_is_refused(settings: config.Settings) -> None:
    small = config.load(env={"LOA_DATA_DIR": str(settings.data_dir)}, max_text_chars=50)
    with pytest.raises(PipelineError, match=r"quá dài: \d+ ký tự, tối đa 50 ký tự"):
        render(RenderRequest(text=SHORT), render_params(small))
    assert media_files(settings) == []


def test_text_with_nothing_speakable_is_refused(settings: config.Settings) -> None:
    with pytest.raises(PipelineError):
        render(RenderRequest(text="🙂🙂 你好 🙂"), render_params(settings))
    assert media_files(settings) == []


def test_recording_render_from_8khz_telephone_audio(settings: config.Settings) -> None:
    result = render(RenderRequest(recording=ROOT / "tests/data/speech-vi/vi-speech-09.wav", title="Ghi âm"), render_params(settings))
    assert result.engine == "recording"
    measured = measure_file_ebur128(result.path)
    assert abs(measured.integrated - settings.loudness_target_lufs) <= 0.5
    assert measured.true_peak_dbtp <= -1.0


def test_normalize_preview_has_no_digits() -> None:
    preview = normalize_preview(NOTICE, config.load().max_text_chars)
    assert preview.strip() and not any(ch.isdigit() for ch in preview)


def test_cli_render_writes_output_and_json(tmp_path: Path, settings: config.Settings) -> None:
    script = tmp_path / "thong-bao.txt"
    script.write_text("\ufeff" + SHORT, "utf-8")  # Notepad's BOM is fine
    out = tmp_path / "out" / "thong-bao.mp3"
    runner = CliRunner()
    env = {"LOA_DATA_DIR": str(settings.data_dir), "LOA_ENGINE_ORDER": "espeak"}
    result = runner.invoke(cli, ["render", str(script), "-o", str(out), "--json"], env=env)
    assert result.exit_code == 0, result.output
    meta = json.loads(result.output)
    assert meta["engine"] == "espeak" and meta["output"] == str(out)
    assert out.read_bytes() == Path(meta["path"]).read_bytes()


def test_cli_render_refusals_exit_nonzero_and_write_nothing(tmp_path: Path) -> None:
    runner = CliRunner()
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", "utf-8")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Thông báo".encode("cp1258", errors="replace") + b"\xff\xfe\xfa")
    out = tmp_path / "out.mp3"
    for path in (empty, latin1, tmp_path / "missing.txt"):
        result = runner.invoke(cli, ["render", str(path), "-o", str(out)])
        assert result.exit_code != 0 and "Error" in result.output
    assert not out.exists()


def test_a_killed_render_leaves_no_file_at_the_final_path(tmp_path: Path) -> None:
    long_text = (ROOT / "media" / "samples" / "ke-hoach-24-KH-HU.txt").read_text("utf-8") * 3
    script = tmp_path / "long.txt"
    script.write_text(long_text, "utf-8")
    out = tmp_path / "final.mp3"
    env = {**os.environ, "LOA_DATA_DIR": str(tmp_path / "data"), "LOA_ENGINE_ORDER": "espeak"}
    proc = subprocess.Popen([sys.executable, "-m", "loa", "render", str(script), "-o", str(out)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tmp_dir = tmp_path / "data" / "media" / "tmp"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(tmp_dir.glob("*")):
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists()
    assert list((tmp_path / "data" / "media").glob("??/*.mp3")) == []
