"""``loa serve`` and ``loa demo``: the panel, and a ready-to-click demo of it."""

from __future__ import annotations

import logging
import sys

import click

from loa.config import Settings

log = logging.getLogger(__name__)


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (default: settings.host, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: settings.port, 8080).")
@click.option("--threads", type=int, default=None, help="Worker threads (default 8).")
@click.pass_obj
def serve_cmd(settings: Settings, host: str | None, port: int | None, threads: int | None) -> None:
    """Serve the operator panel, the public page and the station API with Granian.

    Uses the same data folder (LOA_DATA_DIR) as every other command.
    """
    from broadcast.db import init_db
    from web.serve import THREADS, serve

    init_db(settings.db_url)  # migrate once here, not in the server's worker
    host = host or settings.host
    port = port or settings.port
    click.echo(f"Loa: http://{host}:{port}/  (Ctrl-C để dừng)", err=True)
    serve(host, port, threads=threads or THREADS)


@click.command("demo")
@click.option("--serve/--no-serve", "then_serve", default=True, help="Serve the panel afterwards (default).")
@click.option("--host", default=None, help="Address to listen on (default: settings.host).")
@click.option("--port", type=int, default=None, help="Port (default: settings.port).")
@click.pass_obj
def demo_cmd(settings: Settings, then_serve: bool, host: str | None, port: int | None) -> None:
    """Set up demo data, then serve the panel so a newcomer can click through at once.

    Imports the district's stations, adds the sample scripts as approved bulletins (rendered
    offline when there is no network), generates tomorrow's playlists and creates one account per
    role, printing the passwords the first time. Running it again keeps what is there.
    """
    from broadcast.demo import setup_demo

    try:
        report = setup_demo(settings, progress=lambda msg: click.echo(msg, err=True))
    except Exception as exc:  # shown to the operator, not a traceback
        log.exception("demo setup failed")
        raise click.ClickException(f"Không dựng được dữ liệu mẫu: {exc}") from exc
    for line in report:
        click.echo(line)
    sys.stdout.flush()
    if then_serve:
        ctx = click.get_current_context()
        ctx.invoke(serve_cmd, host=host, port=port, threads=None)


commands: list[click.Command] = [serve_cmd, demo_cmd]
