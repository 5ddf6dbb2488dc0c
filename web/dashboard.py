"""/dashboard: every station at a glance, the alerts that hold now, and remote control of agents.

Thin: the data comes from ``broadcast.dashboard`` / ``broadcast.alerts``, orders go through
``broadcast.remote``. The page refreshes itself by fetching ``/dashboard/live`` (the same
fragment, rendered alone) every ``dashboard_refresh_s``; ``/dashboard.json`` is the same data for
other programs.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from broadcast import alerts as alerts_svc
from broadcast import dashboard as svc
from broadcast import remote as remote_svc
from broadcast import system_status
from broadcast import units as units_svc
from broadcast.changes import messages
from broadcast.errors import BroadcastError, NotFound
from broadcast.models import Bulletin, BulletinStatus, Unit
from broadcast.stations import get_station
from web import db
from web.auth import actor, can, requires, scope
from web.paging import Page, page_args, paginate_list

bp = Blueprint("dashboard", __name__)

SESSION_LABELS = {"upcoming": _l("sắp tới"), "on_air": _l("đang phát"), "done": _l("đã phát"),
                  "missed": _l("bị lỡ"), "empty": _l("không có tin")}
COMMAND_LABELS = {"stop": _l("Dừng"), "resume": _l("Phát lại"), "skip": _l("Bỏ qua"), "volume": _l("Âm lượng"), "tone": _l("Tiếng thử"),
                  "play_now": _l("Phát ngay"), "system_test": _l("Kiểm tra hệ thống")}
COMMAND_STATES = {"done": _l("đã xong"), "failed": _l("lỗi"), "sent": _l("đã gửi, chờ xác nhận"),
                  "waiting": _l("chờ máy phát nhận"), "expired": _l("hết hạn")}


def _units_in_scope() -> list[Unit]:
    """The communes (and larger units) the user may narrow the dashboard to."""
    mine = scope()
    return [u for u in units_svc.all_units(db.session()) if u.merged_into_id is None and mine.covers(u.id)]


def _shown(view: svc.Overview) -> tuple[Page[svc.StationView], dict[str, str]]:
    """The page of stations the filters in the query string (q, state, unit) leave, and the filters."""
    args = {k: request.args.get(k, "").strip() for k in ("q", "state", "unit")}
    unit_ids = None
    if args["unit"].isdigit() and scope().covers(int(args["unit"])):
        unit_ids = units_svc.subtree_ids(db.session(), int(args["unit"]))
    state = args["state"] if args["state"] in svc.FILTER_STATES else ""
    rows = svc.narrow(view.stations, text=args["q"], state=state, unit_ids=unit_ids)
    return paginate_list(rows, *page_args()), args


def _context() -> dict[str, Any]:
    settings = db.settings()
    view = svc.overview(db.session(), heartbeat_s=settings.agent_heartbeat_s, scope=scope())
    page, filters = _shown(view)
    return {
        "view": view,
        "page": page,
        "filters": filters,
        "points": svc.map_points(view.stations),
        "alerts": alerts_svc.active_alerts(db.session()),
        "voice": system_status.current_voice(settings),
        "tz": settings.timezone,
        "SESSION": SESSION_LABELS, "COMMAND": COMMAND_LABELS, "CSTATE": COMMAND_STATES,
    }


@bp.get("/dashboard")
@requires("stations.view")
def index() -> str:
    ctx = _context()
    ctx["units"] = _units_in_scope()
    if can("remote"):
        ctx["playable"] = list(db.session().scalars(
            select(Bulletin).where(Bulletin.status == BulletinStatus.APPROVED, Bulletin.media_sha256.is_not(None))
            .order_by(Bulletin.id.desc()).limit(50)))  # fmt: skip
    return render_template("dashboard/dashboard.html", refresh_s=db.settings().dashboard_refresh_s, **ctx)


@bp.get("/dashboard/live")
@requires("stations.view")
def live() -> str:
    return render_template("dashboard/_live.html", **_context())


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


@bp.get("/dashboard.json")
@requires("stations.view")
def as_json() -> Response:
    ctx = _context()
    view = ctx["view"]
    stations = [{
        "code": s.code, "name": s.name, "state": s.state, "last_heartbeat_at": _iso(s.last_heartbeat_at),
        "playing": s.playing, "agent_version": s.agent_version, "latitude": s.latitude, "longitude": s.longitude,
        "sessions": [{"start": _iso(x.start), "end": _iso(x.end), "state": x.state, "planned": x.planned,
                      "aired": x.aired} for x in s.sessions],
        "system_test": {k: _iso(v) for k, v in s.system_test.items()} if s.system_test else None,
        "commands": [{k: _iso(v) for k, v in c.items()} for c in s.commands],
    } for s in view.stations]  # fmt: skip
    return jsonify({
        "now": view.now.isoformat(), "online": view.online, "total": len(view.stations), "missed": view.missed,
        "voice": ctx["voice"] and {k: _iso(v) for k, v in ctx["voice"].items()},
        "alerts": [{"key": a.key, "kind": a.kind, "message": a.message, "raised_at": a.raised_at.isoformat()}
                   for a in ctx["alerts"]],
        "stations": stations,
    })  # fmt: skip


@bp.post("/dashboard/commands")
@bp.post("/dashboard/stations/<code>/commands")
@requires("remote")
def command(code: str = "") -> Response:
    """Issue one order (the ``kind`` button pressed) to a station's agent (``code`` in the
    address, or the form's ``station``)."""
    session = db.session()
    form = request.form
    code = code or form.get("station", "").strip()
    kind = form.get("kind", "")
    params = {k: form[k] for k in ("minutes", "level", "seconds", "bulletin_id") if form.get(k, "").strip()}
    try:
        station = get_station(session, code)
        if not scope().covers(station.unit_id):  # another commune's: as if it did not exist
            raise NotFound("Không có đài mã '%(c)s'.", c=code)
        cmd = remote_svc.issue_command(session, station, kind, params, actor=actor(),
                                       ttl_s=db.settings().remote_command_ttl_s)
    except BroadcastError as exc:
        session.rollback()
        for line in messages(exc, _):
            flash(line, "error")
    else:
        db.commit()
        flash(_("Đã gửi lệnh “%(what)s” tới đài %(code)s; máy phát sẽ nhận ở tín hiệu hoạt động kế tiếp.",
                what=str(COMMAND_LABELS.get(kind, kind)), code=code), "ok")
        if request.accept_mimetypes.best == "application/json":
            return jsonify({"id": cmd.id, "state": remote_svc.state(cmd)})
    # back to the form with the same station chosen (``/dashboard?station=CODE`` also links here)
    return redirect(url_for("dashboard.index", station=code) + "#remote")
