"""``loa check``: how much of an MP3 the offline recognizer understands."""

from __future__ import annotations

import json
from pathlib import Path

import click

from loa.config import Settings
from pipeline.clarity.check import ClarityReport
from pipeline.types import PipelineError


def format_report(report: ClarityReport) -> str:
    """Vietnamese text for the terminal: score, missed words, transcript."""
    lines = []
    if report.score is not None:
        lines.append(f"Độ rõ: {report.score:.2f} (WER {report.wer:.2f})")
        missed = ", ".join(report.missed) if report.missed else "không có"
        lines.append(f"Từ bị nghe sót ({len(report.missed)}): {missed}")
    lines.append(f"Bản nhận dạng: {report.transcript or '(không nghe được từ nào)'}")
    return "\n".join(lines)


def run_check(path: Path, script: str | None, settings: Settings) -> ClarityReport:
    """The check with the settings' lexicon, so the reference is what the render spoke."""
    from pipeline.clarity.check import check_clarity
    from pipeline.text import optional_lexicon

    return check_clarity(path, script, optional_lexicon(settings.lexicon_path))


@click.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--text", "text_file", type=click.Path(allow_dash=True, dir_okay=False),
              help="Tệp kịch bản UTF-8 để so sánh. / The script to compare with.")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON. / Print the result as JSON.")
@click.pass_obj
def check_cmd(settings: Settings, file: str, text_file: str | None, as_json: bool) -> None:
    """Kiểm tra độ rõ của FILE bằng bộ nhận dạng tiếng nói ngoại tuyến.

    / Check how intelligible FILE is: an offline Vietnamese recognizer transcribes it; with --text
    the score is 1 − WER against the script's spoken form, with the words it missed. Without
    --text (a recording) only the transcript is printed.
    """
    from pipeline.cli import read_script

    try:
        script = read_script(text_file) if text_file else None
        report = run_check(Path(file), script, settings)
    except PipelineError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_report(report))


commands: list[click.Command] = [check_cmd]
