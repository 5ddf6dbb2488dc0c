"""``loa units`` (the administrative tree) and ``loa inbox`` (bulletins from higher units, Circular
39): thin adapters over broadcast/units.py and broadcast/inbox.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from broadcast import bulletins as bl
from broadcast import inbox as inbox_svc
from broadcast import permissions, units
from broadcast import users as users_svc
from broadcast.cli import _actor_default, _scope, _today
from broadcast.errors import NotFound
from broadcast.models import Unit, User
from loa.config import Settings

_ACTOR: dict[str, Any] = {"default": _actor_default, "show_default": "OS user",
          "help": "Người thực hiện (ghi nhật ký; tài khoản của bảng điều khiển thì theo quyền và đơn vị của họ). "
                  "/ Who acts (audit log; a panel account acts with its role and unit)."}


def _read_utf8(file: Path) -> str:
    try:
        return file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(
            f"Tệp '{file.name}' không phải UTF-8: trong Excel chọn Lưu thành > 'CSV UTF-8 (Comma delimited)'."
        ) from None


# --- loa units -------------------------------------------------------------------------------


@click.group("units")
def units_group() -> None:
    """Đơn vị hành chính: tỉnh → (huyện) → xã/phường/đặc khu → cụm loa.
    / Administrative units: province → (district) → commune → loudspeaker clusters."""


@units_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--actor", **_ACTOR)
@click.pass_obj
def units_import(settings: Settings, file: Path, actor: str) -> None:
    """Thêm hoặc cập nhật đơn vị từ CSV (code,name,kind,parent) / Create or update units from a
    CSV with columns code,name,kind,parent; kind is tinh, huyen, xa, phuong or dac-khu. If any
    line is bad, every bad line is listed and nothing is imported."""
    text = _read_utf8(file)
    with _scope(settings) as session:
        permissions.require_actor(session, actor, "units.manage")
        rows = units.parse_units_csv(text)
        user = permissions.actor_user(session, actor)
        if user is not None:
            _require_import_scope(session, user, rows)
        res = units.import_units(session, rows, actor=actor)
    click.echo(f"Đã nhập {len(rows)} đơn vị ({len(res.created)} mới, {len(res.updated)} cập nhật, "
               f"{len(res.unchanged)} không đổi).")


def _require_import_scope(session: Session, user: User, rows: list[units.UnitRow]) -> None:
    """A unit's administrator adds and changes units only below its own."""
    scope = permissions.scope_of(session, user)
    in_file = {r.code for r in rows}
    for r in rows:
        old = units.find(session, r.code)
        parent = units.find(session, r.parent) if r.parent and r.parent not in in_file else None
        if (old is not None and not scope.covers(old.id)) or (parent is not None and not scope.covers(parent.id)) \
                or (old is None and not r.parent and not scope.unassigned):
            raise click.ClickException(f"dòng {r.line}: đơn vị '{r.code}' nằm ngoài phạm vi của {user.username}.")


@units_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON thay cho bảng. / JSON instead of a table.")
@click.pass_obj
def units_list(settings: Settings, as_json: bool) -> None:
    """Liệt kê cây đơn vị / List the unit tree, with merged units and station counts."""
    with _scope(settings) as session:
        rows = units.all_units(session)
        counts = {u.id: len(units.stations_under(session, u)) for u in rows}
        by_id = {u.id: u for u in rows}
        data: list[dict[str, Any]] = [
            {"code": u.code, "name": u.name, "kind": u.kind.value,
             "parent": by_id[u.parent_id].code if u.parent_id in by_id else "",
             "merged_into": by_id[u.merged_into_id].code if u.merged_into_id in by_id else "",
             "auto_accept": u.auto_accept, "stations": counts[u.id]}
            for u in rows
        ]
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if not data:
        click.echo("Chưa có đơn vị nào. Nhập bằng: loa units import FILE.csv")
        return
    children: dict[str, list[dict[str, Any]]] = {}
    for d in data:
        children.setdefault(str(d["parent"]), []).append(d)

    def show(parent: str, depth: int) -> None:
        for d in children.get(parent, []):
            extra = f" → đã nhập vào {d['merged_into']}" if d["merged_into"] else ""
            auto = ", tự động nhận" if d["auto_accept"] else ""
            click.echo(f"{'  ' * depth}{d['code']}  {d['name']} ({units.kind_vi(d['kind'])}, "
                       f"{d['stations']} đài{auto}){extra}")
            show(d["code"], depth + 1)

    show("", 0)


@units_group.command("rename")
@click.argument("code")
@click.argument("name")
@click.option("--code", "new_code", help="Mã mới (vd. đổi 'goc' sau khi nâng cấp thành mã tỉnh). "
              "/ A new code too (e.g. the upgrade's 'goc' becoming the province's official code).")
@click.option("--actor", **_ACTOR)
@click.pass_obj
def units_rename(settings: Settings, code: str, name: str, new_code: str | None, actor: str) -> None:
    """Đổi tên đơn vị CODE thành NAME / Rename unit CODE to NAME (reports of the past keep the old name)."""
    with _scope(settings) as session:
        unit = units.get(session, code)
        permissions.require_actor(session, actor, "units.manage", unit.id)
        units.rename(session, unit, name, actor=actor, code=new_code)
        click.echo(f"Đã đổi tên {unit.code} thành '{unit.name}'.")


@units_group.command("merge")
@click.argument("code")
@click.argument("into")
@click.option("--actor", **_ACTOR)
@click.pass_obj
def units_merge(settings: Settings, code: str, into: str, actor: str) -> None:
    """Sáp nhập đơn vị CODE vào INTO / Merge unit CODE into unit INTO: its stations and history
    stay, INTO's staff now see and decide for them."""
    with _scope(settings) as session:
        unit, target = units.get(session, code), units.get(session, into)
        permissions.require_actor(session, actor, "units.manage", unit.id)
        permissions.require_actor(session, actor, "units.manage", target.id)
        units.merge(session, unit, target, actor=actor)
        click.echo(f"Đã sáp nhập {unit.name} vào {target.name}.")


@units_group.command("staff")
@click.argument("username")
@click.argument("unit")
@click.option("--actor", **_ACTOR)
@click.pass_obj
def units_staff(settings: Settings, username: str, unit: str, actor: str) -> None:
    """Chuyển tài khoản USERNAME về đơn vị UNIT / Move panel account USERNAME to unit UNIT (its
    role then applies there and below)."""
    with _scope(settings) as session:
        permissions.require_actor(session, actor, "users")
        user = permissions.actor_user(session, username)
        if user is None:
            raise NotFound("Không có tài khoản '%(name)s'.", name=username)
        users_svc.set_unit(session, user, unit, by=permissions.actor_user(session, actor), actor=actor)
        click.echo(f"Tài khoản {user.username} nay thuộc đơn vị {units.get_by_id(session, user.unit_id or 0).name}.")


# --- loa inbox -------------------------------------------------------------------------------

_UNIT: dict[str, Any] = {"help": "Mã đơn vị (xã) nhận; mặc định: đơn vị của người thực hiện. "
                 "/ The receiving unit's code; default: the actor's unit."}


def _unit(session: Session, code: str | None, actor: str) -> Unit:
    if code:
        return units.get(session, code)
    user = permissions.actor_user(session, actor)
    if user is None or user.unit_id is None:
        raise click.ClickException("Cần --unit MÃ_ĐƠN_VỊ.")
    return units.get_by_id(session, user.unit_id)


@click.group("inbox")
def inbox_group() -> None:
    """Hộp thư của xã: bản tin cấp trên gửi xuống (Thông tư 39/2020/TT-BTTTT).
    / A commune's inbox of bulletins from higher units (Circular 39)."""


@inbox_group.command("list")
@click.option("--unit", **_UNIT)
@click.option("--state", type=click.Choice(sorted(inbox_svc.STATE_VI)), multiple=True,
              help="Chỉ trạng thái này (lặp lại được). / Only this state (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="JSON thay cho bảng. / JSON instead of a table.")
@click.option("--actor", **_ACTOR)
@click.pass_obj
def inbox_list(settings: Settings, unit: str | None, state: tuple[str, ...], as_json: bool, actor: str) -> None:
    """Bản tin cấp trên gửi đến đơn vị / The bulletins from higher units that come to the unit,
    waiting ones first."""
    with _scope(settings) as session:
        u = _unit(session, unit, actor)
        permissions.require_actor(session, actor, "inbox.view", u.id)
        entries = inbox_svc.inbox(session, u, today=_today(settings), states=state or None)
    _echo_entries(entries, as_json, f"Hộp thư của {u.name} trống.", _inbox_line)


def _inbox_line(e: inbox_svc.Entry) -> str:
    """A commune's view: the bulletin, who sent it, what the commune decided."""
    why = f" — {e.reason}" if e.reason else ""
    return f"#{e.bulletin_id}  [{e.priority}] {e.title}  (từ {e.sender_name})  {e.state_vi}{why}"


def _status_line(e: inbox_svc.Entry) -> str:
    """The sender's view: the commune, its answer, who gave it and why."""
    who = f" — {e.actor}" if e.actor else ""
    why = f": {e.reason}" if e.reason else ""
    return f"{e.unit_code}  {e.unit_name}  {e.state_vi}{who}{why}"


def _echo_entries(entries: list[inbox_svc.Entry], as_json: bool, empty: str,
                  line: Callable[[inbox_svc.Entry], str]) -> None:
    """Inbox entries as JSON, else one ``line`` each (``empty`` when there are none)."""
    if as_json:
        click.echo(json.dumps([_entry_json(e) for e in entries], ensure_ascii=False, indent=2))
    elif not entries:
        click.echo(empty)
    else:
        for e in entries:
            click.echo(line(e))


def _entry_json(e: inbox_svc.Entry) -> dict[str, Any]:
    return {"bulletin": e.bulletin_id, "title": e.title, "priority": e.priority, "sender": e.sender_code,
            "unit": e.unit_code, "unit_name": e.unit_name, "state": e.state, "position": e.position,
            "actor": e.actor, "at": e.at.isoformat() if e.at else None, "reason": e.reason,
            "stations": list(e.stations)}


@inbox_group.command("accept")
@click.argument("bulletin_id", type=int)
@click.option("--unit", **_UNIT)
@click.option("--reason", default="", help="Ghi chú (không bắt buộc). / A note (optional).")
@click.option("--actor", **_ACTOR)
@click.pass_obj
def inbox_accept(settings: Settings, bulletin_id: int, unit: str | None, reason: str, actor: str) -> None:
    """Nhận bản tin vào lịch phát của xã / Accept a higher unit's normal bulletin into the schedule."""
    with _scope(settings) as session:
        u = _unit(session, unit, actor)
        inbox_svc.accept(session, bl.get_bulletin(session, bulletin_id), u, actor=actor, reason=reason)
    click.echo(f"{u.name} đã nhận bản tin #{bulletin_id}.")


@inbox_group.command("decline")
@click.argument("bulletin_id", type=int)
@click.option("--reason", required=True, help="Lý do từ chối (bắt buộc). / Why (required).")
@click.option("--unit", **_UNIT)
@click.option("--actor", **_ACTOR)
@click.pass_obj
def inbox_decline(settings: Settings, bulletin_id: int, reason: str, unit: str | None, actor: str) -> None:
    """Từ chối bản tin, ghi lý do / Decline a higher unit's normal bulletin, saying why."""
    with _scope(settings) as session:
        u = _unit(session, unit, actor)
        inbox_svc.decline(session, bl.get_bulletin(session, bulletin_id), u, actor=actor, reason=reason)
    click.echo(f"{u.name} đã từ chối bản tin #{bulletin_id}.")


@inbox_group.command("order")
@click.argument("bulletin_id", type=int)
@click.argument("position", type=click.Choice(["before", "after"]))
@click.option("--unit", **_UNIT)
@click.option("--actor", **_ACTOR)
@click.pass_obj
def inbox_order(settings: Settings, bulletin_id: int, position: str, unit: str | None, actor: str) -> None:
    """Bản tin ưu tiên của cấp trên phát trước (before) hay sau (after) bản tin ưu tiên của xã
    / Play a higher unit's priority bulletin before or after the commune's own priority items."""
    with _scope(settings) as session:
        u = _unit(session, unit, actor)
        inbox_svc.order(session, bl.get_bulletin(session, bulletin_id), u, position, actor=actor)
    click.echo(f"{u.name}: bản tin #{bulletin_id} phát {'trước' if position == 'before' else 'sau'} "
               "bản tin ưu tiên của xã.")


@inbox_group.command("auto")
@click.argument("switch", type=click.Choice(["on", "off"]))
@click.option("--unit", **_UNIT)
@click.option("--actor", **_ACTOR)
@click.pass_obj
def inbox_auto(settings: Settings, switch: str, unit: str | None, actor: str) -> None:
    """Bật/tắt tự động nhận bản tin thông thường của cấp trên / Turn the commune's default of
    accepting normal bulletins from above on or off."""
    with _scope(settings) as session:
        u = _unit(session, unit, actor)
        inbox_svc.set_auto_accept(session, u, switch == "on", actor=actor)
    click.echo(f"{u.name}: tự động nhận {'bật' if switch == 'on' else 'tắt'}.")


@inbox_group.command("status")
@click.argument("bulletin_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="JSON thay cho bảng. / JSON instead of a table.")
@click.option("--actor", **_ACTOR)
@click.pass_obj
def inbox_status(settings: Settings, bulletin_id: int, as_json: bool, actor: str) -> None:
    """Từng xã đã nhận, từ chối hay còn chờ bản tin / Per commune: accepted, declined or waiting
    (the sending unit's view)."""
    with _scope(settings) as session:
        b = bl.get_bulletin(session, bulletin_id)
        permissions.require_actor(session, actor, "inbox.sent", b.unit_id)
        entries = inbox_svc.status(session, b)
    _echo_entries(entries, as_json, f"Bản tin #{bulletin_id} không gửi đến xã nào của cấp dưới.", _status_line)


commands: list[click.Command] = [units_group, inbox_group]
