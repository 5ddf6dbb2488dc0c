"""Commands of this package for the ``loa`` CLI (see loa/cli.py): ``loa audio import|measure``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from pathlib import Path

import click

from loa.config import ConfigError, Settings
from loa.params import audio_params
from pipeline.audio.chain import process_to_mp3
from pipeline.audio.decode import decode_file
from pipeline.audio.meter import LoudnessMeter
from pipeline.audio.tags import write_tags
from pipeline.params import AudioParams
from pipeline.store import atomic_path, file_sha256
from pipeline.types import AudioReport, PipelineError


def import_recording(src: Path, dest: Path, audio: AudioParams, max_seconds: float, *, title: str | None = None,
                     intro: Path | None = None, outro: Path | None = None) -> AudioReport:
    """Recording -> processed, tagged MP3 at ``dest``, written atomically (temp file + os.replace)."""
    blocks, rate = decode_file(src, max_seconds)
    with atomic_path(dest, suffix=".part.mp3") as tmp:
        report = process_to_mp3(blocks, rate, tmp, audio, intro=intro, outro=outro)
        write_tags(tmp, {
            "title": title or src.stem,
            "date": dt.date.today().isoformat(),
            "LOA_SOURCE_SHA256": file_sha256(src),
            "LOA_ENGINE": "recording",
            "LOA_LOUDNESS_LUFS": f"{report.integrated_lufs:.1f}",
            "LOA_TRUE_PEAK_DBTP": f"{report.true_peak_dbtp:.1f}",
        })
    return report


def _fmt(value: float, unit: str) -> str:
    return f"{value:.1f} {unit}" if math.isfinite(value) else f"-inf {unit}"


@click.group("audio")
def audio() -> None:
    """Xử lý bản ghi âm cho loa nén và đo độ lớn. / Process recordings for horn loudspeakers and
    measure loudness."""


@audio.command("import")
@click.argument("src", type=click.Path(path_type=Path, dir_okay=False))
@click.option("-o", "--output", "dest", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Tệp MP3 sẽ ghi (thay nguyên khối; lỗi thì không ghi gì). / MP3 file to write "
              "(replaced atomically; nothing is written on error).")
@click.option("--title", help="Thẻ tiêu đề (mặc định: tên tệp vào). / Title tag (default: the input file name).")
@click.option("--json", "as_json", is_flag=True, help="In báo cáo âm thanh dạng JSON. / Print the audio report as JSON.")
@click.pass_obj
def import_cmd(settings: Settings, src: Path, dest: Path, title: str | None, as_json: bool) -> None:
    """Biến bản ghi âm thành MP3 sẵn sàng phát. / Turn a recording (WAV, MP3, M4A, OGG, FLAC, ...)
    into a broadcast-ready MP3.

    High-pass, gentle compression, loudness to the target (default -16 LUFS), true-peak limit
    (default -1.5 dBTP), optional intro/outro jingles, ID3v2.4 tags.
    """
    try:
        intro = settings.jingle_path(settings.intro_jingle)
        outro = settings.jingle_path(settings.outro_jingle)
    except ConfigError as exc:
        raise click.ClickException(f"Không tìm thấy nhạc hiệu: {exc}") from exc
    try:
        report = import_recording(src, dest, audio_params(settings), settings.max_recording_s, title=title,
                                  intro=intro, outro=outro)
    except PipelineError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps({"output": str(dest), **dataclasses.asdict(report)}, ensure_ascii=False))
    else:
        click.echo(f"{dest}: {report.duration_s:.1f} s, {_fmt(report.integrated_lufs, 'LUFS')}, "
                   f"true peak {_fmt(report.true_peak_dbtp, 'dBTP')}")


@audio.command("measure")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="In kết quả đo dạng JSON. / Print the measurement as JSON.")
@click.pass_obj
def measure_cmd(settings: Settings, path: Path, as_json: bool) -> None:
    """Đo độ lớn của tệp: tích hợp, dải độ lớn, đỉnh thật và đỉnh mẫu.
    / Measure a file's loudness: integrated (LUFS), loudness range (LU), true and sample peak.

    Uses Loa's own BS.1770-4 / EBU R 128 meter on the decoded audio.
    """
    try:
        blocks, rate = decode_file(path, settings.max_recording_s)
        meter: LoudnessMeter | None = None
        for block in blocks:
            if meter is None:
                meter = LoudnessMeter(rate, 1 if block.ndim == 1 else block.shape[1])
            meter.add(block)
    except PipelineError as exc:
        raise click.ClickException(str(exc)) from exc
    assert meter is not None  # decode_file raises on a file with no samples
    meter.finish()
    result = meter.result()
    if as_json:
        click.echo(json.dumps({"path": str(path), **dataclasses.asdict(result)}))
        return
    click.echo(f"Độ lớn tích hợp / integrated loudness: {_fmt(result.integrated, 'LUFS')}")
    click.echo(f"Dải độ lớn / loudness range:           {_fmt(result.lra, 'LU')}")
    click.echo(f"Đỉnh thật / true peak:                 {_fmt(result.true_peak_dbtp, 'dBTP')}")
    click.echo(f"Đỉnh mẫu / sample peak:                {_fmt(result.sample_peak, 'dBFS')}")


commands: list[click.Command] = [audio]
