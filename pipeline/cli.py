"""``loa render``: a script or recording in, a broadcast-ready MP3 out."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from loa.config import ConfigError, Settings
from loa.params import render_params
from pipeline.store import atomic_path
from pipeline.types import PipelineError

if TYPE_CHECKING:
    from pipeline.params import RenderParams
    from pipeline.render import RenderRequest, RenderResult

AUDIO_SUFFIXES = {".wav", ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".flac", ".wma", ".amr", ".3gp", ".webm"}


def read_script(path: str) -> str:
    """Read a script as UTF-8 (a BOM from Notepad is fine); refuse other encodings clearly."""
    raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PipelineError(
            f"Tệp {path} không phải văn bản UTF-8 (byte {exc.start}). Hãy lưu lại với mã hóa UTF-8."
        ) from exc


def render_with_progress(req: RenderRequest, params: RenderParams, show: bool) -> RenderResult:
    from pipeline.render import render  # heavy imports (numpy, engines) only when rendering

    if not show:
        return render(req, params)
    bar: Any
    with click.progressbar(length=1000, label="Đang dựng âm thanh", file=sys.stderr) as bar:
        done = 0

        def progress(fraction: float) -> None:
            nonlocal done
            step = int(fraction * 1000) - done
            if step > 0:
                bar.update(step)
                done += step

        return render(req, params, on_progress=progress)


@click.command("render")
@click.argument("input", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Nơi ghi MP3 (nguyên khối). / Where to write the MP3 (atomically).")
@click.option("--title", default="", help="Thẻ tiêu đề (mặc định: tên tệp). / Title tag (default: the file name).")
@click.option("--issuer", default="", help="Cơ quan ban hành, vd. 'UBND xã Hiệp An'. / Issuing body tag.")
@click.option("--category", default="", help="Chương trình hoặc chuyên mục. / Program or category tag.")
@click.option("--date", "day", default="", help="Ngày, YYYY-MM-DD (mặc định: hôm nay). / Date tag (default: today).")
@click.option("--voice", default="", help="Giọng espeak-ng / espeak-ng voice: vi, vi-vn-x-central, vi-vn-x-south.")
@click.option("--rate", type=float, default=None, help="Hệ số tốc độ đọc (mặc định theo thiết lập). / Speaking rate multiplier (default from settings).")
@click.option("--json", "as_json", is_flag=True, help="In thông tin bản dựng dạng JSON. / Print the render's metadata as JSON.")
@click.option("--no-progress", is_flag=True, help="Không vẽ thanh tiến độ. / Do not draw a progress bar.")
@click.option("--check", "check", is_flag=True,
              help="Kiểm tra độ rõ sau khi dựng. / Run the clarity check after rendering.")
@click.pass_obj
def render_cmd(
    settings: Settings,
    input: str,
    output: str | None,
    title: str,
    issuer: str,
    category: str,
    day: str,
    voice: str,
    rate: float | None,
    as_json: bool,
    no_progress: bool,
    check: bool = False,
) -> None:
    """Dựng INPUT (kịch bản văn bản hoặc bản ghi âm) thành MP3 sẵn sàng phát.
    / Render INPUT into a broadcast-ready MP3.

    INPUT is a UTF-8 text script (or - for stdin), or a recording (WAV, MP3, M4A, OGG, FLAC).
    Text is normalized, spoken by the first working engine (Piper, gTTS, espeak-ng), processed
    for horn loudspeakers and tagged. The result is kept in the media store (a second render of
    the same input is a cache hit) and copied to OUTPUT when given.
    """
    from pipeline.render import RenderRequest

    is_audio = input != "-" and Path(input).suffix.lower() in AUDIO_SUFFIXES
    if input != "-" and not Path(input).is_file():
        raise click.ClickException(f"Không tìm thấy tệp: {input}")
    try:
        req = RenderRequest(
            text=None if is_audio else read_script(input),
            recording=Path(input) if is_audio else None,
            title=title or (Path(input).stem if input != "-" else "Bản tin"),
            issuer=issuer,
            category=category,
            date=day,
            voice=voice,
            speech_rate=settings.speech_rate if rate is None else rate,
        )
        show = not no_progress and not as_json and sys.stderr.isatty()
        result = render_with_progress(req, render_params(settings), show)
    except (PipelineError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from exc
    if output:
        with atomic_path(Path(output)) as tmp:
            shutil.copyfile(result.path, tmp)
    clarity, clarity_text = _clarity(result.path, req.text, settings) if check else ({}, "")
    if as_json:
        click.echo(json.dumps({**result.to_json(), "output": output, **clarity}, ensure_ascii=False, indent=2))
    else:
        where = output or str(result.path)
        state = "có sẵn (cache)" if result.cached else "đã dựng"
        click.echo(
            f"{where}: {state}, {result.duration_s:.1f} s, {result.loudness_lufs:.1f} LUFS, "
            f"{result.true_peak_dbtp:.1f} dBTP, giọng {result.engine}/{result.voice}"
        )
        if check:
            click.echo(clarity_text, err=clarity.get("clarity") is None)


def _clarity(path: Path, script: str | None, settings: Settings) -> tuple[dict[str, Any], str]:
    """``--check``: the clarity report as JSON fields and as text. A missing recognizer or a
    failed check is reported there, and the render it follows still succeeds."""
    from pipeline.clarity.cli import format_report, run_check

    try:
        report = run_check(path, script, settings)
    except PipelineError as exc:
        return {"clarity": None, "clarity_error": str(exc)}, str(exc)
    return {"clarity": report.to_json()}, format_report(report)


commands: list[click.Command] = [render_cmd]
