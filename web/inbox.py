"""The inbox pages (Circular 39): a commune's bulletins from higher units, to accept or decline,
and the sending unit's view of each commune's answer. Thin over broadcast/inbox.py."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from broadcast import bulletins as bl
from broadcast import inbox as svc
from broadcast import units
from broadcast.errors import BroadcastError
from broadcast.models import Bulletin, Unit
from web import db
from web.auth import actor, can, current_user, requires, scope, scoped_or_404
from web.i18n import today

bp = Blueprint("inbox", __name__, url_prefix="/inbox")

STATE_LABELS = {svc.WAITING: _l("đang chờ"), svc.ACCEPTED: _l("đã nhận"), svc.DECLINED: _l("đã từ chối"),
                svc.AUTO: _l("tự động nhận"), svc.SCHEDULED: _l("đã xếp lịch (ưu tiên)"),
                svc.FORCED: _l("phát ngay (khẩn cấp)")}


def _choices() -> list[Unit]:
    """The units whose inbox the user may open: its own and the receiving units below it."""
    user = current_user()
    s = db.session()
    if user is None:
        return []
    if user.unit_id is None:
        return [u for u in units.all_units(s) if u.merged_into_id is None]
    mine = units.get_by_id(s, user.unit_id)
    return [mine, *(u for u in units.communes_under(s, mine) if u.id != mine.id)]


def _unit(code: str | None) -> Unit:
    options = _choices()
    if not options:
        abort(404)
    unit = next((u for u in options if u.code == code), None) if code else options[0]
    if unit is None or not scope().covers(unit.id):
        abort(404)
    return unit


@bp.get("/")
@requires("inbox.view")
def index() -> Any:
    unit = _unit(request.args.get("unit"))
    entries = svc.inbox(db.session(), unit, today=today())
    return render_template("inbox/inbox.html", unit=unit, units=_choices(), entries=entries,
                           states=STATE_LABELS, may_decide=can("inbox.decide"))


@bp.post("/<int:bulletin_id>")
@requires("inbox.decide")
def decide(bulletin_id: int) -> Response:
    unit = _unit(request.form.get("unit"))
    b = db.get_or_404(Bulletin, bulletin_id)
    decision, reason = request.form.get("decision", ""), request.form.get("reason", "")
    try:
        if decision == "accept":
            svc.accept(db.session(), b, unit, actor=actor(), reason=reason)
        elif decision == "decline":
            svc.decline(db.session(), b, unit, actor=actor(), reason=reason)
        elif decision in svc.POSITIONS:
            svc.order(db.session(), b, unit, decision, actor=actor(), reason=reason)
        else:
            abort(400)
        db.commit()
    except BroadcastError as exc:
        db.session().rollback()
        flash(exc.translate(_), "error")
    else:
        flash(_("Đã ghi quyết định của %(u)s về bản tin “%(t)s”.", u=unit.name, t=b.title), "ok")
    return redirect(url_for("inbox.index", unit=unit.code))


@bp.post("/auto")
@requires("inbox.decide")
def auto() -> Response:
    unit = _unit(request.form.get("unit"))
    try:
        svc.set_auto_accept(db.session(), unit, request.form.get("on") == "1", actor=actor())
        db.commit()
    except BroadcastError as exc:
        db.session().rollback()
        flash(exc.translate(_), "error")
    else:
        flash(_("Đã lưu cách nhận bản tin của %(u)s.", u=unit.name), "ok")
    return redirect(url_for("inbox.index", unit=unit.code))


@bp.get("/sent")
@requires("inbox.sent")
def sent() -> Any:
    """The sending unit's view: per bulletin, each commune's answer."""
    rows = svc.sent(db.session(), scope(), today=today())
    return render_template("inbox/sent.html", rows=rows, states=STATE_LABELS)


@bp.get("/sent/<int:bulletin_id>")
@requires("inbox.sent")
def sent_one(bulletin_id: int) -> Any:
    b = scoped_or_404(Bulletin, bulletin_id)
    return render_template("inbox/sent.html", rows=[(b, svc.status(db.session(), b))], states=STATE_LABELS,
                           one=b, targets=bl.target_station_names(db.session(), b))
