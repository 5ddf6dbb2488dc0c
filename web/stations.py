"""Stations, groups, broadcast sessions and relays: forms over the services of ``broadcast``
(stations, sessions, groups, relays).

Each view turns the form into a service call, commits, and shows the result or the service's
error in the user's language. The services audit every change and ask for new playlists; the
requests are drained after the commit by ``_commit_and_regenerate``, the one place that does it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from broadcast import groups as groups_svc
from broadcast import relays as relays_svc
from broadcast import sessions as sessions_svc
from broadcast import stations as svc
from broadcast.changes import messages
from broadcast.errors import BroadcastError, NotFound
from broadcast.languages import LANGUAGES
from broadcast.models import Relay, Station, StationGroup, utcnow
from web import db
from web.auth import actor, current_user, own_unit_code, requires, scope, scoped_or_404
from web.bulletins import drain_later

bp = Blueprint("stations", __name__, url_prefix="/stations")

KIND_LABELS = {"xa": _l("Xã"), "phuong": _l("Phường"), "thi_tran": _l("Thị trấn")}


def _commit_and_regenerate() -> None:
    """Commit the request's change, then have its regeneration requests processed."""
    db.commit()
    drain_later()


def _failed(exc: BroadcastError) -> list[str]:
    db.session().rollback()
    return messages(exc, _)


def _flash_errors(exc: BroadcastError) -> None:
    for line in _failed(exc):
        flash(line, "error")


@bp.get("/")
@requires("stations.view")
def index() -> str:
    rows = db.session().scalars(select(Station).where(scope().clause(Station.unit_id)).order_by(Station.name)).all()
    now, beat = utcnow(), db.settings().agent_heartbeat_s
    states = {s.id: svc.connection_state(s, beat, now) for s in rows}
    counts = {state: sum(1 for v in states.values() if v == state) for state in ("online", "lost", "never")}
    return render_template("stations/stations.html", stations=rows, states=states, counts=counts, kinds=KIND_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@requires("stations.manage")
def new() -> Any:
    errors: list[str] = []
    if request.method == "POST":
        f = request.form
        try:
            st = svc.create_station(
                db.session(), code=f.get("code", ""), name=f.get("name", ""), kind=f.get("kind", "xa"),
                district=f.get("district", ""), timezone=f.get("timezone", "").strip() or db.settings().timezone,
                sessions=f.get("sessions", ""), actor=actor(), unit=own_unit_code(), scope=scope(),
            )
        except BroadcastError as exc:
            errors = _failed(exc)
        else:
            _commit_and_regenerate()
            flash(_("Đã thêm đài %(n)s.", n=st.name), "ok")
            return redirect(url_for("stations.detail", station_id=st.id))
    return render_template("stations/station_new.html", errors=errors, kinds=KIND_LABELS), (400 if errors else 200)


@bp.get("/<int:station_id>")
@requires("stations.view")
def detail(station_id: int) -> str:
    st = scoped_or_404(Station, station_id)
    relays = db.session().scalars(
        select(Relay).where((Relay.station_id == st.id) | Relay.station_id.is_(None)).order_by(Relay.start_time)
    ).all()
    state = svc.connection_state(st, db.settings().agent_heartbeat_s)
    return render_template(
        "stations/station.html", st=st, online=state == "online", state=state, kinds=KIND_LABELS, relays=relays,
        spec_of=svc.spec_of, language_names=language_names, known_languages=LANGUAGES,
    )


@bp.post("/<int:station_id>")
@requires("stations.manage")
def update(station_id: int) -> Any:
    st = scoped_or_404(Station, station_id)
    f = request.form
    try:
        svc.update_station(
            db.session(), st, actor=actor(), name=f.get("name", ""), kind=f.get("kind", "xa"),
            district=f.get("district", ""), timezone=f.get("timezone", "").strip() or db.settings().timezone,
            active=f.get("active") == "on",
        )
    except BroadcastError as exc:
        _flash_errors(exc)
    else:
        _commit_and_regenerate()
        flash(_("Đã lưu thông tin đài."), "ok")
    return redirect(url_for("stations.detail", station_id=st.id))


@bp.post("/<int:station_id>/sessions")
@requires("stations.manage")
def add_session(station_id: int) -> Response:
    st = scoped_or_404(Station, station_id)
    try:
        sessions_svc.add_from_spec(db.session(), st, request.form.get("spec", ""),
                                   name=request.form.get("name", ""), actor=actor())
    except BroadcastError as exc:
        _flash_errors(exc)
    else:
        _commit_and_regenerate()
        flash(_("Đã thêm phiên phát."), "ok")
    return redirect(url_for("stations.detail", station_id=st.id))


@bp.post("/<int:station_id>/sessions/<int:session_id>/delete")
@requires("stations.manage")
def delete_session(station_id: int, session_id: int) -> Response:
    st = scoped_or_404(Station, station_id)
    try:
        sessions_svc.delete_session(db.session(), st, session_id, actor=actor())
    except NotFound:
        abort(404)
    _commit_and_regenerate()
    flash(_("Đã xoá phiên phát."), "ok")
    return redirect(url_for("stations.detail", station_id=st.id))


@bp.post("/<int:station_id>/token")
@requires("stations.manage")
def token(station_id: int) -> str:
    st = scoped_or_404(Station, station_id)
    value = svc.issue_agent_token(db.session(), st, actor=actor())
    db.commit()
    return render_template("token_once.html", token=value, subject=f"{st.name} ({st.code})", kind="agent",
                           station_id=st.id)


def _upload_text(errors: list[str]) -> str | None:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        errors.append(_("Hãy chọn tệp CSV."))
        return None
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.append(_("Tệp CSV phải lưu bằng mã hoá UTF-8."))
        return None


@bp.route("/import", methods=["GET", "POST"])
@requires("stations.manage")
def import_csv() -> Any:
    errors: list[str] = []
    if request.method == "POST":
        text = _upload_text(errors)
        if text is not None:
            try:
                me = current_user()
                result = svc.import_stations(db.session(), svc.parse_stations_csv(text),
                                             group=request.form.get("group", "").strip() or None, actor=actor(),
                                             scope=scope(), default_unit_id=me.unit_id if me else None)
            except BroadcastError as exc:
                errors = _failed(exc)
            else:
                _commit_and_regenerate()
                flash(_("Đã nhập %(c)d đài mới, cập nhật %(u)d đài.", c=len(result.created),
                        u=len(result.updated)), "ok")
                return redirect(url_for("stations.index"))
    return render_template("stations/station_import.html", errors=errors), (400 if errors else 200)


# --- groups ---------------------------------------------------------------------------------------


@bp.route("/groups", methods=["GET", "POST"])
@requires("stations.manage")
def groups() -> Any:
    errors: list[str] = []
    if request.method == "POST":
        try:
            grp = groups_svc.create_group(db.session(), request.form.get("name", ""), actor=actor())
        except BroadcastError as exc:
            errors = _failed(exc)
        else:
            _commit_and_regenerate()
            flash(_("Đã tạo nhóm %(n)s.", n=grp.name), "ok")
            return redirect(url_for("stations.groups"))
    s = db.session()
    return render_template(
        "stations/groups.html",
        groups=s.scalars(select(StationGroup).order_by(StationGroup.name)).all(),
        stations=s.scalars(select(Station).where(scope().clause(Station.unit_id)).order_by(Station.name)).all(),
        errors=errors,
    ), (400 if errors else 200)


@bp.post("/groups/<int:group_id>")
@requires("stations.manage")
def update_group(group_id: int) -> Response:
    grp = db.get_or_404(StationGroup, group_id)
    if not all(scope().covers(st.unit_id) for st in grp.stations):
        abort(404)  # a group reaching another unit's stations is that unit's (or a higher one's) to change
    name = grp.name
    deleting = request.form.get("action") == "delete"
    try:
        if deleting:
            groups_svc.delete_group(db.session(), grp, actor=actor())
        else:
            _require_in_scope(request.form.getlist("stations"))
            groups_svc.set_members(db.session(), grp, request.form.getlist("stations"), actor=actor())
    except BroadcastError as exc:
        _flash_errors(exc)
        return redirect(url_for("stations.groups"))
    _commit_and_regenerate()
    flash(_("Đã xoá nhóm.") if deleting else _("Đã lưu nhóm %(n)s.", n=name), "ok")
    return redirect(url_for("stations.groups"))


def _require_in_scope(codes: list[str]) -> None:
    found = db.session().execute(select(Station.code, Station.unit_id).where(Station.code.in_(codes))).all()
    if not all(scope().covers(unit_id) for _code, unit_id in found):
        abort(404)


def _in_scope_code(code: str) -> bool:
    unit_id = db.session().execute(select(Station.unit_id).where(Station.code == code)).first()
    return unit_id is None or scope().covers(unit_id[0])  # an unknown code: the service says so


def _relay_in_scope(station_id: int | None) -> bool:
    """A relay for every station is the top unit's; one station's, that station's unit's."""
    if station_id is None:
        return scope().covers(None)
    st = db.session().get(Station, station_id)
    return st is not None and scope().covers(st.unit_id)


# --- relays ---------------------------------------------------------------------------------------


def _relays_page(errors: list[str], status: int) -> Response:
    s = db.session()
    relays = [r for r in s.scalars(select(Relay).order_by(Relay.start_time)) if _relay_in_scope(r.station_id)]
    response = make_response(render_template(
        "stations/relays.html",
        relays=relays,
        stations=s.scalars(select(Station).where(scope().clause(Station.unit_id)).order_by(Station.name)).all(),
        errors=errors,
        v=request.form if request.method == "POST" else {},
        playable=relays_svc.playable_in_browser,
    ), status)
    # "Nghe thử" plays the streams themselves: allow exactly their origins as media sources.
    origins = sorted({f"{p.scheme}://{p.netloc}" for r in relays if relays_svc.playable_in_browser(r.stream_url)
                      for p in [urlsplit(r.stream_url)]})
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; media-src 'self' " + " ".join(origins) + "; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )
    return response


@bp.route("/relays", methods=["GET", "POST"])
@requires("stations.manage")
def relays() -> Any:
    errors: list[str] = []
    if request.method == "POST":
        f = request.form
        try:
            spec = relays_svc.parse_relay(
                name=f.get("name", ""), stream_url=f.get("stream_url", ""), start_time=f.get("start_time", ""),
                duration_min=f.get("duration_min", ""), weekdays=f.getlist("weekdays"),
                station_code=f.get("station", ""),
            )
            code = f.get("station", "").strip()
            if (not code and not scope().covers(None)) or (code and not _in_scope_code(code)):
                abort(404)
            relays_svc.create_relay(db.session(), spec, actor=actor())
        except BroadcastError as exc:
            errors = _failed(exc)
        else:
            _commit_and_regenerate()
            flash(_("Đã thêm chương trình tiếp sóng."), "ok")
            warning = relays_svc.probe(spec.stream_url, db.settings().relay_probe_timeout_s)
            if warning is not None:
                flash(warning.translate(_), "warn")
            return redirect(url_for("stations.relays"))
    return _relays_page(errors, 400 if errors else 200)


@bp.post("/relays/<int:relay_id>/delete")
@requires("stations.manage")
def delete_relay(relay_id: int) -> Response:
    relay = db.get_or_404(Relay, relay_id)
    if not _relay_in_scope(relay.station_id):
        abort(404)
    relays_svc.delete_relay(db.session(), relay, actor=actor())
    _commit_and_regenerate()
    flash(_("Đã xoá chương trình tiếp sóng."), "ok")
    return redirect(url_for("stations.relays"))


# --- report11: the languages a station airs (Decree 49) ---------------------------------------------


def language_names(stored: str) -> str:
    """"Tiếng Việt, Tiếng K'Ho (kpm)" for a station's languages."""
    from broadcast.languages import label, station_languages

    return ", ".join([_("Tiếng Việt"), *(f"{label(c)} ({c})" for c in station_languages(stored))])


@bp.post("/<int:station_id>/languages")
@requires("stations.manage")
def update_languages(station_id: int) -> Response:
    from broadcast.versions import set_station_languages

    st = db.get_or_404(Station, station_id)
    try:
        set_station_languages(db.session(), st, request.form.get("languages", ""), actor=actor())
    except BroadcastError as exc:
        _flash_errors(exc)
    else:
        _commit_and_regenerate()
        flash(_("Đã lưu ngôn ngữ phát của đài."), "ok")
    return redirect(url_for("stations.detail", station_id=st.id))
