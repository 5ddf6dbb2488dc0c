"""Commands of this package for the ``loa`` CLI (see loa/cli.py): database, stations, bulletins, reports."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from broadcast import bulletins as bl
from broadcast import clock, db, permissions
from broadcast import relays as relays_svc
from broadcast import sessions as sessions_svc
from broadcast import stations as st
from broadcast.changes import REGEN_WRITTEN
from broadcast.errors import BroadcastError
from broadcast.models import Bulletin, BulletinStatus, Priority, Relay, Station, TargetKind
from broadcast.weekdays_vi import sessions_label
from loa.config import Settings

DATE = click.DateTime(formats=["%Y-%m-%d"])


def _actor_default() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container or service account
        return "loa"


def _today(settings: Settings) -> date:
    return clock.today(settings.timezone)


def _factory(settings: Settings) -> sessionmaker[Session]:
    return db.session_factory(db.init_db(settings.db_url))


@contextmanager
def _scope(settings: Settings, *, publish: bool = True) -> Iterator[Session]:
    """One transaction; a BroadcastError becomes a clean CLI error (exit 1) after the rollback.
    Regeneration requests it wrote are then processed (``broadcast.outbox``) if ``publish``."""
    factory = _factory(settings)
    try:
        with db.session_scope(factory) as session:
            yield session
    except BroadcastError as exc:
        raise click.ClickException(str(exc)) from exc
    if publish and session.info.get(REGEN_WRITTEN):
        from broadcast.outbox import process_requests

        _report_requests(process_requests(factory, settings))


def _report_requests(handled: int | None) -> None:
    """What became of the regeneration requests just committed (``broadcast.outbox``)."""
    if handled is None:
        click.echo("Danh sách phát sẽ được bộ lập lịch đang chạy lập lại. / "
                   "The running scheduler will regenerate the playlists.", err=True)
    else:
        click.echo(f"Đã lập lại danh sách phát ({handled} yêu cầu). / Playlists regenerated.", err=True)


def _progress_printer(label: str) -> Callable[[float], None]:
    last = [-1]

    def show(fraction: float) -> None:
        pct = int(max(0.0, min(1.0, fraction)) * 100)
        if pct != last[0]:
            last[0] = pct
            click.echo(f"\r{label}: {pct:3d}%", err=True, nl=pct == 100)

    return show


# --- loa db ------------------------------------------------------------------------------------


@click.group("db")
def db_group() -> None:
    """Lược đồ cơ sở dữ liệu (Alembic). / Database schema (Alembic migrations). The database is Settings.db_url: SQLite in the data
    folder unless LOA_DATABASE_URL names another (any SQLAlchemy URL)."""


@db_group.command("upgrade")
@click.pass_obj
def db_upgrade(settings: Settings) -> None:
    """Tạo cơ sở dữ liệu hoặc nâng lên lược đồ mới nhất. / Create the database, or bring it to the
    latest schema."""
    engine = db.init_db(settings.db_url)
    click.echo(
        f"Cơ sở dữ liệu ở phiên bản {db.current_revision(engine)}: "
        f"{engine.url.render_as_string(hide_password=True)}"
    )


@db_group.command("copy")
@click.option("--from", "source", required=True, metavar="URL",
              help="Cơ sở dữ liệu nguồn (URL SQLAlchemy, vd. sqlite:////srv/loa-xa/loa.db). / Source database (SQLAlchemy URL).")
@click.option("--to", "target", required=True, metavar="URL",
              help="Cơ sở dữ liệu đích, vd. postgresql+psycopg://loa@localhost/loa; được nâng lên lược đồ mới nhất. "
                   "/ Target database, e.g. postgresql+psycopg://loa@localhost/loa; migrated to the latest schema first.")
@click.option("--merge", is_flag=True,
              help="Gộp vào đích đã có dữ liệu, dời mã số để không trùng. / Merge into a target that already has data, "
                   "shifting ids so the rows never collide.")
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(1, 100_000),
              help="Số dòng mỗi lần ghi (mỗi lần là một giao dịch). / Rows per batch (one transaction each).")
def db_copy(source: str, target: str, merge: bool, batch: int) -> None:
    """Chép dữ liệu của huyện hoặc xã (SQLite) sang cơ sở dữ liệu của tỉnh (PostgreSQL), kiểm tra bằng số dòng và
    SHA-256 từng bảng; chạy lại thì tiếp tục chỗ dừng. / Copy a district's or commune's data (SQLite) into a
    province's database (PostgreSQL), verified by row counts and SHA-256 per table; idempotent, resumes after a
    kill; refuses a non-empty target unless --merge."""
    from broadcast import db_copy as dc

    def show(table: str, done: int, total: int) -> None:
        click.echo(f"  {table}: {done}/{total}", err=True)

    try:
        report = dc.copy_database(source, target, merge=merge, batch=batch, progress=show)
    except BroadcastError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in dc.summary_lines(report):
        click.echo(line)
    if not report.ok:
        raise click.ClickException("Bản chép không khớp với nguồn (xem các bảng ở trên).")
    click.echo("Bản chép khớp với nguồn.")


@db_group.command("revision")
@click.option("-m", "--message", required=True, help="Bản nâng cấp thay đổi gì. / What the migration changes.")
def db_revision(message: str) -> None:
    """(Lập trình viên) Viết bản nâng cấp kế tiếp. / (Developers) Write the next migration (0002, 0003, …) by comparing broadcast/models.py with
    a fresh database upgraded to the current head. Review the file before committing it."""
    import tempfile

    from alembic import command
    from alembic.script import ScriptDirectory

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'autogen.db'}"
        db.init_db(url).dispose()
        cfg = db.alembic_config(url)
        numbered = [
            int(r.revision) for r in ScriptDirectory.from_config(cfg).walk_revisions() if r.revision.isdigit()
        ]
        rev_id = f"{max(numbered, default=0) + 1:04d}"
        script = command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)
    path = getattr(script, "path", "")
    click.echo(f"Đã tạo {path}")


# --- loa stations ----------------------------------------------------------------------------------


@click.group("stations")
def stations_group() -> None:
    """Đài truyền thanh xã: nhập từ CSV, liệt kê, mã truy cập, phiên phát, tiếp sóng.
    / Commune stations: import from CSV, list, agent tokens, broadcast sessions, relays."""


@stations_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--group", help="Đưa mọi đài vừa nhập vào nhóm này (tạo nếu chưa có), vd. huyện. "
    "/ Also put every imported station in this group (created if new), e.g. the district."
)
@click.option("--district", help="Tên huyện ghi cho mỗi đài (cột 'district' trong CSV được ưu tiên). "
              "/ District name stored on each station (a 'district' CSV column wins).")
@click.option(
    "--actor", default=_actor_default, show_default="OS user", help="Người nhập (ghi nhật ký). / Who imports (for the audit log)."
)
@click.pass_obj
def stations_import(
    settings: Settings, file: Path, group: str | None, district: str | None, actor: str
) -> None:
    """Thêm hoặc cập nhật đài từ tệp CSV / Create or update stations from a CSV with columns
    code,name,kind,sessions. The stations touched are queued for new playlists.

    sessions is e.g. "Mon-Sat 05:30-06:00; Mon-Sat 17:00-17:45" (days Mon…Sun or T2…T7, CN; or a
    date YYYY-MM-DD for a one-off session). If any line is bad, every bad line is listed and
    nothing is imported.
    """
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(
            f"Tệp '{file.name}' không phải UTF-8: trong Excel chọn Lưu thành > 'CSV UTF-8 (Comma delimited)'."
        ) from None
    with _scope(settings) as session:
        permissions.require_actor(session, actor, "stations.manage")
        rows = st.parse_stations_csv(text)
        user = permissions.actor_user(session, actor)
        scope = permissions.scope_of(session, user)
        res = st.import_stations(session, rows, group=group, district=district, actor=actor, scope=scope,
                                 default_unit_id=user.unit_id if user else None)
    click.echo(
        f"Đã nhập {len(rows)} đài ({len(res.created)} mới, {len(res.updated)} cập nhật), "
        f"{res.sessions} phiên phát" + (f", nhóm '{group}'" if group else "") + "."
    )
    click.echo("Đã yêu cầu lập danh sách phát cho các đài này (loa scheduler sẽ lập).", err=True)


@stations_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON thay cho bảng. / JSON instead of a table.")
@click.option("--unit", help="Chỉ các đài của đơn vị này và cấp dưới. / Only the stations of this unit and below.")
@click.pass_obj
def stations_list(settings: Settings, as_json: bool, unit: str | None) -> None:
    """Liệt kê các đài / List stations with their sessions, groups and last heartbeat."""
    from broadcast import units

    with _scope(settings) as session:
        if unit:
            stations = units.stations_under(session, units.get(session, unit))
        else:
            stations = list(session.scalars(select(Station).order_by(Station.code)))
        unit_codes = {u.id: u.code for u in units.all_units(session)}
        data: list[dict[str, Any]] = [
            {
                "code": s.code,
                "name": s.name,
                "kind": s.kind,
                "district": s.district,
                "unit": unit_codes.get(s.unit_id or 0, ""),
                "active": s.active,
                "groups": sorted(g.name for g in s.groups),
                "sessions": st.format_sessions(x for x in s.sessions if x.active),
                "has_token": s.token_hash is not None,
                "last_heartbeat_at": s.last_heartbeat_at.isoformat() if s.last_heartbeat_at else None,
            }
            for s in stations
        ]
        labels = [sessions_label(x for x in s.sessions if x.active) for s in stations]
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if not data:
        click.echo("Chưa có đài nào. Nhập bằng: loa stations import FILE.csv")
        return
    w = max(len(str(d["code"])) for d in data)
    n = max(len(str(d["name"])) for d in data)
    for d, days in zip(data, labels, strict=True):
        flag = "" if d["active"] else " (tạm ngừng)"
        click.echo(f"{d['code']:<{w}}  {d['name']:<{n}}  {days}{flag}")


@stations_group.command("token")
@click.argument("code")
@click.option("--actor", default=_actor_default, show_default="OS user", help="Người cấp (nhật ký). / Who issues it (audit log).")
@click.pass_obj
def stations_token(settings: Settings, code: str, actor: str) -> None:
    """Cấp mã truy cập mới cho đài CODE / Issue a new agent token for station CODE. It is printed
    once and only its hash is kept;
    the station's previous token stops working."""
    with _scope(settings) as session:
        permissions.require_actor(session, actor, "stations.manage")
        token = st.issue_agent_token(session, st.get_station(session, code), actor=actor)
    click.echo(token)
    click.echo("Lưu mã này vào máy phát của đài; sẽ không hiển thị lại.", err=True)


@stations_group.group("session")
def session_group() -> None:
    """Phiên phát của một đài / Broadcast sessions of one station."""


@session_group.command("add")
@click.argument("code")
@click.argument("window")
@click.option(
    "--date",
    "on_date",
    type=DATE,
    metavar="YYYY-MM-DD",
    help="Phiên một lần vào ngày này (WINDOW khi đó là HH:MM-HH:MM). "
    "/ One-off session on this date (WINDOW is then HH:MM-HH:MM).",
)
@click.option("--name", default="", help="Nhãn, vd. 'Phiên sáng'. / A label.")
@click.option("--actor", default=_actor_default, show_default="OS user", help="Người thêm (nhật ký). / Who adds it (audit log).")
@click.pass_obj
def session_add(
    settings: Settings, code: str, window: str, on_date: datetime | None, name: str, actor: str
) -> None:
    """Thêm một phiên phát cho đài CODE / Add a session to station CODE: WINDOW is
    "Mon-Sat 05:30-06:00", or "19:00-19:30" with --date. A session overlapping another of the
    station's sessions is refused. The station's playlists are queued for regeneration."""
    spec_text = f"{on_date:%Y-%m-%d} {window}" if on_date else window
    with _scope(settings) as session:
        permissions.require_actor(session, actor, "stations.manage")
        specs = st.parse_sessions(spec_text)
        if len(specs) != 1:
            raise BroadcastError("Mỗi lần thêm một phiên phát.")
        station = st.get_station(session, code)
        spec = st.SessionSpec(
            specs[0].weekdays, specs[0].start_time, specs[0].max_minutes, specs[0].on_date, name
        )
        sessions_svc.add_session(session, station, spec, actor=actor)
    click.echo(f"Đã thêm phiên {spec.format()} cho đài {code}.")


@session_group.command("list")
@click.argument("code")
@click.pass_obj
def session_list(settings: Settings, code: str) -> None:
    """Liệt kê phiên phát của đài CODE / List the sessions of station CODE."""
    with _scope(settings) as session:
        station = st.get_station(session, code)
        lines = [
            f"{s.id:>4}  {st.spec_of(s).format():<32} {s.name}{'' if s.active else ' (tắt)'}"
            for s in station.sessions
        ]
    click.echo("\n".join(lines) if lines else f"Đài {code} chưa có phiên phát.")


@stations_group.group("relay")
def relay_group() -> None:
    """Tiếp sóng / Relays: scheduled external streams (e.g. VOV1 news at 06:00)."""


@relay_group.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--start", "start_time", required=True, metavar="HH:MM", help="Giờ bắt đầu / Start time.")
@click.option("--minutes", required=True, help="Thời lượng (phút) / Duration in minutes (1-1440).")
@click.option("--days", default="Mon-Sun", show_default=True, help="Ngày / Days, e.g. Mon-Fri or T2-T6.")
@click.option("--station", "station_code", help="Chỉ đài này / Only this station (default: every station).")
@click.option("--actor", default=_actor_default, show_default="OS user", help="Người thêm (nhật ký). / Who adds it (audit log).")
@click.pass_obj
def relay_add(
    settings: Settings, name: str, url: str, start_time: str, minutes: str, days: str,
    station_code: str | None, actor: str,
) -> None:
    """Thêm chương trình tiếp sóng / Add a relay of the stream at URL (http, https, rtsp, rtmp).
    An address that does not answer now is saved with a warning."""
    with _scope(settings) as session:
        permissions.require_actor(session, actor, "stations.manage")
        spec = relays_svc.parse_relay(name=name, stream_url=url, start_time=start_time, duration_min=minutes,
                                      weekdays=st.parse_days(days), station_code=station_code)
        relay = relays_svc.create_relay(session, spec, actor=actor)
        relay_id = relay.id
    click.echo(f"Đã thêm chương trình tiếp sóng #{relay_id}: {spec.name} {spec.start_time:%H:%M}.")
    warning = relays_svc.probe(spec.stream_url, settings.relay_probe_timeout_s)
    if warning is not None:
        click.echo(f"Cảnh báo: {warning}", err=True)


@relay_group.command("list")
@click.pass_obj
def relay_list(settings: Settings) -> None:
    """Liệt kê tiếp sóng / List relays."""
    with _scope(settings) as session:
        lines = [
            f"{r.id:>4}  {r.start_time:%H:%M} {r.duration_min:>4} phút  {st.format_weekdays(r.weekdays):<16} "
            f"{r.name}  {r.stream_url}"
            for r in session.scalars(select(Relay).order_by(Relay.start_time))
        ]
    click.echo("\n".join(lines) if lines else "Chưa có chương trình tiếp sóng nào.")


@relay_group.command("delete")
@click.argument("relay_id", metavar="ID", type=int)
@click.option("--actor", default=_actor_default, show_default="OS user", help="Người xoá (nhật ký). / Who deletes it (audit log).")
@click.pass_obj
def relay_delete(settings: Settings, relay_id: int, actor: str) -> None:
    """Xoá tiếp sóng / Delete relay ID."""
    with _scope(settings) as session:
        permissions.require_actor(session, actor, "stations.manage")
        relays_svc.delete_relay(session, relays_svc.get_relay(session, relay_id), actor=actor)
    click.echo(f"Đã xoá chương trình tiếp sóng #{relay_id}.")


# --- loa bulletin ------------------------------------------------------------------------------


@click.group("bulletin")
def bulletin_group() -> None:
    """Bản tin: thêm, duyệt (gửi, duyệt, trả lại), lưu trữ, dựng âm thanh, liệt kê. / Bulletins: add,
    review (submit, approve, reject), archive, render, list."""


def _render_and_report(settings: Settings, bulletin_id: int, *, wait: bool = True) -> None:
    """Render, then publish (``broadcast.publish``): a failed render is recorded and the approval kept.
    With Redis the render goes on the queue for a ``loa worker``, as the panel's do (``broadcast.render_cli``)."""
    from broadcast.publish import render_and_publish

    if settings.redis_url:
        from broadcast.render_cli import queue_render

        queue_render(settings, bulletin_id, wait=wait)
        return

    try:
        done = render_and_publish(_factory(settings), bulletin_id, settings,
                                  on_progress=_progress_printer(f"Tạo âm thanh bản tin #{bulletin_id}"))
    except BroadcastError as exc:
        raise click.ClickException(str(exc)) from exc
    _report_requests(done.playlists)
    if done.failure is not None:
        raise click.ClickException(f"{done.failure} Thử lại: loa bulletin render {bulletin_id}")
    click.echo(f"Âm thanh: {done.path} ({done.duration_s or 0:.1f} giây)", err=True)
    if settings.clarity_check and done.sha256:
        _check_and_report(settings, done.sha256)


def _check_and_report(settings: Settings, sha256: str) -> None:
    """The clarity check, after the audio and the playlists are out (``broadcast.clarity``)."""
    from broadcast.clarity import run_check, summary
    from broadcast.models import ClarityCheck

    click.echo("Đang kiểm tra độ rõ… (âm thanh đã sẵn sàng; Ctrl+C để bỏ qua, bảng điều khiển "
               "hoặc `loa bulletin check` sẽ kiểm tra sau)", err=True)
    try:
        result = run_check(_factory(settings), sha256, settings)
    except KeyboardInterrupt:
        click.echo("Đã bỏ qua kiểm tra độ rõ.", err=True)
        return
    if result is None:  # checked before (the same audio): say what it found then
        with _scope(settings) as session:
            row = session.get(ClarityCheck, sha256)
            result = summary(row) if row is not None else None
    if result is not None:
        click.echo(clarity_line(result), err=True)


def clarity_line(c: dict[str, Any]) -> str:
    """One line on a render's clarity check, in Vietnamese."""
    if c["status"] == "pending":
        return "Độ rõ: đang chờ kiểm tra."
    if c["status"] != "done":
        return c["error"] or "Độ rõ: không kiểm tra được."
    if c["score"] is None:
        return f"Bản nhận dạng ({c['recognizer']}): {c['transcript'] or '(không nghe được từ nào)'}"
    missed = ", ".join(c["missed"]) or "không có"
    return f"Độ rõ: {c['score']:.2f} ({c['recognizer']}); từ bị nghe sót: {missed}"


@bulletin_group.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", required=True, help="Tiêu đề, hiện trong danh sách và ghi vào thẻ MP3. / Title, shown in lists and in the MP3 tags.")
@click.option(
    "--priority", type=click.Choice([p.value for p in Priority]), default="normal", show_default=True,
    help="Mức ưu tiên: thường, ưu tiên, khẩn cấp (phát ngay). / Priority (emergency airs at once).",
)
@click.option(
    "--from",
    "valid_from",
    type=DATE,
    metavar="YYYY-MM-DD",
    help="Ngày phát đầu tiên (mặc định: hôm nay). / First day on air. Default: today.",
)
@click.option(
    "--to",
    "valid_to",
    type=DATE,
    metavar="YYYY-MM-DD",
    help="Ngày phát cuối (mặc định: ngày --from). / Last day on air. Default: the --from day.",
)
@click.option("--plays", type=int, default=1, show_default=True, help="Số lần phát mỗi ngày. / Plays per day.")
@click.option(
    "--station", "stations", multiple=True, help="Mã đài nhận (lặp lại hoặc cách nhau bằng dấu phẩy). "
    "/ Target station code (repeat, or comma-separated)."
)
@click.option("--group", help="Gửi cho một nhóm đài. / Target a station group instead.")
@click.option(
    "--approve", "do_approve", is_flag=True, help="Gửi và duyệt ngay, rồi dựng âm thanh. / Submit and approve at once, then render."
)
@click.option("--category", default="", help="Chuyên mục, vd. 'Thông báo', 'Phòng chống thiên tai'. / Category.")
@click.option("--issuer", default="", help="Cơ quan ban hành, vd. 'UBND huyện Đức Trọng'. / Issuing body.")
@click.option("--voice", default="", help="Giọng đọc, dạng bộ-đọc:giọng, vd. piper:vi_VN-vais1000-medium, espeak:vi-vn-x-south (trống: giọng mặc định). / TTS voice as engine:voice; empty: the default one (see loa voices).")
@click.option("--rate", "speech_rate", type=float, default=1.0, show_default=True, help="Tốc độ đọc. / Speaking rate.")
@click.option("--actor", default=_actor_default, show_default="OS user", help="Người thêm (và duyệt). / Who adds (and approves) it.")
@click.option("--unit", default="", help="Mã đơn vị gửi (mặc định: đơn vị của người thêm); chỉ gửi được đến các đài "
              "của đơn vị đó và cấp dưới. / The issuing unit's code (default: the actor's); it reaches only that "
              "unit's stations and those below.")
@click.pass_obj
def bulletin_add(
    settings: Settings,
    file: Path,
    title: str,
    priority: str,
    valid_from: datetime | None,
    valid_to: datetime | None,
    plays: int,
    stations: tuple[str, ...],
    group: str | None,
    do_approve: bool,
    category: str,
    issuer: str,
    voice: str,
    speech_rate: float,
    actor: str,
    unit: str,
) -> None:
    """Thêm bản tin từ FILE (kịch bản .txt hoặc bản ghi âm); in ra mã số. / Add a bulletin from FILE: a .txt script (UTF-8) to be read by the TTS, or an audio recording
    (.wav, .mp3, .ogg, …). Without --station/--group it goes to every station. Prints its id."""
    start = valid_from.date() if valid_from else _today(settings)
    end = valid_to.date() if valid_to else start
    codes = [c for s in stations for c in s.split(",") if c.strip()]
    with _scope(settings, publish=not do_approve) as session:  # with --approve: after the render
        audio = bl.is_audio_file(file)
        b = bl.create_bulletin(
            session,
            title=title,
            body="" if audio else bl.read_script(file),
            recording=file if audio else None,
            category=category,
            issuer=issuer,
            priority=priority,
            valid_from=start,
            valid_to=end,
            plays_per_day=plays,
            station_codes=codes or None,
            group=group,
            voice=voice,
            speech_rate=speech_rate,
            actor=actor,
            media_dir=settings.media_dir,
            settings=settings,
            unit=unit,
        )
        if do_approve:
            bl.submit(session, b, actor, today=_today(settings))
            bl.approve(session, b, actor, today=_today(settings))
        bulletin_id, status = b.id, b.status
    click.echo(str(bulletin_id))
    click.echo(f"Bản tin #{bulletin_id}: {bl.STATUS_VI[status]}.", err=True)
    if do_approve:
        _render_and_report(settings, bulletin_id)


def _clarity_of(session: Session, b: Bulletin) -> dict[str, Any] | None:
    from broadcast.clarity import check_for, summary

    check = check_for(session, b)
    return summary(check) if check is not None else None


@bulletin_group.command("edit")
@click.argument("bulletin_id", metavar="ID", type=int)
@click.option("--title", help="Tiêu đề mới. / New title.")
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Kịch bản (.txt) hoặc bản ghi âm mới. / New script (.txt) or recording.")
@click.option("--priority", type=click.Choice([p.value for p in Priority]), help="Mức ưu tiên mới. / New priority.")
@click.option("--from", "valid_from", type=DATE, metavar="YYYY-MM-DD", help="Ngày phát đầu tiên mới. / New first day on air.")
@click.option("--to", "valid_to", type=DATE, metavar="YYYY-MM-DD", help="Ngày phát cuối mới. / New last day on air.")
@click.option("--plays", type=int, help="Số lần phát mỗi ngày. / Plays per day.")
@click.option("--station", "stations", multiple=True, help="Mã đài nhận (thay danh sách cũ). / Target station codes (replace the old ones).")
@click.option("--group", help="Gửi cho một nhóm đài. / Target a station group instead.")
@click.option("--category", help="Chuyên mục. / Category.")
@click.option("--issuer", help="Cơ quan ban hành. / Issuing body.")
@click.option("--actor", default=_actor_default, show_default="OS user", help="Người sửa (nhật ký). / Who edits it.")
@click.pass_obj
def bulletin_edit(settings: Settings, bulletin_id: int, file: Path | None, valid_from: datetime | None,
                  valid_to: datetime | None, stations: tuple[str, ...], actor: str, **given: Any) -> None:
    """Sửa bản nháp hoặc bản tin bị từ chối ID; chỉ các trường được nêu. / Edit draft or rejected
    bulletin ID: only the fields given change (same rules as the panel and the API)."""
    fields: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if "plays" in fields:
        fields["plays_per_day"] = fields.pop("plays")
    if valid_from is not None:
        fields["valid_from"] = valid_from.date()
    if valid_to is not None:
        fields["valid_to"] = valid_to.date()
    if stations:
        fields["station_codes"] = [c for s in stations for c in s.split(",") if c.strip()]
    with _scope(settings) as session:
        b = bl.get_bulletin(session, bulletin_id)
        if file is not None:
            fields.update({"recording": file} if bl.is_audio_file(file) else {"body": bl.read_script(file)})
        bl.edit_bulletin(session, b, actor=actor, settings=settings, **fields)
    click.echo(f"Đã sửa bản tin #{bulletin_id}.")


def _targets(b: Bulletin) -> str:
    if b.target_kind == TargetKind.GROUP:
        return f"nhóm:{b.target_group.name if b.target_group else '?'}"
    if b.target_kind == TargetKind.STATIONS:
        return ",".join(sorted(s.code for s in b.target_stations))
    return "tất cả"


@bulletin_group.command("list")
@click.option("--status", type=click.Choice([s.value for s in BulletinStatus]), help="Chỉ trạng thái này. / Only this status.")
@click.option("--json", "as_json", is_flag=True, help="JSON thay cho bảng. / JSON instead of a table.")
@click.pass_obj
def bulletin_list(settings: Settings, status: str | None, as_json: bool) -> None:
    """Liệt kê bản tin. / List bulletins: id, status, priority, validity, plays per day, targets, render status, title."""
    with _scope(settings) as session:
        q = select(Bulletin).order_by(Bulletin.id)
        if status:
            q = q.where(Bulletin.status == BulletinStatus(status))
        found = list(session.scalars(q))
        from broadcast.clarity import checks_for

        checks = checks_for(session, (b.media_sha256 for b in found))
        data: list[dict[str, Any]] = [
            {
                "id": b.id,
                "status": b.status.value,
                "priority": b.priority.value,
                "valid_from": b.valid_from.isoformat(),
                "valid_to": b.valid_to.isoformat(),
                "plays_per_day": b.plays_per_day,
                "targets": _targets(b),
                "render_status": b.render_status,
                "render_error": b.render_error,
                "media_sha256": b.media_sha256,
                "clarity": checks[b.media_sha256].score if b.media_sha256 in checks else None,
                "title": b.title,
            }
            for b in found
        ]
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if not data:
        click.echo("Chưa có bản tin nào.")
        return
    for d in data:
        valid = f"{d['valid_from']}…{d['valid_to']}"
        click.echo(
            f"{d['id']:>4}  {bl.STATUS_VI[BulletinStatus(d['status'])]:<10} "
            f"{bl.PRIORITY_VI[Priority(d['priority'])]:<12} {valid}  x{d['plays_per_day']:<2} "
            f"{d['targets']:<16} {d['render_status']:<7} {d['title']}"
        )


def _transition(action: str) -> Callable[..., None]:
    def run(settings: Settings, bulletin_id: int, actor: str, comment: str) -> None:
        with _scope(settings) as session:
            b = bl.get_bulletin(session, bulletin_id)
            kw = {"today": _today(settings)} if action in ("submit", "approve") else {}
            getattr(bl, action)(session, b, actor, comment, **kw)
            status = b.status
        click.echo(f"Bản tin #{bulletin_id}: {bl.STATUS_VI[status]}.")

    return run


_id_arg = click.argument("bulletin_id", metavar="ID", type=int)
_actor_opt = click.option("--actor", default=_actor_default, show_default="OS user", help="Người thực hiện (nhật ký). / Who does it.")


@bulletin_group.command("submit")
@_id_arg
@_actor_opt
@click.option("--comment", default="", help="Ghi chú trong lịch sử duyệt. / Comment for the review history.")
@click.pass_obj
def bulletin_submit(settings: Settings, bulletin_id: int, actor: str, comment: str) -> None:
    """Gửi bản tin nháp (hoặc bị trả lại) ID đi duyệt. / Send draft (or rejected) bulletin ID for
    review."""
    _transition("submit")(settings, bulletin_id, actor, comment)


@bulletin_group.command("approve")
@_id_arg
@_actor_opt
@click.option("--comment", default="", help="Ghi chú trong lịch sử duyệt. / Comment for the review history.")
@click.option("--no-render", is_flag=True, help="Chưa dựng âm thanh bây giờ. / Do not render the audio now.")
@click.option("--listened", is_flag=True, help="Tôi đã nghe bản đọc này (cần khi độ rõ dưới ngưỡng clarity_threshold). "
              "/ I listened to this render (needed when its clarity is below clarity_threshold).")
@click.pass_obj
def bulletin_approve(
    settings: Settings, bulletin_id: int, actor: str, comment: str, no_render: bool, listened: bool
) -> None:
    """Duyệt bản tin ID rồi dựng âm thanh. / Approve bulletin ID (a draft is submitted first), then render its audio if not done yet.
    Its stations' playlists are queued for regeneration. A render whose clarity check scored below
    clarity_threshold is approved only with --listened."""
    with _scope(settings, publish=False) as session:
        b = bl.get_bulletin(session, bulletin_id)
        if b.status == BulletinStatus.DRAFT:
            bl.submit(session, b, actor, today=_today(settings))
        bl.approve(session, b, actor, comment, today=_today(settings), listened=listened, settings=settings)
        rendered = b.render_status == "done"
    click.echo(f"Bản tin #{bulletin_id}: {bl.STATUS_VI[BulletinStatus.APPROVED]}.")
    if not no_render and not rendered:
        _render_and_report(settings, bulletin_id)  # renders, then processes the requests
    else:
        from broadcast.outbox import process_requests

        _report_requests(process_requests(_factory(settings), settings))


@bulletin_group.command("reject")
@_id_arg
@_actor_opt
@click.option("--comment", required=True, help="Lý do (người soạn sẽ thấy). / Why (shown to the editor).")
@click.pass_obj
def bulletin_reject(settings: Settings, bulletin_id: int, actor: str, comment: str) -> None:
    """Trả bản tin ID về người soạn kèm lý do. / Send submitted bulletin ID back to its editor with
    a reason."""
    _transition("reject")(settings, bulletin_id, actor, comment)


@bulletin_group.command("archive")
@_id_arg
@_actor_opt
@click.option("--comment", default="", help="Ghi chú trong lịch sử duyệt. / Comment for the review history.")
@click.pass_obj
def bulletin_archive(settings: Settings, bulletin_id: int, actor: str, comment: str) -> None:
    """Rút bản tin ID (lưu trữ). / Withdraw bulletin ID. If it was on air, its stations get new playlists without it."""
    _transition("archive")(settings, bulletin_id, actor, comment)


@bulletin_group.command("show")
@_id_arg
@click.option("--json", "as_json", is_flag=True, help="JSON thay cho văn bản. / JSON instead of text.")
@click.pass_obj
def bulletin_show(settings: Settings, bulletin_id: int, as_json: bool) -> None:
    """Xem bản tin ID. / Show bulletin ID: fields, target stations, audio and the history of its review."""
    with _scope(settings) as session:
        b = bl.get_bulletin(session, bulletin_id)
        doc: dict[str, Any] = {
            "id": b.id,
            "title": b.title,
            "status": b.status.value,
            "priority": b.priority.value,
            "category": b.category,
            "issuer": b.issuer,
            "source": b.source_kind,
            "valid_from": b.valid_from.isoformat(),
            "valid_to": b.valid_to.isoformat(),
            "plays_per_day": b.plays_per_day,
            "targets": _targets(b),
            "stations": bl.target_station_codes(session, b),
            "render_status": b.render_status,
            "render_error": b.render_error,
            "media": {"sha256": b.media.sha256, "path": b.media.path, "duration_s": b.media.duration_s}
            if b.media
            else None,
            "clarity": _clarity_of(session, b),
            "created_by": b.created_by,
            "history": [
                {
                    "at": t.at.isoformat(),
                    "actor": t.actor,
                    "from": t.from_status,
                    "to": t.to_status,
                    "comment": t.comment,
                }
                for t in b.transitions
            ],
            "body": b.body,
        }
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    click.echo(f"#{doc['id']} {doc['title']}")
    click.echo(
        f"  {bl.STATUS_VI[BulletinStatus(doc['status'])]}, {bl.PRIORITY_VI[Priority(doc['priority'])]}, "
        f"{doc['valid_from']}…{doc['valid_to']}, {doc['plays_per_day']} lần/ngày"
    )
    click.echo(f"  Đài ({len(doc['stations'])}): {', '.join(doc['stations'])}")
    media = doc["media"]
    click.echo(
        f"  Âm thanh: {media['path']} ({media['duration_s']:.1f} giây)"
        if media
        else f"  Âm thanh: {doc['render_status']} {doc['render_error']}".rstrip()
    )
    if doc["clarity"]:
        click.echo(f"  {clarity_line(doc['clarity'])}")
    for h in doc["history"]:
        click.echo(f"  {h['at']}  {h['actor']}: {h['from']} → {h['to']}  {h['comment']}".rstrip())


@bulletin_group.command("render")
@_id_arg
@click.option("--no-wait", is_flag=True, help="Có Redis: chỉ xếp vào hàng đợi, in mã việc, không chờ. "
              "/ With Redis: only enqueue the render and print the job id.")
@click.pass_obj
def bulletin_render(settings: Settings, bulletin_id: int, no_wait: bool) -> None:
    """Dựng (lại) âm thanh bản tin ID ngay. / Render (or re-render) the audio of bulletin ID now; identical input comes from the cache.
    With redis_url set, the render goes on the queue for a `loa worker` (emergencies first) and the
    command waits for it, showing its progress, unless --no-wait."""
    _render_and_report(settings, bulletin_id, wait=not no_wait)


@bulletin_group.command("check")
@click.argument("bulletin_id", metavar="[ID]", type=int, required=False)
@click.pass_obj
def bulletin_check(settings: Settings, bulletin_id: int | None) -> None:
    """Kiểm tra độ rõ âm thanh của bản tin ID (làm lại), hoặc mọi âm thanh đang chờ kiểm tra. / Check
    the clarity of bulletin ID's audio again, or (no ID) every render still waiting for its check."""
    from broadcast.clarity import check_again, run_pending

    if bulletin_id is not None:
        with _scope(settings) as session:
            b = bl.get_bulletin(session, bulletin_id)
            check_again(session, b)
    done = run_pending(_factory(settings), settings, limit=1000,
                       on_done=lambda r: click.echo(f"{r['sha256'][:12]}  {clarity_line(r)}"))
    click.echo(f"Đã kiểm tra {done} tệp âm thanh.", err=True)


@bulletin_group.group("version")
def version_group() -> None:
    """Bản tin bằng tiếng dân tộc (Nghị định 49/2024/NĐ-CP): thêm, liệt kê, xoá.
    / A bulletin's versions in minority languages (Decree 49): add, list, remove."""


@version_group.command("add")
@_id_arg
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--language", required=True, help="Mã ISO 639-3, vd. kpm (K'Ho), cje (Chu Ru). / ISO 639-3 code.")
@click.option("--voice", default="", help="Giọng đọc nói được tiếng này (khi FILE là văn bản). / A voice that speaks it (text FILE).")
@click.option("--actor", default=_actor_default, show_default="OS user", help="Người thêm (nhật ký). / Who adds it (audit log).")
@click.pass_obj
def version_add(settings: Settings, bulletin_id: int, file: Path, language: str, voice: str, actor: str) -> None:
    """Thêm (hoặc thay) bản tiếng dân tộc của bản tin ID từ FILE: bản ghi âm, hoặc văn bản đọc bằng
    --voice. Bản này phát ngay sau bản tiếng Việt ở những đài phát tiếng đó.

    English: add (or replace) bulletin ID's version in a minority language from FILE (a recording,
    or a text read by --voice); it airs right after the Vietnamese one where the station airs it."""
    from broadcast import versions
    from broadcast.languages import label

    with _scope(settings) as session:
        permissions.require_actor(session, actor, "bulletins.write")
        audio = bl.is_audio_file(file)
        v = versions.save_version(session, settings, bulletin_id, language,
                                  text="" if audio else bl.read_script(file), recording=file if audio else None,
                                  voice=voice, actor=actor)  # fmt: skip
        code = versions.render_version(session, settings, v.id).language
    click.echo(f"Đã thêm bản {label(code)} ({code}) cho bản tin #{bulletin_id}.")


@version_group.command("list")
@_id_arg
@click.pass_obj
def version_list(settings: Settings, bulletin_id: int) -> None:
    """Các bản tiếng dân tộc của bản tin ID. / The versions of bulletin ID in other languages."""
    from broadcast import versions

    with _scope(settings) as session:
        found = versions.list_versions(session, bulletin_id)
    for v in found:
        click.echo(f"{v['language']}  {v['label']:<18} {v['source']:<5} {v['duration_s']:7.1f} s  {v['voice']}".rstrip())
    if not found:
        click.echo(f"Bản tin #{bulletin_id} chỉ có bản tiếng Việt.")


@version_group.command("remove")
@_id_arg
@click.option("--language", required=True, help="Mã ISO 639-3 của bản cần xoá. / ISO 639-3 code of the version.")
@click.option("--actor", default=_actor_default, show_default="OS user", help="Người xoá (nhật ký). / Who removes it (audit log).")
@click.pass_obj
def version_remove(settings: Settings, bulletin_id: int, language: str, actor: str) -> None:
    """Xoá bản tiếng dân tộc của bản tin ID. / Remove bulletin ID's version in a language."""
    from broadcast import versions

    with _scope(settings) as session:
        permissions.require_actor(session, actor, "bulletins.write")
        versions.remove_version(session, bulletin_id, language, actor=actor)
    click.echo(f"Đã xoá bản {language} của bản tin #{bulletin_id}.")


@stations_group.command("languages")
@click.argument("code")
@click.argument("languages", required=False, default=None)
@click.option("--actor", default=_actor_default, show_default="OS user", help="Người sửa (nhật ký). / Who changes it (audit log).")
@click.pass_obj
def stations_languages(settings: Settings, code: str, languages: str | None, actor: str) -> None:
    """Xem hoặc đặt các tiếng dân tộc đài CODE phát (ngoài tiếng Việt), vd. "kpm cje"; "" để bỏ.
    / Show or set the languages station CODE airs besides Vietnamese, e.g. "kpm cje"; "" for none."""
    from broadcast import versions
    from broadcast.languages import label, station_languages

    with _scope(settings) as session:
        station = st.get_station(session, code)
        if languages is not None:
            permissions.require_actor(session, actor, "stations.manage")
            versions.set_station_languages(session, station, languages, actor=actor)
        codes = station_languages(station.languages)
    names = ", ".join(f"{label(c)} ({c})" for c in codes)
    click.echo(f"Đài {code}: Tiếng Việt" + (f", {names}" if names else "") + ".")


# --- loa report -------------------------------------------------------------------------------------


@click.group("report")
def report_group() -> None:
    """Báo cáo cho huyện. / Reports for the district."""


@report_group.command("asrun")
@click.option(
    "--from", "date_from", type=DATE, metavar="YYYY-MM-DD", required=True, help="Ngày đầu (YYYY-MM-DD). / First day."
)
@click.option(
    "--to", "date_to", type=DATE, metavar="YYYY-MM-DD", required=True, help="Ngày cuối (YYYY-MM-DD). / Last day."
)
@click.option("--station", "station_code", help="Chỉ đài này. / Only this station.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "table", "json"]),
    default="table",
    show_default=True,
    help="Định dạng: bảng, CSV (Excel) hoặc JSON. / Output format.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Ghi ra tệp này thay vì màn hình. / Write to this file instead of standard output.",
)
@click.pass_obj
def report_asrun(
    settings: Settings,
    date_from: datetime,
    date_to: datetime,
    station_code: str | None,
    fmt: str,
    output: Path | None,
) -> None:
    """Những gì đã phát, theo đài và theo bản tin: kế hoạch, chưa đến giờ, đã phát, bị cắt, không
    phát, bỏ qua, lỗi, số phút (quy tắc đếm: broadcast/reports.py). CSV là UTF-8 có BOM cho Excel.

    English: what aired per station and bulletin, counted by the rule in broadcast/reports.py;
    CSV is UTF-8 with BOM for Excel."""
    from broadcast import reports as reports_mod

    with _scope(settings) as session:
        rows = reports_mod.asrun_report(session, date_from.date(), date_to.date(), station_code)
    if fmt == "csv":
        data = reports_mod.csv_bytes(rows)
    elif fmt == "json":
        data = (reports_mod.report_json(rows, date_from.date(), date_to.date()) + "\n").encode("utf-8")
    else:
        text = reports_mod.report_table(rows) if rows else "Không có dữ liệu phát trong khoảng ngày này."
        data = (text + "\n").encode("utf-8")
    if output:
        from pipeline.store import atomic_write_bytes

        atomic_write_bytes(output, data)
        click.echo(f"Đã ghi {output}", err=True)
    elif fmt == "table":
        click.echo(data.decode("utf-8"), nl=False)
    else:
        out = click.get_binary_stream("stdout")
        out.write(data)
        out.flush()


def _hms(t: datetime | None) -> str:
    return f"{t:%H:%M:%S}" if t is not None else "--:--:--"


def _history_line(h: Any) -> str:
    why = h.cause_label or h.detail
    lang = f" [{h.language_label}]" if h.language else ""
    return (
        f"{_hms(h.planned_start)}  {_hms(h.actual_start)}–{_hms(h.actual_end)}  {h.status_label:<8}  "
        f"{h.title}{lang}" + (f"  ({why})" if why and h.status != "played" else "")
    )


@report_group.command("history")
@click.option("--station", "station_code", required=True, help="Mã đài. / Station code.")
@click.option("--day", type=DATE, metavar="YYYY-MM-DD", required=True, help="Ngày (YYYY-MM-DD). / The day.")
@click.option("--at", "at", metavar="HH:MM", help="Chỉ những gì phát lúc này (giờ của đài). / Only what aired at this minute (station clock).")
@click.pass_obj
def report_history(settings: Settings, station_code: str, day: datetime, at: str | None) -> None:
    """Lịch sử phát của một đài trong một ngày: giờ kế hoạch, giờ bắt đầu–kết thúc thực tế, kết quả
    và lý do bị cắt. Với --at: những gì phát đúng phút đó, và kế hoạch có gì lúc đó.

    English: a station's playback history for a day (planned time, actual start–end, result and
    what cut it); with --at, what aired at that minute and what the plan had then."""
    from broadcast.history import playback_history

    when = None
    if at:
        try:
            when = datetime.strptime(at, "%H:%M").time()
        except ValueError:
            raise click.BadParameter("cần dạng HH:MM, ví dụ 04:12 / expected HH:MM", param_hint="--at") from None
    with _scope(settings) as session:
        hist = playback_history(session, station_code, day.date(), when)
    click.echo(f"{hist.station_name} ({hist.station_code}), ngày {hist.day:%d/%m/%Y}, giờ {hist.timezone}")
    if hist.at is not None:
        click.echo(f"Lúc {hist.at:%H:%M}:")
        for h in hist.on_air:
            click.echo("  " + _history_line(h))
        if not hist.on_air:
            click.echo("  Không có gì đang phát.")
        for it in hist.planned_then:
            start = datetime.fromisoformat(it["start"]).astimezone(ZoneInfo(hist.timezone))
            click.echo(f"  Kế hoạch: {start:%H:%M:%S} {it.get('title', '')}")
        return
    click.echo("Kế hoạch  Thực tế              Kết quả   Nội dung")
    for h in hist.rows:
        click.echo(_history_line(h))
    if not hist.rows:
        click.echo("Không có nhật ký phát trong ngày này.")


@report_group.command("period")
@click.option("--from", "date_from", type=DATE, metavar="YYYY-MM-DD", required=True, help="Ngày đầu kỳ báo cáo. / First day.")
@click.option("--to", "date_to", type=DATE, metavar="YYYY-MM-DD", required=True, help="Ngày cuối kỳ báo cáo. / Last day.")
@click.option("--unit", "unit_code", help="Đơn vị (mã); mặc định: toàn bộ. / The unit (code); default: every station.")
@click.option("--format", "fmt", type=click.Choice(["docx", "xlsx", "csv"]), required=True,
              help="DOCX (văn bản hành chính), XLSX (Excel, có biểu đồ) hoặc CSV. / Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Tệp sẽ ghi. / The file to write.")
@click.pass_obj
def report_period(
    settings: Settings, date_from: datetime, date_to: datetime, unit_code: str | None, fmt: str, output: Path
) -> None:
    """Báo cáo định kỳ cho lãnh đạo: theo từng bản tin, nghị quyết và từng xã, phường — lượt kế
    hoạch, lượt đã phát, số phút, số xã đã phát trên số xã được giao, lượt không phát và lý do.
    DOCX trình bày theo Nghị định 30/2020/NĐ-CP (thông tin người ký: các mục report_* của cấu hình).

    English: the periodic report for leadership, per bulletin and per commune (plays planned and
    aired, minutes, communes reached out of those targeted, misses and their reasons); the DOCX
    follows Decree 30/2020 (letterhead from the report_* settings)."""
    from broadcast import period_export
    from broadcast.period_report import period_report
    from pipeline.store import atomic_write_bytes

    with _scope(settings) as session:
        report = period_report(session, date_from.date(), date_to.date(), unit_code)
    head = period_export.letterhead_from(settings, report, _today(settings))
    atomic_write_bytes(output, period_export.export(report, fmt, head))
    t = report.totals
    click.echo(f"Đã ghi {output}: {len(report.bulletins)} bản tin, {len(report.communes)} xã, phường; "
               f"đã phát {t.aired}/{t.planned} lượt.")


commands: list[click.Command] = [db_group, stations_group, bulletin_group, report_group]
