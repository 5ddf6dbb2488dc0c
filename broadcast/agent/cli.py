"""Commands of this package for the ``loa`` CLI (see loa/cli.py)."""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from typing import Any

import click

from broadcast.agent.agent import Agent, AgentConfig
from broadcast.agent.client import LAYOUTS
from broadcast.agent.clock import SystemClock
from broadcast.agent.player import ClockPlayer, MiniaudioPlayer, Player, RecordingSink, playback_devices
from loa.config import Settings

log = logging.getLogger(__name__)


@click.command("agent")
@click.option(
    "--server",
    metavar="URL",
    help="Máy chủ Loa (http://...), hoặc thư mục web chứa lịch phát (--layout folder). "
    "/ Loa server, or a web folder of playlists.",
)
@click.option("--station", metavar="CODE", help="Mã đài của máy này. / This machine's station code.")
@click.option(
    "--token", envvar="LOA_AGENT_TOKEN", default="", help="Mã truy cập của đài (hoặc biến LOA_AGENT_TOKEN). / Station agent token."
)
@click.option(
    "--layout",
    type=click.Choice(LAYOUTS),
    default="api",
    show_default=True,
    help="api: API của Loa; folder: thư mục tĩnh <URL>/<CODE>/<YYYY-MM-DD>.json. "
    "/ api: Loa's API; folder: a static folder.",
)
@click.option(
    "--report-server",
    metavar="URL",
    default=None,
    help="Nơi gửi nhật ký phát và tín hiệu hoạt động (mặc định: --server khi --layout api). "
    "/ Where as-run logs and heartbeats go (default: --server with --layout api).",
)
@click.option(
    "--cache",
    "cache_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Thư mục bộ nhớ đệm (mặc định <data_dir>/agent/<CODE>). / Cache folder.",
)
@click.option("--once", is_flag=True, help="Đồng bộ một lần (lịch phát, tệp, nhật ký) rồi thoát; không phát. "
              "/ Sync once (playlists, files, logs) and exit; play nothing.")
@click.option("--no-play", is_flag=True, help="Chạy lịch như thật nhưng không phát ra loa (để thử). "
              "/ Run the schedule but play nothing (for testing).")
@click.option(
    "--output-device", metavar="NAME", default=None, help="Tên (hoặc một phần tên) thiết bị phát âm thanh. "
    "/ Name (or part of it) of the audio output device."
)
@click.option("--list-devices", is_flag=True, help="Liệt kê các thiết bị phát âm thanh rồi thoát. / List audio output devices and exit.")
@click.option(
    "--poll",
    "poll_s",
    type=click.FloatRange(min=0.1),
    metavar="SECONDS",
    default=None,
    help="Số giây giữa hai lần hỏi lịch phát mới (mặc định agent_poll_s = 30). "
    "/ Seconds between playlist polls.",
)
@click.option(
    "--record-to",
    "record_to",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Không phát ra loa mà ghi mỗi lần phát (giờ, độ dài, mức âm) vào tệp JSON này (tập dượt, kiểm thử). "
    "/ Play nothing; append each play (time, length, level) to this JSON-lines file (rehearsals, tests).",
)
@click.option("--events/--no-events", "events", default=True,
              help="Giữ kênh sự kiện của máy chủ để nghe tin khẩn cấp ngay (mặc định bật; vẫn hỏi định kỳ). "
                   "/ Hold the server's event stream to hear of emergencies at once (default on; polling goes on).")
@click.pass_obj
def agent_command(
    settings: Settings, server: str | None, station: str | None, token: str, layout: str,
    report_server: str | None, cache_dir: Path | None, once: bool, no_play: bool,
    output_device: str | None, list_devices: bool, poll_s: float | None, record_to: Path | None,
    events: bool = True,
) -> None:  # fmt: skip
    """Chạy trên máy tính của đài xã, nối với bộ khuếch đại.

    Tải lịch phát hôm nay và ngày mai cùng các tệp âm thanh vào bộ nhớ đệm (kiểm tra sha256, tải tiếp
    khi đứt mạng), phát đúng giờ, ngắt ngay khi có tin khẩn cấp, vẫn phát từ bộ nhớ đệm khi mất mạng,
    ghi nhật ký phát (as-run) trên máy rồi gửi lên máy chủ khi có mạng.

    Ví dụ: loa agent --server http://may-chu:8080 --station XA-01 --token ...

    / Runs on the commune station's computer wired to the amplifier: caches today's and
    tomorrow's playlists and audio, plays on time, cuts in for emergencies, keeps playing offline
    and reports what aired (as-run) when the network is back.
    """
    if list_devices:
        for name in playback_devices():
            click.echo(name)
        return
    if not server or not station:
        raise click.UsageError("Cần --server và --station.")
    if layout == "api" and not token:
        raise click.UsageError("Thiếu mã truy cập của đài (--token hoặc LOA_AGENT_TOKEN).")
    config = AgentConfig(
        server=server,
        station=station,
        token=token,
        cache_dir=cache_dir or settings.data_dir / "agent" / station,
        layout=layout,
        report_server=report_server,
        timezone=settings.timezone,
        poll_s=poll_s if poll_s is not None else settings.agent_poll_s,
        heartbeat_s=settings.agent_heartbeat_s,
        events=events and not once,
    )
    clock = SystemClock()
    player: Player
    if record_to is not None:
        player = RecordingSink(clock, record_to)
    elif once or no_play:
        player = ClockPlayer(clock)
    else:
        try:
            player = MiniaudioPlayer(output_device)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    agent = Agent(config, player, clock=clock)
    if once:
        report = agent.sync_once()
        until = agent.cached_until()
        click.echo(
            f"Đài {station}: {len(report.updated)} lịch phát mới, {len(report.downloaded)} tệp đã tải, "
            f"{report.uploaded} dòng nhật ký đã gửi; đủ dữ liệu phát đến: {until or 'chưa có'}."
        )
        if not report.reachable:
            raise click.ClickException("Không kết nối được máy chủ; dùng dữ liệu đã lưu.")
        if report.errors:
            raise click.ClickException("Đồng bộ chưa trọn vẹn:\n" + "\n".join(report.errors))
        return

    def _terminate(signum: int, frame: Any) -> None:
        agent.stop()

    signal.signal(signal.SIGTERM, _terminate)
    click.echo(f"Đài {station}: đang chạy (Ctrl+C để dừng). Bộ nhớ đệm: {config.cache_dir}")
    try:
        agent.run()
    except KeyboardInterrupt:
        agent.stop()
    click.echo("Đã dừng.")


commands: list[click.Command] = [agent_command]
