"""``loa scheduler``: the automatic playlist generation daemon (see broadcast/scheduler.py)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from broadcast.errors import BroadcastError
from loa.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def _install_stop_handlers(stop: threading.Event) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger("broadcast.scheduler").info("signal %s received", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    if sys.platform == "win32":  # Ctrl-Break and closing the console window
        signal.signal(signal.SIGBREAK, handler)


_STATUS_VI = {"running": "đang chạy", "ok": "xong", "error": "lỗi", "interrupted": "bị dừng",
              "abandoned": "bỏ dở"}
_JOB_VI = {"nightly": "đêm", "regen": "tạo lại"}


def _print_status(engine: Engine, tz: ZoneInfo) -> None:
    from broadcast.db import session_factory, session_scope
    from broadcast.scheduler import recent_runs

    with session_scope(session_factory(engine)) as s:
        runs = recent_runs(s)
        if not runs:
            click.echo("Chưa có lượt chạy nào.")
        for r in runs:
            started = r.started_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
            took = f"{(r.finished_at - r.started_at).total_seconds():.1f}s" if r.finished_at else "-"
            slot = f" {r.slot.isoformat()}" if r.slot else ""
            what = (f"{r.playlists} phiên bản mới" if r.job == "nightly" else f"{r.requests} yêu cầu")
            errors = f", {len(r.errors)} lỗi" if r.errors else ""
            click.echo(f"{started}  {_JOB_VI.get(r.job, r.job)}{slot} ({r.trigger}): "
                       f"{_STATUS_VI.get(r.status, r.status)}, {took}, {len(r.stations or [])} đài, {what}{errors}")


@click.command("scheduler")
@click.option("--once", is_flag=True,
              help="Xử lý hàng đợi một lần, chạy lượt đêm nếu chưa chạy, rồi thoát. "
                   "/ Drain the regeneration queue once and run tonight's generation if it has not run "
                   "yet, then exit. Exit code 1 if a station failed.")
@click.option("--status", is_flag=True, help="Xem các lượt chạy gần nhất rồi thoát. "
              "/ Show the latest runs (nightly and regeneration) and exit.")
@click.option("--at", "at", metavar="HH:MM", default=None,
              help="Giờ chạy hằng đêm (mặc định: nightly_time, 00:05). / Local time of the nightly run.")
@click.option("--drain-every", type=float, default=2.0, show_default=True, metavar="SECONDS",
              envvar="LOA_SCHEDULER_DRAIN_S", show_envvar=True,
              help="Bao lâu một lần biến bản tin mới duyệt/sửa/rút thành danh sách phát mới. "
                   "/ How often approved, changed or withdrawn bulletins (and emergencies) are turned into "
                   "new playlists.")
@click.option("--watch-every", type=float, default=60.0, show_default=True, metavar="SECONDS",
              envvar="LOA_SCHEDULER_WATCH_S", show_envvar=True,
              help="Bao lâu kiểm tra lượt đêm đã chạy (bù sau sự cố). / How often the daemon checks that tonight's run happened (catch-up after a crash).")
@click.option("--lease", type=float, default=60.0, show_default=True, metavar="SECONDS",
              envvar="LOA_SCHEDULER_LEASE_S", show_envvar=True,
              help="Lượt chạy im lặng quá lâu thì tiến trình khác nhận thay. / A run not heard from for this long is taken over by another daemon.")
@click.pass_obj
def scheduler_command(settings: Settings, once: bool, status: bool, at: str | None, drain_every: float,
                      watch_every: float, lease: float) -> None:
    """Tự động lập danh sách phát (hằng đêm và khi bản tin thay đổi). / Generate playlists
    automatically.

    Every night at the nightly time (timezone setting) playlists are generated for every active
    station: today and the next days_ahead days. Jobs are kept in the database, so after a restart a
    missed night is caught up once. Approvals, edits and withdrawals of bulletins are turned into new
    playlists within seconds; an approved emergency bulletin gets an emergency playlist at once.
    Several daemons may share one database: each night runs once. Stop with Ctrl-C or SIGTERM.
    """
    from broadcast import scheduler

    log = logging.getLogger("broadcast.scheduler")
    if log.getEffectiveLevel() > logging.INFO:  # a daemon reports its runs unless told to be quieter
        log.setLevel(logging.INFO)
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:  # two lines per job every few seconds
        logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    try:
        tz = ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise click.ClickException(f"Múi giờ không hợp lệ: {settings.timezone!r}.") from exc
    try:
        options = scheduler.DaemonOptions(
            nightly_at=scheduler.parse_hhmm(at if at is not None else settings.nightly_time),
            drain_every_s=drain_every, watch_every_s=watch_every, lease_s=lease,
        )
        clock = scheduler.Clock.from_env(tz)
    except BroadcastError as exc:
        raise click.ClickException(str(exc)) from exc
    engine = scheduler.init_db_shared(settings.db_url)
    if status:
        _print_status(engine, tz)
        return
    daemon = scheduler.SchedulerDaemon(settings, engine, options, clock=clock)
    if not once:
        _install_stop_handlers(daemon.stopping)
        daemon.serve()
        return
    outcome, handled = daemon.once()
    if outcome is None:
        click.echo("Lượt tạo danh sách phát đêm nay đã chạy rồi (hoặc đang chạy ở nơi khác).")
    else:
        click.echo(f"Lượt đêm {outcome.slot.isoformat()}: {len(outcome.stations)} đài, ngày "
                   f"{', '.join(d.isoformat() for d in outcome.dates)}, {outcome.playlists} phiên bản mới.")
        for code, err in sorted(outcome.errors.items()):
            click.echo(f"  Lỗi ở {code}: {err}", err=True)
    click.echo(f"Hàng đợi tạo lại: đã xử lý {handled} yêu cầu.")
    if outcome is not None and outcome.status != "ok":
        sys.exit(1)


commands: list[click.Command] = [scheduler_command]
