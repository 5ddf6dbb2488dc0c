"""The ``loa`` command: one entry point that gathers each package's subcommands.

Each package owns its own commands in its own ``cli`` module and exposes them as ``commands``;
this module only puts them under one group and sets up logging and settings.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from loa import __version__, config

#: Where each command lives. Modules are imported only when their command runs (or for the
#: help listing), so ``loa agent`` does not pay for scipy and ``loa render`` not for Flask.
COMMANDS: dict[str, str] = {
    "text": "pipeline.text.cli",
    "voices": "pipeline.tts.cli",
    "audio": "pipeline.audio.cli",
    "render": "pipeline.cli",
    "check": "pipeline.clarity.cli",
    "stations": "broadcast.cli",
    "bulletin": "broadcast.cli",
    "report": "broadcast.cli",
    "db": "broadcast.cli",
    "playlist": "broadcast.playlist_cli",
    "scheduler": "broadcast.scheduler_cli",
    "agent": "broadcast.agent.cli",
    "serve": "web.cli",
    "demo": "web.cli",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use (click's documented lazy pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        module = importlib.import_module(module_name)
        for command in module.commands:
            if command.name == cmd_name:
                return command  # type: ignore[no-any-return]
        raise RuntimeError(f"{module_name} does not define the command {cmd_name!r}")


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(
        level=max(level, logging.DEBUG),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.version_option(__version__, prog_name="loa")
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """Loa: turn Vietnamese scripts into broadcast-ready audio and daily playlists
    for commune loudspeaker stations.

    Settings come from defaults, then LOA_DATA_DIR/loa.toml (or $LOA_CONFIG), then
    LOA_* environment variables. See loa/config.py for every setting.
    """
    _setup_logging(verbose)
    try:
        ctx.obj = config.load()
    except config.ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def main() -> None:
    cli(prog_name="loa")
