"""``loa audio import`` and ``loa audio measure`` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeline.audio.cli as audio_cli
from loa.cli import cli
from pipeline.audio import measure_file_ebur128, read_tags
from tests.conftest import SPEECH

WAV = SPEECH / "vi-speech-09.wav"  # 8 kHz telephone recording


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, ["audio", *args], env=env, catch_exceptions=False)


def test_help_explains_itself() -> None:
    result = run("import", "--help")
    assert result.exit_code == 0
    assert "-o, --output" in result.output and "--title" in result.output and "--json" in result.output


def test_import_writes_tagged_normalized_mp3(tmp_path: Path) -> None:
    out = tmp_path / "out" / "ban-tin.mp3"
    result = run("import", str(WAV), "-o", str(out), "--title", "Bản tin sáng", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["output"] == str(out)
    assert report["integrated_lufs"] == pytest.approx(-16.0, abs=0.5)
    independent = measure_file_ebur128(out)
    assert abs(independent.integrated + 16.0) <= 0.5 and independent.true_peak_dbtp <= -1.0
    tags = read_tags(out)
    assert tags["title"] == "Bản tin sáng" and tags["language"] == "vie"
    assert tags["LOA_ENGINE"] == "recording"
    assert float(tags["LOA_LOUDNESS_LUFS"]) == pytest.approx(report["integrated_lufs"], abs=0.05)
    assert len(tags["LOA_SOURCE_SHA256"]) == 64
    assert sorted(p.name for p in out.parent.iterdir()) == ["ban-tin.mp3"]
    assert out.stat().st_mode & 0o044  # readable by the station, not private to the importer


def test_import_with_jingles_from_settings(tmp_path: Path) -> None:
    env = {"LOA_INTRO_JINGLE": "intro-chime.ogg", "LOA_OUTRO_JINGLE": "outro-chime.ogg", "LOA_JINGLE_GAP_MS": "300"}
    plain = json.loads(run("import", str(WAV), "-o", str(tmp_path / "a.mp3"), "--json").output)
    framed = json.loads(run("import", str(WAV), "-o", str(tmp_path / "b.mp3"), "--json", env=env).output)
    assert framed["duration_s"] - plain["duration_s"] == pytest.approx(2 * (2.6 + 0.3), abs=0.1)


def test_missing_jingle_is_an_error(tmp_path: Path) -> None:
    result = run("import", str(WAV), "-o", str(tmp_path / "a.mp3"), env={"LOA_INTRO_JINGLE": "nope.ogg"})
    assert result.exit_code != 0 and "nhạc hiệu" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", [b"", b"not audio at all" * 100], ids=["empty", "text"])
def test_bad_input_leaves_nothing(content: bytes, tmp_path: Path) -> None:
    src = tmp_path / "in" / "upload.wav"
    src.parent.mkdir()
    src.write_bytes(content)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = run("import", str(src), "-o", str(out_dir / "x.mp3"))
    assert result.exit_code != 0
    assert "Error:" in result.output and ("Tệp rỗng" in result.output or "Không đọc được" in result.output)
    assert list(out_dir.iterdir()) == []


def test_failed_import_keeps_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "x.mp3"
    out.write_bytes(b"previous good file")
    data = WAV.read_bytes()
    (tmp_path / "half.wav").write_bytes(data[: len(data) // 2])
    result = run("import", str(tmp_path / "half.wav"), "-o", str(out))
    assert result.exit_code != 0 and "cắt cụt" in result.output
    assert out.read_bytes() == b"previous good file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["half.wav", "x.mp3"]


def test_too_long_recording(tmp_path: Path) -> None:
    result = run("import", str(WAV), "-o", str(tmp_path / "x.mp3"), env={"LOA_MAX_RECORDING_S": "1"})
    assert result.exit_code != 0 and "quá dài" in result.output
    assert list(tmp_path.iterdir()) == []


def test_interrupt_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(blocks, rate, dest, *args, **kwargs):
        Path(dest).write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(audio_cli, "process_to_mp3", interrupted)
    result = CliRunner().invoke(cli, ["audio", "import", str(WAV), "-o", str(tmp_path / "x.mp3")])
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == []


def test_measure(tmp_path: Path) -> None:
    result = run("measure", str(WAV))
    assert result.exit_code == 0
    assert "integrated loudness:" in result.output and "true peak:" in result.output
    data = json.loads(run("measure", str(WAV), "--json").output)
    assert data["integrated"] == pytest.approx(measure_file_ebur128(WAV).integrated, abs=0.1)
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"nope" * 100)
    assert run("measure", str(bad)).exit_code != 0
