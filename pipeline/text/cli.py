"""Commands of this package for the ``loa`` CLI (see loa/cli.py)."""

from __future__ import annotations

import sys

import click

from loa import config
from pipeline.text.lexicon import Lexicon, load_lexicon, optional_lexicon
from pipeline.text.normalize import normalize
from pipeline.text.segment import prepare
from pipeline.types import PipelineError

EMPTY = "Văn bản trống: không có gì để đọc."


@click.group("text")
def text_group() -> None:
    """Chuẩn hoá văn bản tiếng Việt: những gì giọng đọc sẽ nói. / Vietnamese text normalization:
    what the announcer voice will say."""


def _lexicon(ctx: click.Context, path: str | None) -> Lexicon | None:
    settings = ctx.obj if isinstance(ctx.obj, config.Settings) else config.load()
    try:
        return load_lexicon(path) if path else optional_lexicon(settings.lexicon_path)
    except PipelineError as exc:
        raise click.ClickException(str(exc)) from exc


@text_group.command("normalize")
@click.argument("text", nargs=-1)
@click.option(
    "--lexicon",
    "lexicon_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Từ điển riêng (.toml hoặc .csv), thắng các quy tắc sẵn có; mặc định: thiết lập lexicon_path. "
    "/ Operator lexicon (.toml or .csv) whose entries win over the built-in rules. "
    "Default: the lexicon_path setting.",
)
@click.option(
    "--utterances",
    is_flag=True,
    help="In cách chia câu đọc, mỗi dòng RANH_GIỚI<TAB>VĂN_BẢN. / Print the utterance split instead, one per line as BOUNDARY<TAB>TEXT "
    "(boundary: comma, sentence, paragraph or heading).",
)
@click.pass_context
def normalize_command(
    ctx: click.Context, text: tuple[str, ...], lexicon_path: str | None, utterances: bool
) -> None:
    """In dạng đọc của TEXT, mỗi dòng vào một dòng ra; không có TEXT thì đọc đầu vào chuẩn.
    / Print the spoken form of TEXT, one output line for each input line.

    With no TEXT, reads standard input. Empty lines stay empty. Ví dụ / example:

        loa text normalize "Họp lúc 17h30 ngày 15/3/2021 tại UBND xã"
    """
    source = "\n".join(text) if text else sys.stdin.read()
    if not source.strip():
        raise click.ClickException(EMPTY)
    lexicon = _lexicon(ctx, lexicon_path)
    if utterances:
        try:
            for utt in prepare(source, lexicon):
                click.echo(f"{utt.boundary}\t{utt.text}")
        except PipelineError as exc:
            raise click.ClickException(str(exc)) from exc
        return
    if source.endswith("\n"):
        source = source[:-1]
    click.echo(normalize(source, lexicon))


commands: list[click.Command] = [text_group]
