"""The ``loa`` command: one entry point that gathers each package's subcommands.

Each package owns its own commands in its own ``cli`` module and exposes them as ``commands``;
this module only puts them under one group and sets up logging and settings.
"""

from __future__ import annotations

import importlib
import logging
import os
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
    "units": "broadcast.units_cli",
    "inbox": "broadcast.units_cli",
    "worker": "broadcast.worker_cli",
    "cap": "broadcast.cap_cli",
}


#: Click's own messages in Vietnamese (with the English after a slash where an operator may search
#: for it). ``LOA_LANG=en`` keeps Click's English.
CLICK_VI: dict[str, str] = {
    "Error: {message}": "Lỗi: {message}",
    "Usage:": "Cách dùng:",
    "Options": "Tùy chọn",
    "Commands": "Lệnh",
    "Show this message and exit.": "Hiện hướng dẫn này rồi thoát. / Show this message and exit.",
    "Show the version and exit.": "Hiện phiên bản rồi thoát. / Show the version and exit.",
    "Try '{command} {option}' for help.": "Gõ '{command} {option}' để xem hướng dẫn.",
    "Missing option": "Thiếu tùy chọn / missing option",
    "Missing argument": "Thiếu tham số / missing argument",
    "Missing parameter": "Thiếu tham số / missing parameter",
    "Missing {param_type}": "Thiếu {param_type}",
    "No such command {name!r}.": "Không có lệnh {name!r} (no such command).",
    "No such option: {name}": "Không có tùy chọn: {name} (no such option)",
    "Invalid value: {message}": "Giá trị không hợp lệ: {message}",
    "Invalid value for {param_hint}: {message}": "Giá trị không hợp lệ cho {param_hint}: {message}",
    "Got unexpected extra argument ({args})": "Thừa tham số ({args})",
    "Got unexpected extra arguments ({args})": "Thừa các tham số ({args})",
    "Option {name!r} requires an argument.": "Tùy chọn {name!r} cần một giá trị.",
    "Missing command.": "Thiếu lệnh con.",
    "Aborted!": "Đã hủy!",
    "{value!r} is not a valid integer.": "{value!r} không phải số nguyên.",
    "{value!r} is not a valid float.": "{value!r} không phải số.",
    "{value!r} is not one of {choices}.": "{value!r} không thuộc {choices}.",
    "{value!r} is not {choice}.": "{value!r} không phải {choice}.",
    "{value!r} does not match the format {format}.": "{value!r} không đúng dạng {format}.",
    "{value!r} does not match the formats {formats}.": "{value!r} không đúng các dạng {formats}.",
    "{name} {filename!r} does not exist.": "{name} {filename!r} không tồn tại.",
    "required": "bắt buộc",
    "default: {default}": "mặc định: {default}",
}


def _vi_gettext(message: str) -> str:
    return CLICK_VI.get(message, message)


def _vi_ngettext(singular: str, plural: str, n: int) -> str:
    return _vi_gettext(singular if n == 1 else plural)


def install_vietnamese(env: dict[str, str] | None = None) -> None:
    """Make Click speak Vietnamese: it looks up each message through a module-level ``_`` (gettext)."""
    if (env if env is not None else os.environ).get("LOA_LANG", "vi").lower().startswith("en"):
        return
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.types

    for module in (
        click.core,
        click.decorators,
        click.exceptions,
        click.formatting,
        click.parser,
        click.types,
    ):
        if hasattr(module, "_"):
            module._ = _vi_gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = _vi_ngettext  # type: ignore[attr-defined]


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
@click.option(
    "-v", "--verbose", count=True, help="Ghi nhật ký chi tiết hơn (-v info, -vv debug). / More log output."
)
@click.version_option(__version__, prog_name="loa")
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """Loa: biến bản tin tiếng Việt thành âm thanh sẵn sàng phát và lịch phát hằng ngày cho
    đài truyền thanh cơ sở.

    Cấu hình lấy từ mặc định, rồi LOA_DATA_DIR/loa.toml (hoặc $LOA_CONFIG), rồi biến môi trường
    LOA_*. Xem loa/config.py. LOA_LANG=en: thông báo của Click bằng tiếng Anh.

    English: turn Vietnamese scripts into broadcast-ready audio and daily playlists for commune
    loudspeaker stations. Settings: defaults, then loa.toml, then LOA_* variables.
    """
    _setup_logging(verbose)
    try:
        ctx.obj = config.load()
    except config.ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def main() -> None:
    install_vietnamese()
    cli(prog_name="loa")
