"""Every ``loa`` command and option explains itself in Vietnamese first, English second (issue 7.29)."""

from __future__ import annotations

import re

import click
import pytest

from loa.cli import cli


def _walk(command: click.Command, path: str) -> list[tuple[str, click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)  # imports lazily-loaded modules like loa/cli.py
            assert sub is not None, f"{path} {name}"
            found.extend(_walk(sub, f"{path} {name}"))
    return found


COMMANDS = _walk(cli, "loa")


def _vietnamese(text: str) -> bool:
    """Vietnamese text has letters outside ASCII (ă â đ ê ô ơ ư and tone marks)."""
    return any(ord(c) > 127 and c.isalpha() for c in text)


def _bilingual(text: str) -> bool:
    return _vietnamese(text) and (" / " in text or re.search(r"\n\s*English:", text) is not None)


def test_walk_reaches_every_lazy_command() -> None:
    names = {path for path, _ in COMMANDS}
    assert {"loa", "loa bulletin add", "loa stations list", "loa audio measure", "loa serve"} <= names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_command_help_is_vietnamese_then_english(path: str, command: click.Command) -> None:
    assert command.help and _bilingual(command.help), f"{path}: {command.help!r}"
    for param in command.params:
        if isinstance(param, click.Option) and param.help and param.name not in {"help", "version"}:
            assert _bilingual(param.help), f"{path} {param.opts}: {param.help!r}"
