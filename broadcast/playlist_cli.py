"""``loa playlist``: generate daily playlists and look at them (registered in loa/cli.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from broadcast.errors import BroadcastError
from loa.config import Settings


def parse_day(text: str, today: date) -> date:
    """``YYYY-MM-DD``, ``today`` or ``tomorrow`` (also ``hom-nay`` / ``ngay-mai``)."""
    word = text.strip().lower()
    if word in ("today", "hom-nay", "homnay"):
        return today
    if word in ("tomorrow", "ngay-mai", "ngaymai"):
        return today + timedelta(days=1)
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise click.BadParameter(
            f"Ngày không hợp lệ: {text!r} (cần YYYY-MM-DD, today hoặc tomorrow)."
        ) from None


def _today(settings: Settings) -> date:
    from broadcast.planner import zone

    return datetime.now(UTC).astimezone(zone(settings.timezone)).date()


def _session(settings: Settings) -> Any:
    from broadcast.db import init_db, session_factory, session_scope

    return session_scope(session_factory(init_db(settings.db_url)))


@click.group("playlist")
def playlist() -> None:
    """Danh sách phát hằng ngày của các đài: tạo và xem. / Daily playlists of the stations:
    generate and show."""


@playlist.command("generate")
@click.option(
    "--date",
    "dates",
    multiple=True,
    required=True,
    metavar="D",
    help="Ngày cần lập: YYYY-MM-DD, 'hom-nay' hoặc 'ngay-mai'; lặp lại cho nhiều ngày. "
    "/ Day to plan: YYYY-MM-DD, 'today' or 'tomorrow'. Repeat for several days.",
)
@click.option("--station", "stations", multiple=True, metavar="CODE", help="Chỉ đài này (lặp lại được). / Only this station (repeatable).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Thư mục ghi CODE/YYYY-MM-DD.m3u8/.json/.xspf (mặc định: <data_dir>/playlists). "
    "/ Output folder.",
)
@click.option(
    "--emergency", is_flag=True, help="Phát ngay tin khẩn cấp hôm nay, trước mọi tin khác. "
    "/ Put today's emergency bulletins on air now, ahead of the rest."
)
@click.option(
    "--folder",
    "plain_folder",
    is_flag=True,
    help="Biến --out thành thư mục tĩnh cho máy đài không dùng API (kèm tệp âm thanh). "
    "/ Make --out a plain folder for agents without the API (agent layout 'folder'): "
    "media urls relative to the manifests and the media files copied into DIR/media.",
)
@click.pass_obj
def generate(
    settings: Settings,
    dates: tuple[str, ...],
    stations: tuple[str, ...],
    out_dir: Path | None,
    emergency: bool,
    plain_folder: bool,
) -> None:
    """Lập và ghi danh sách phát của (các) ngày đã cho. / Plan the playlists of the given day(s)
    and write them.

    A new version is stored only for playlists whose content changed, so running it twice
    does nothing the second time. Files go to DIR/CODE/YYYY-MM-DD.m3u8, .json and .xspf.
    """
    from broadcast.generate import generate_playlists

    today = _today(settings)
    days = [parse_day(d, today) for d in dates]

    def progress(done: int, total: int) -> None:
        if total >= 50 and (done % 500 == 0 or done == total):
            click.echo(f"  {done}/{total} danh sách đã lập", err=True)

    try:
        with _session(settings) as s:
            results = generate_playlists(
                s,
                settings,
                days,
                list(stations) or None,
                out_dir,
                emergency=emergency,
                on_progress=progress,
                plain_folder=plain_folder,
            )
    except BroadcastError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:  # the transaction was rolled back: nothing stored
        where = exc.filename or out_dir or settings.playlists_dir
        raise click.ClickException(f"Không ghi được danh sách phát vào {where}: {exc.strerror or exc}") from exc
    skipped = sorted(set(stations) - {r.station for r in results})
    if skipped and days:
        click.echo("Bỏ qua đài đang ngừng hoạt động: " + ", ".join(skipped), err=True)
    new = sum(r.changed for r in results)
    for r in results if len(results) <= 50 else ():
        state = "mới" if r.changed else "không đổi"
        click.echo(
            f"{r.station} {r.day} v{r.version} ({state}): {r.items} mục, {r.unplaced} không xếp được"
            + (f" -> {r.paths.json}" if r.paths else "")
        )
    click.echo(f"{len(results)} danh sách, {new} phiên bản mới.")


@playlist.command("show")
@click.argument("code")
@click.argument("day", metavar="DATE")
@click.option("--json", "as_json", is_flag=True, help="In bản kê dạng JSON. / Print the manifest as JSON.")
@click.pass_obj
def show(settings: Settings, code: str, day: str, as_json: bool) -> None:
    """Xem danh sách phát mới nhất của đài CODE cho ngày DATE. / Show the latest playlist of
    station CODE for DATE (YYYY-MM-DD, today, tomorrow)."""
    import json

    from broadcast.manifest import ManifestError, parse_manifest
    from broadcast.playlist_store import latest_playlist

    d = parse_day(day, _today(settings))
    with _session(settings) as s:
        pl = latest_playlist(s, code, d)
        if pl is None:
            raise click.ClickException(f"Chưa có danh sách phát của đài {code} ngày {d}.")
        manifest = pl.manifest
    if as_json:
        click.echo(json.dumps(manifest, ensure_ascii=False, indent=1))
        return
    try:
        m = parse_manifest(manifest)
    except ManifestError as exc:
        raise click.ClickException(f"Danh sách phát đã lưu không hợp lệ: {exc}") from exc
    flag = " — KHẨN CẤP" if m.emergency else ""
    click.echo(f"Đài {m.station}, ngày {m.day}, phiên bản {m.version}{flag}")
    for it in m.items:
        mins, secs = divmod(round(it.duration_s), 60)
        click.echo(f"  {it.start:%H:%M:%S}  {mins:3d}:{secs:02d}  {it.kind:<8} {it.priority:<9} {it.title}")
    if m.unplaced:
        click.echo("Không xếp được:")
        for u in m.unplaced:
            click.echo(f"  - {u.title}: {u.reason}")


commands: list[click.Command] = [playlist]
