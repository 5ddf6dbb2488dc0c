"""``loa cap import FILE.xml``: a thin adapter over broadcast/cap.py (CAP 1.2 alerts → emergency
bulletins)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from broadcast import cap, permissions
from broadcast.cli import _actor_default, _scope, _today
from loa.config import Settings

_ACTIONS_VI = {"created": "đã tạo bản tin khẩn cấp", "updated": "đã cập nhật bản tin",
               "cancelled": "đã rút bản tin", "duplicate": "đã nhận trước đó, không thay đổi gì"}


@click.group("cap")
def cap_group() -> None:
    """Cảnh báo CAP 1.2 (cơ quan phòng chống thiên tai) thành bản tin khẩn cấp.
    / Common Alerting Protocol 1.2 alerts (e.g. from the disaster authorities) as emergency bulletins."""


def _read(file: Path, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes: an oversized file is refused without reading all of it."""
    try:
        with file.open("rb") as fh:
            return fh.read(limit + 1)
    except OSError as exc:
        raise click.ClickException(f"Không đọc được tệp '{file}': {exc.strerror}.") from None


@cap_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--actor", default=_actor_default, show_default="OS user",
              help="Người nhập (ghi nhật ký; tài khoản của bảng điều khiển thì theo quyền và đơn vị của họ). "
                   "/ Who imports it (audit log; a panel account acts with its role and unit).")
@click.option("--no-render", is_flag=True,
              help="Bản tin được tự động duyệt thì chưa dựng âm thanh bây giờ. / Do not render an auto-approved bulletin now.")
@click.option("--json", "as_json", is_flag=True, help="Kết quả dạng JSON. / Print the outcome as JSON.")
@click.pass_obj
def cap_import(settings: Settings, file: Path, actor: str, no_render: bool, as_json: bool) -> None:
    """Nhập một cảnh báo CAP 1.2 (Alert, Update, Cancel) từ FILE.xml. / Import one CAP 1.2 message
    from FILE.xml: an Alert becomes an emergency bulletin for review (its Vietnamese info, stations of
    the units its geocodes name, or every station marked for the reviewer to target); an Update
    changes and a Cancel withdraws the bulletin it references. A message already imported changes nothing."""
    data = _read(file, settings.cap_max_bytes)
    with _scope(settings) as session:
        permissions.require_actor(session, actor, "emergency")
        done = cap.import_alert(session, data, actor=actor, settings=settings, today=_today(settings))
    if as_json:
        click.echo(json.dumps(done.as_dict(), ensure_ascii=False, indent=2))
    else:
        _report(done)
    if done.publish and not no_render:
        _publish(settings, done.bulletin_id)


def _report(done: cap.Outcome) -> None:
    click.echo(f"Cảnh báo CAP ({done.msg_type}): {_ACTIONS_VI[done.action]}, bản tin #{done.bulletin_id}"
               f" ({done.status}).")
    if done.language_fallback:
        click.echo(f"Cảnh báo không có phần tiếng Việt: đã dùng phần đầu tiên (ngôn ngữ {done.language}).")
    if done.needs_targeting:
        click.echo("Vùng cảnh báo không khớp đơn vị nào: bản tin gửi tới mọi đài, người duyệt cần chọn đài nhận.")
    elif done.stations:
        click.echo(f"Đài nhận: {', '.join(done.stations)}")
    if done.unmatched:
        click.echo(f"Mã vùng không khớp: {', '.join(done.unmatched)}")
    if done.auto_approved:
        click.echo("Đã tự động duyệt (Extreme, Immediate).")


def _publish(settings: Settings, bulletin_id: int | None) -> None:
    """Render the approved emergency, then publish its playlists: the approval's usual workflow
    (in process, or on the Redis queue ahead of every other render when ``redis_url`` is set)."""
    from broadcast.cli import _render_and_report

    if bulletin_id is not None:
        _render_and_report(settings, bulletin_id)


commands = [cap_group]
