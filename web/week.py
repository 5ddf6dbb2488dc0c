"""/schedule/week: a week for one station, or one day for many stations, as a calendar grid.

Sessions are drawn where they fall and edited on the grid (click an empty spot or the "+" button
of a day to add one, click a session to move, resize or delete it: ``broadcast.sessions``). Each
session on a date lists what plays in it; its bulletins are reordered by dragging or with the
↑/↓ buttons, and the order is saved as the day's override (``broadcast.overrides.set_order``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from broadcast import overrides, sessions
from broadcast.errors import BroadcastError
from broadcast.generate import latest_playlist
from broadcast.models import BroadcastSession, Station, StationGroup
from broadcast.planner import zone
from broadcast.stations import sessions_on
from web import db, paging
from web.auth import actor, requires
from web.i18n import WEEKDAY_LABELS, date_error, parse_date, today

bp = Blueprint("week", __name__, url_prefix="/schedule/week", template_folder="templates")

#: Columns of the many-stations day view per page.
STATIONS_PER_PAGE = 12


@dataclass
class Item:
    title: str
    kind: str
    bulletin_id: int | None
    start: str
    duration_s: float
    priority: str


@dataclass
class Block:
    session: BroadcastSession
    start_min: int
    minutes: int
    items: list[Item] = field(default_factory=list)

    @property
    def end(self) -> str:
        end = self.start_min + self.minutes
        return f"{end // 60:02d}:{end % 60:02d}"

    @property
    def bulletin_ids(self) -> list[int]:
        return list(dict.fromkeys(i.bulletin_id for i in self.items if i.kind == "bulletin" and i.bulletin_id))


@dataclass
class Column:
    station: Station
    day: date
    blocks: list[Block]

    @property
    def weekday(self) -> str:
        return str(self.day.isoweekday())


def _items_by_session(station: Station, day: date, found: list[BroadcastSession]) -> dict[int, list[Item]]:
    """The latest playlist's items of the day, under the session each one starts in."""
    playlist = latest_playlist(db.session(), station.code, day)
    out: dict[int, list[Item]] = {s.id: [] for s in found}
    if playlist is None:
        return out
    tz = zone(station.timezone)
    for it in playlist.manifest.get("items", []):
        try:
            start = datetime.fromisoformat(it["start"]).astimezone(tz)
        except (KeyError, ValueError, TypeError):
            continue
        minute = start.hour * 60 + start.minute
        home = next((s for s in found if s.start_time.hour * 60 + s.start_time.minute <= minute
                     < s.start_time.hour * 60 + s.start_time.minute + s.max_minutes), None)
        if home is not None:
            out[home.id].append(Item(it.get("title", ""), it.get("kind", ""), it.get("bulletin_id"),
                                     start.strftime("%H:%M:%S"), float(it.get("duration_s", 0.0)),
                                     it.get("priority", "normal")))
    return out


def column(station: Station, day: date) -> Column:
    found = sessions_on(station, day)
    items = _items_by_session(station, day, found)
    blocks = [Block(s, s.start_time.hour * 60 + s.start_time.minute, s.max_minutes, items.get(s.id, []))
              for s in found]
    return Column(station, day, blocks)


def hours(columns: list[Column]) -> list[int]:
    """The grid's hours: from the earliest session's hour to the latest end (at least 05–20)."""
    starts = [b.start_min for c in columns for b in c.blocks]
    ends = [b.start_min + b.minutes for c in columns for b in c.blocks]
    first = min([5 * 60, *starts]) // 60
    last = min(24, max(20, math.ceil(max([0, *ends]) / 60)))
    return list(range(first, last))


def _day_arg(tz: str) -> tuple[date, bool]:
    raw = request.args.get("date", "").strip()
    if not raw:
        return today(tz), True
    try:
        return parse_date(raw), True
    except ValueError:
        flash(date_error(_("Ngày")), "error")
        return today(tz), False


@bp.get("", strict_slashes=False)
@requires("schedule.view")
def index() -> Any:
    s = db.session()
    settings = db.settings()
    day, ok = _day_arg(settings.timezone)
    stations = s.scalars(select(Station).where(Station.active.is_(True)).order_by(Station.name)).all()
    groups = s.scalars(select(StationGroup).order_by(StationGroup.name)).all()
    view = "day" if request.args.get("view") == "day" else "week"
    code = request.args.get("station", "")
    page = None
    if view == "week":
        station = next((st for st in stations if st.code == code), stations[0] if stations and not code else None)
        if station is None:
            if stations:
                abort(404)
            return render_template("week/week.html", view=view, columns=[], stations=[], groups=groups, day=day)
        monday = day - timedelta(days=day.isoweekday() - 1)
        columns = [column(station, monday + timedelta(days=i)) for i in range(7)]
        prev_day, next_day = monday - timedelta(days=7), monday + timedelta(days=7)
    else:
        station = None
        group = next((g for g in groups if g.name == request.args.get("group")), None)
        chosen = sorted(group.stations, key=lambda st: st.name) if group else list(stations)
        page = paging.paginate_list([st for st in chosen if st.active], max(1, _int_arg("page")), STATIONS_PER_PAGE)
        columns = [column(st, day) for st in page.items]
        prev_day, next_day = day - timedelta(days=1), day + timedelta(days=1)
    return render_template(
        "week/week.html", view=view, columns=columns, hours=hours(columns), station=station, stations=stations,
        groups=groups, group=request.args.get("group", ""), day=day, prev_day=prev_day, next_day=next_day,
        page=page, today=today(settings.timezone), weekdays=WEEKDAY_LABELS,
    ), (200 if ok else 400)


def _int_arg(name: str) -> int:
    try:
        return int(request.args.get(name, "1"))
    except ValueError:
        return 1


def _station(code: str) -> Station:
    st = db.session().scalar(select(Station).where(Station.code == code))
    if st is None:
        abort(404)
    return st


def _back(station: Station, day: str | None = None) -> Response:
    """Back to the grid the form came from (the week of the day, or the many-stations day)."""
    target = request.form.get("next", "")
    if target.startswith("/schedule/week") and "\\" not in target and "//" not in target:
        return redirect(target)
    return redirect(url_for("week.index", station=station.code, date=day or None))


def _spec_from_form() -> sessions.SessionSpec:
    form = request.form
    on_date = None
    if form.get("only_date"):
        try:
            on_date = parse_date(form.get("only_date", ""))
        except ValueError:
            raise BroadcastError("Ngày của phiên phát không hợp lệ.") from None
    return sessions.grid_spec(weekdays="".join(form.getlist("weekday")), start=form.get("start", ""),
                              end=form.get("end", ""), on_date=on_date, name=form.get("name", ""))


@bp.post("/<code>/sessions")
@requires("stations.manage")
def add_session(code: str) -> Response:
    station = _station(code)
    try:
        spec = _spec_from_form()
        sessions.add_sessions(db.session(), station, [spec], actor=actor())
        db.commit()
    except BroadcastError as exc:
        db.session().rollback()
        flash(exc.translate(_), "error")
    else:
        flash(_("Đã thêm phiên phát %(s)s cho %(n)s.", s=f"{spec.start_time:%H:%M}–{spec.end_time:%H:%M}",
                n=station.name), "ok")
    return _back(station)


@bp.post("/<code>/sessions/<int:session_id>")
@requires("stations.manage")
def change_session(code: str, session_id: int) -> Response:
    station = _station(code)
    try:
        if request.form.get("action") == "delete":
            sessions.delete_session(db.session(), station, session_id, actor=actor())
            message = _("Đã xoá phiên phát.")
        else:
            sessions.update_session(db.session(), station, session_id, _spec_from_form(), actor=actor())
            message = _("Đã lưu phiên phát.")
        db.commit()
    except BroadcastError as exc:
        db.session().rollback()
        flash(exc.translate(_), "error")
    else:
        flash(message, "ok")
    return _back(station)


@bp.post("/<code>/order/<day>")
@requires("schedule.edit")
def save_order(code: str, day: str) -> Response:
    """The order of one session's bulletins, merged into the day's order (others keep theirs)."""
    station = _station(code)
    try:
        the_day = parse_date(day)
    except ValueError:
        abort(404)
    try:
        wanted = list(dict.fromkeys(int(v) for v in request.form.getlist("bulletin_id")))
    except ValueError:
        abort(400)
    if any(not 0 < b < 2**31 for b in wanted):  # not an id any database holds
        abort(400)
    s = db.session()
    merged = wanted + [b for b in overrides.day_order(s, station, the_day) if b not in wanted]
    try:
        overrides.set_order(s, db.settings(), station, the_day, merged, actor=actor())
        db.commit()
    except BroadcastError as exc:
        s.rollback()
        flash(exc.translate(_), "error")
    else:
        flash(_("Đã lưu thứ tự phát ngày %(d)s.", d=f"{the_day:%d/%m/%Y}"), "ok")
    return _back(station, the_day.isoformat())
