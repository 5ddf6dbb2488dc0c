"""One station's day: each session as a timeline of what plays, how long, the time left free, and
what did not fit. Operators pin or drop a bulletin for a day (``broadcast.overrides``, which
regenerates that station's playlist for that day at once and audits it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from broadcast import inbox, overrides
from broadcast.bulletins import eligible_bulletins
from broadcast.errors import BroadcastError
from broadcast.history import MARK_LABELS, day_rows, item_marks
from broadcast.manifest import Manifest, ManifestError, parse_manifest
from broadcast.models import Bulletin, PlaylistOverride, Station
from broadcast.planner import zone
from broadcast.playlist_store import latest_playlist
from broadcast.stations import sessions_on
from web import db
from web.auth import actor, requires, scope
from web.i18n import date_error, fmt_duration, parse_date, today

log = logging.getLogger(__name__)
bp = Blueprint("schedule", __name__, url_prefix="/schedule")

#: Timeline drawing: width of the SVG and height of one bar, in px.
WIDTH = 900
BAR = 34


@dataclass
class Slot:
    start: datetime
    duration_s: float
    kind: str
    title: str
    priority: str
    bulletin_id: int | None
    url: str
    #: Planned against aired (broadcast/history.py): aired | cut | missed | upcoming, and why.
    mark: str = ""
    why: str = ""
    language: str = ""


@dataclass
class SessionView:
    name: str
    start: datetime
    end: datetime
    items: list[Slot] = field(default_factory=list)

    @property
    def capacity_s(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def used_s(self) -> float:
        return sum(i.duration_s for i in self.items)

    @property
    def free_s(self) -> float:
        return max(0.0, self.capacity_s - self.used_s)


def _parse_day(value: str | None, tz: str) -> date:
    if not value:
        return today(tz)
    try:
        return parse_date(value)
    except ValueError:
        abort(404)


def read_manifest(manifest: dict[str, Any] | None) -> Manifest | None:
    """The stored manifest through the model; one that does not validate shows as none (logged)."""
    if manifest is None:
        return None
    try:
        return parse_manifest(manifest)
    except ManifestError as exc:
        log.error("manifest %s %s does not validate: %s", manifest.get("station"), manifest.get("date"), exc)
        flash(_("Danh sách phát đã lưu không hợp lệ, các đài sẽ không nhận: %(e)s", e=str(exc)), "error")
        return None


def build_sessions(
    station: Station, day: date, manifest: Manifest | None, marks: list[tuple[str, str]] | None = None
) -> tuple[list[SessionView], list[Slot]]:
    """Group the manifest's items into the station's sessions of that day; items outside any
    session (an emergency between sessions) come back separately. Times are the station's.
    ``marks``: each item's aired/cut/missed mark (broadcast.history.item_marks), in manifest order."""
    tz = zone(station.timezone)
    views = []
    for s in sessions_on(station, day):
        start = datetime.combine(day, s.start_time, tzinfo=tz)
        views.append(SessionView(s.name or s.start_time.strftime("%H:%M"), start,
                                 start + timedelta(minutes=s.max_minutes)))
    outside: list[Slot] = []
    for n, it in enumerate(manifest.items if manifest else ()):
        start = it.start.astimezone(tz)
        mark, why = marks[n] if marks is not None and n < len(marks) else ("", "")
        slot = Slot(start, it.duration_s, it.kind, it.title, it.priority, it.bulletin_id, it.url, mark, why,
                    it.language)
        home = next((v for v in views if v.start <= start < v.end), None)
        (home.items if home else outside).append(slot)
    for v in views:
        v.items.sort(key=lambda i: i.start)
    return views, outside


def timeline_svg(view: SessionView) -> dict[str, Any]:
    """Bar geometry for one session (drawn by the template as inline SVG: no script, no CDN)."""
    total = view.capacity_s or 1.0
    bars = []
    for i, it in enumerate(view.items):
        x = max(0.0, (it.start - view.start).total_seconds()) / total * WIDTH
        w = max(4.0, it.duration_s / total * WIDTH)  # a short item stays visible
        bars.append({"x": round(x, 1), "w": round(min(w, WIDTH - x), 1), "item": it, "n": i + 1,
                     "label": f"{i + 1}. {it.title} ({fmt_duration(it.duration_s)})"})
    return {"width": WIDTH, "height": BAR, "bars": bars}


@bp.get("/")
@requires("schedule.view")
def index() -> Any:
    s = db.session()
    stations = s.scalars(select(Station).where(scope().clause(Station.unit_id)).order_by(Station.name)).all()
    code = request.args.get("station") or (stations[0].code if stations else "")
    station = next((st for st in stations if st.code == code), None)
    if station is None:
        if stations:
            abort(404)
        return render_template("schedule/schedule.html", stations=[], station=None)
    status = 200
    try:
        day = parse_date(request.args["date"]) if request.args.get("date", "").strip() else today(station.timezone)
    except ValueError:  # the day's plan is shown, under the reason the date typed was not read
        flash(date_error(_("Ngày")), "error")
        day, status = today(station.timezone), 400
    playlist = latest_playlist(s, station.code, day)
    manifest = read_manifest(playlist.manifest if playlist else None)
    marks = item_marks(playlist.manifest["items"], day_rows(s, station, day)) if playlist and manifest else None
    views, outside = build_sessions(station, day, manifest, marks)
    overrides = {
        o.bulletin_id: o.action
        for o in s.scalars(select(PlaylistOverride).where(PlaylistOverride.station_id == station.id,
                                                          PlaylistOverride.date == day))
    }
    candidates = inbox.reaches(s, eligible_bulletins(s, station, day), station)
    known = {b.id for b in candidates}
    extra = [b for b in s.scalars(select(Bulletin).where(Bulletin.id.in_(list(overrides)))) if b.id not in known]
    return render_template(
        "schedule/schedule.html",
        stations=stations,
        station=station,
        day=day,
        prev_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        playlist=playlist,
        sessions=[(v, timeline_svg(v)) for v in views],
        outside=outside,
        unplaced=manifest.unplaced if manifest else (),
        candidates=candidates + extra,
        overrides=overrides,
        marks=MARK_LABELS,
    ), status


def _station_by_code(code: str) -> Station:
    st = db.session().scalar(select(Station).where(Station.code == code))
    if st is None or not scope().covers(st.unit_id):
        abort(404)
    return st


@bp.post("/<code>/<day>/override")
@requires("schedule.edit")
def override(code: str, day: str) -> Response:
    station = _station_by_code(code)
    the_day = _parse_day(day, station.timezone)
    try:
        bulletin_id = int(request.form.get("bulletin_id", ""))
    except ValueError:
        abort(400)
    bulletin = db.get_or_404(Bulletin, bulletin_id)
    if not inbox.reaches(db.session(), [bulletin], station):
        abort(404)
    action = request.form.get("action", "")
    if action not in overrides.ACTIONS:
        abort(400)
    try:
        overrides.set_override(db.session(), db.settings(), station, the_day, bulletin, action, actor=actor())
        db.commit()
    except BroadcastError as exc:
        db.session().rollback()
        flash(exc.translate(_), "error")
    else:
        messages = {"pin": _("Đã ghim “%(t)s” vào lịch ngày này."), "drop": _("Đã bỏ “%(t)s” khỏi lịch ngày này."),
                    "clear": _("Đã trả “%(t)s” về như kế hoạch.")}
        flash(messages[action] % {"t": bulletin.title}, "ok")
    return redirect(url_for("schedule.index", station=station.code, date=the_day.isoformat()))


@bp.post("/<code>/<day>/generate")
@requires("schedule.edit")
def regenerate(code: str, day: str) -> Response:
    station = _station_by_code(code)
    the_day = _parse_day(day, station.timezone)
    try:
        overrides.regenerate_day(db.session(), db.settings(), station, the_day, actor=actor())
        db.commit()
    except BroadcastError as exc:
        db.session().rollback()
        flash(exc.translate(_), "error")
    else:
        flash(_("Đã lập lại lịch phát."), "ok")
    return redirect(url_for("schedule.index", station=station.code, date=the_day.isoformat()))
