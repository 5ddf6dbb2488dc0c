"""The ``loa`` command: one entry point that gathers each package's subcommands.

Each package owns its own commands in its own ``cli`` module and exposes them as ``commands``;
this module only puts them under one group and sets up logging and settings.
"""

from __future__ import annotations

import logging
import sys

import click

from loa import __version__, config


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(
        level=max(level, logging.DEBUG),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


def _register() -> None:
    from broadcast import cli as broadcast_cli
    from broadcast import playlist_cli, scheduler_cli
    from broadcast.agent import cli as agent_cli
    from pipeline import cli as pipeline_cli
    from pipeline.audio import cli as audio_cli
    from pipeline.text import cli as text_cli
    from pipeline.tts import cli as tts_cli
    from web import cli as web_cli

    for module in (text_cli, tts_cli, audio_cli, pipeline_cli, broadcast_cli, playlist_cli, scheduler_cli, agent_cli, web_cli):
        for command in module.commands:
            cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="loa")
