"""``loa serve`` and ``loa demo``: the panel, and a ready-to-click demo of it."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from loa.config import Settings

log = logging.getLogger(__name__)


@click.command("serve")
@click.option("--host", default=None, help="Địa chỉ lắng nghe (mặc định: settings.host, 127.0.0.1). / Address to listen on.")
@click.option("--port", type=int, default=None, help="Cổng (mặc định: settings.port, 8080). / Port.")
@click.option("--threads", type=int, default=None, help="Số luồng xử lý (mặc định 8). / Worker threads.")
@click.option("--no-scheduler", "no_scheduler", is_flag=True,
              help="Không chạy bộ lập lịch trong tiến trình này (đã có `loa scheduler` chạy riêng). / "
                   "Do not run the scheduler (nightly generation, regeneration queue) in this process.")
@click.pass_obj
def serve_cmd(settings: Settings, host: str | None, port: int | None, threads: int | None,
              no_scheduler: bool = False) -> None:
    """Phục vụ bảng điều khiển, trang công khai và API cho đài. / Serve the operator panel, the
    public page and the station API with Granian.

    Also runs the scheduler's work (nightly generation, the regeneration queue, emergencies) unless
    --no-scheduler is given; if another scheduler already holds the work, this one stands by and
    takes over when that one dies. Uses the same data folder (LOA_DATA_DIR) as every other command.
    """
    from broadcast.scheduler import init_db_shared
    from web.serve import THREADS, PortInUse, check_port_free, serve

    host = host or settings.host
    port = port or settings.port
    try:
        check_port_free(host, port)
    except PortInUse as exc:
        raise click.ClickException(
            f"Cổng {port} trên {host} đang được một tiến trình khác dùng (có thể Loa đã chạy rồi). "
            f"Hãy chọn cổng khác, ví dụ: loa serve --port {port + 1}. / "
            f"Port {port} on {host} is already in use; choose another with --port."
        ) from exc
    engine = init_db_shared(settings.db_url)  # migrate once here, not in the server's worker
    daemon = None if no_scheduler else _start_scheduler(settings, engine)
    click.echo(f"Loa: http://{host}:{port}/  (Ctrl-C để dừng)", err=True)
    try:
        serve(host, port, threads=threads or THREADS, streams=settings.events_max_streams)
    finally:
        if daemon is not None:
            daemon.stopping.set()


def _start_scheduler(settings: Settings, engine: Any) -> Any:
    """The scheduler daemon in a background thread of the serving process (see broadcast/scheduler.py:
    claims make it stand by while another daemon works, and take over when that one dies)."""
    import threading

    from broadcast.scheduler import SchedulerDaemon

    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    daemon = SchedulerDaemon(settings, engine)
    threading.Thread(target=daemon.serve, name="loa-scheduler", daemon=True).start()
    return daemon


@click.command("demo")
@click.option("--serve/--no-serve", "then_serve", default=True, help="Sau đó phục vụ bảng điều khiển (mặc định). / Serve the panel afterwards (default).")
@click.option("--host", default=None, help="Địa chỉ lắng nghe (mặc định: settings.host). / Address to listen on.")
@click.option("--port", type=int, default=None, help="Cổng (mặc định: settings.port). / Port.")
@click.pass_obj
def demo_cmd(settings: Settings, then_serve: bool, host: str | None, port: int | None) -> None:
    """Tạo dữ liệu mẫu rồi phục vụ bảng điều khiển để người mới bấm thử ngay. / Set up demo data,
    then serve the panel so a newcomer can click through at once.

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
        ctx.invoke(serve_cmd, host=host, port=port, threads=None, no_scheduler=False)


commands: list[click.Command] = [serve_cmd, demo_cmd]
