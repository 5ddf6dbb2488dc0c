from __future__ import annotations

import importlib

import pytest
from click.testing import CliRunner

from loa.cli import COMMANDS, cli


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_found_and_explains_itself(name: str) -> None:
    module = importlib.import_module(COMMANDS[name])
    assert name in {c.name for c in module.commands}
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output and len(result.output.splitlines()) > 4


def test_every_exported_command_is_registered() -> None:
    for module_name in set(COMMANDS.values()):
        for command in importlib.import_module(module_name).commands:
            assert COMMANDS.get(command.name or "") == module_name


def test_top_level_help_lists_all_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output
    assert CliRunner().invoke(cli, ["no-such-command"]).exit_code != 0
