"""Stations, groups, broadcast sessions and relays: forms over ``broadcast.stations``.

Any change to when a station broadcasts is audited and asks for its playlists to be regenerated
(a RegenRequest, drained in the background), so the next manifest reflects it.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, time
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from broadcast import stations as svc
from broadcast.errors import BroadcastError
from broadcast.models import BroadcastSession, RegenRequest, Relay, Station, StationGroup, utcnow
from web import db
from web.auth import actor, audit, requires
from web.bulletins import drain_later

bp = Blueprint("stations", __name__, url_prefix="/stations")

KIND_LABELS = {"xa": _l("Xã"), "phuong": _l("Phường"), "thi_tran": _l("Thị trấn")}


def is_online(station: Station, now: datetime | None = None) -> bool:
    return svc.is_online(station, db.settings().agent_heartbeat_s, now)


def _regen(codes: list[str] | None, reason: str) -> None:
    db.session().add(RegenRequest(reason=reason, station_codes=codes))


def _station_fields(form: Any, errors: list[str], *, new: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "kind": form.get("kind", "xa"),
        "district": form.get("district", "").strip()[:200],
        "timezone": form.get("timezone", "").strip() or db.settings().timezone,
    }
    if new:
        code = form.get("code", "").strip()
        if not svc.CODE_RE.match(code):
            errors.append(_("Mã đài chỉ gồm chữ thường không dấu, số, '-' hoặc '_' (tối đa 64 ký tự)."))
        elif db.session().scalar(select(Station).where(Station.code == code)) is not None:
            errors.append(_("Mã đài '%(c)s' đã có.", c=code))
        fields["code"] = code
    if not fields["name"] or len(fields["name"]) > 200:
        errors.append(_("Tên đài không được trống (tối đa 200 ký tự)."))
    if fields["kind"] not in svc.KINDS:
        errors.append(_("Loại đài không hợp lệ."))
    try:
        ZoneInfo(fields["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(_("Múi giờ '%(tz)s' không tồn tại.", tz=fields["timezone"]))
    return fields


@bp.get("/")
@requires("stations.view")
def index() -> str:
    rows = db.session().scalars(select(Station).order_by(Station.name)).all()
    now = utcnow()
    return render_template(
        "stations.html",
        stations=rows,
        online={s.id: is_online(s, now) for s in rows},
        kinds=KIND_LABELS,
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("stations.manage")
def new() -> Any:
    errors: list[str] = []
    if request.method == "POST":
        fields = _station_fields(request.form, errors, new=True)
        sessions: list[svc.SessionSpec] = []
        spec = request.form.get("sessions", "").strip()
        if spec:
            try:
                sessions = svc.parse_sessions(spec)
                svc.check_overlaps(sessions)
            except BroadcastError as exc:
                errors.append(str(exc))
        if not errors:
            st = Station(**fields)
            db.session().add(st)
            for s in sessions:
                st.sessions.append(BroadcastSession(weekdays=s.weekdays, start_time=s.start_time,
                                                    max_minutes=s.max_minutes, on_date=s.on_date))
            audit("station.create", st.code, sessions=spec)
            _regen([st.code], "station created")
            db.commit()
            drain_later()
            flash(_("Đã thêm đài %(n)s.", n=st.name), "ok")
            return redirect(url_for("stations.detail", station_id=st.id))
    return render_template("station_new.html", errors=errors, kinds=KIND_LABELS), (400 if errors else 200)


@bp.get("/<int:station_id>")
@requires("stations.view")
def detail(station_id: int) -> str:
    st = db.get_or_404(Station, station_id)
    relays = db.session().scalars(
        select(Relay).where((Relay.station_id == st.id) | Relay.station_id.is_(None)).order_by(Relay.start_time)
    ).all()
    return render_template(
        "station.html", st=st, online=is_online(st), kinds=KIND_LABELS, relays=relays,
        spec_of=svc.spec_of,
    )


@bp.post("/<int:station_id>")
@requires("stations.manage")
def update(station_id: int) -> Any:
    st = db.get_or_404(Station, station_id)
    errors: list[str] = []
    fields = _station_fields(request.form, errors, new=False)
    if errors:
        for e in errors:
            flash(e, "error")
        return redirect(url_for("stations.detail", station_id=st.id))
    active = request.form.get("active") == "on"
    changed = {k: v for k, v in fields.items() if getattr(st, k) != v}
    if active != st.active:
        changed["active"] = active
    for k, v in changed.items():
        setattr(st, k, v)
    if changed:
        audit("station.update", st.code, **{k: str(v) for k, v in changed.items()})
        if {"active", "timezone"} & set(changed):
            _regen([st.code], "station changed")
        db.commit()
        drain_later()
    flash(_("Đã lưu thông tin đài."), "ok")
    return redirect(url_for("stations.detail", station_id=st.id))


@bp.post("/<int:station_id>/sessions")
@requires("stations.manage")
def add_session(station_id: int) -> Response:
    st = db.get_or_404(Station, station_id)
    spec = request.form.get("spec", "").strip()
    name = request.form.get("name", "").strip()[:120]
    try:
        for s in svc.parse_sessions(spec):
            svc.add_session(db.session(), st, dataclasses.replace(s, name=name))
    except BroadcastError as exc:
        db.session().rollback()
        flash(str(exc), "error")
        return redirect(url_for("stations.detail", station_id=station_id))
    audit("session.add", st.code, spec=spec, name=name)
    _regen([st.code], "sessions changed")
    db.commit()
    drain_later()
    flash(_("Đã thêm phiên phát."), "ok")
    return redirect(url_for("stations.detail", station_id=st.id))


@bp.post("/<int:station_id>/sessions/<int:session_id>/delete")
@requires("stations.manage")
def delete_session(station_id: int, session_id: int) -> Response:
    st = db.get_or_404(Station, station_id)
    bs = db.get_or_404(BroadcastSession, session_id)
    if bs.station_id != st.id:
        abort(404)
    audit("session.delete", st.code, spec=svc.spec_of(bs).format())
    st.sessions.remove(bs)
    _regen([st.code], "sessions changed")
    db.commit()
    drain_later()
    flash(_("Đã xoá phiên phát."), "ok")
    return redirect(url_for("stations.detail", station_id=st.id))


@bp.post("/<int:station_id>/token")
@requires("stations.manage")
def token(station_id: int) -> str:
    st = db.get_or_404(Station, station_id)
    value = svc.issue_agent_token(db.session(), st, actor=actor())
    db.commit()
    return render_template("token_once.html", token=value, subject=f"{st.name} ({st.code})", kind="agent",
                           station_id=st.id)


@bp.route("/import", methods=["GET", "POST"])
@requires("stations.manage")
def import_csv() -> Any:
    errors: list[str] = []
    if request.method == "POST":
        upload = request.files.get("file")
        group = request.form.get("group", "").strip() or None
        if upload is None or not upload.filename:
            errors.append(_("Hãy chọn tệp CSV."))
        else:
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                errors.append(_("Tệp CSV phải lưu bằng mã hoá UTF-8."))
            else:
                try:
                    result = svc.import_stations(db.session(), svc.parse_stations_csv(text), group=group,
                                                 actor=actor())
                except BroadcastError as exc:
                    db.session().rollback()
                    errors.extend(str(exc).splitlines())
                else:
                    _regen(result.created + result.updated, "stations imported")
                    db.commit()
                    drain_later()
                    flash(_("Đã nhập %(c)d đài mới, cập nhật %(u)d đài.", c=len(result.created),
                            u=len(result.updated)), "ok")
                    return redirect(url_for("stations.index"))
    return render_template("station_import.html", errors=errors), (400 if errors else 200)


# --- groups ---------------------------------------------------------------------------------------


@bp.route("/groups", methods=["GET", "POST"])
@requires("stations.manage")
def groups() -> Any:
    errors: list[str] = []
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        if not name or len(name) > 120:
            errors.append(_("Tên nhóm không được trống (tối đa 120 ký tự)."))
        elif db.session().scalar(select(StationGroup).where(StationGroup.name == name)) is not None:
            errors.append(_("Nhóm '%(n)s' đã có.", n=name))
        else:
            db.session().add(StationGroup(name=name))
            audit("group.create", name)
            db.commit()
            flash(_("Đã tạo nhóm %(n)s.", n=name), "ok")
            return redirect(url_for("stations.groups"))
    s = db.session()
    return render_template(
        "groups.html",
        groups=s.scalars(select(StationGroup).order_by(StationGroup.name)).all(),
        stations=s.scalars(select(Station).order_by(Station.name)).all(),
        errors=errors,
    ), (400 if errors else 200)


@bp.post("/groups/<int:group_id>")
@requires("stations.manage")
def update_group(group_id: int) -> Response:
    grp = db.get_or_404(StationGroup, group_id)
    if request.form.get("action") == "delete":
        codes = [s.code for s in grp.stations]
        audit("group.delete", grp.name)
        db.session().delete(grp)
        _regen(codes, "group deleted")
        db.commit()
        drain_later()
        flash(_("Đã xoá nhóm."), "ok")
        return redirect(url_for("stations.groups"))
    wanted = set(request.form.getlist("stations"))
    members = db.session().scalars(select(Station).where(Station.code.in_(wanted))).all() if wanted else []
    before = {s.code for s in grp.stations}
    grp.stations = list(members)
    after = {s.code for s in grp.stations}
    if before != after:
        audit("group.members", grp.name, added=sorted(after - before), removed=sorted(before - after))
        _regen(sorted(before ^ after), "group changed")
        db.commit()
        drain_later()
    flash(_("Đã lưu nhóm %(n)s.", n=grp.name), "ok")
    return redirect(url_for("stations.groups"))


# --- relays ---------------------------------------------------------------------------------------


def _relay_fields(form: Any, errors: list[str]) -> dict[str, Any]:
    name = form.get("name", "").strip()
    url = form.get("stream_url", "").strip()
    if not name or len(name) > 200:
        errors.append(_("Tên chương trình tiếp sóng không được trống (tối đa 200 ký tự)."))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 500:
        errors.append(_("Địa chỉ luồng phải là một địa chỉ http:// hoặc https://."))
    try:
        h, _sep, m = form.get("start_time", "").partition(":")
        start = time(int(h), int(m))
    except ValueError:
        errors.append(_("Giờ bắt đầu không hợp lệ (dạng HH:MM)."))
        start = time(0, 0)
    try:
        duration = int(form.get("duration_min", ""))
        if not 1 <= duration <= 24 * 60:
            raise ValueError
    except ValueError:
        errors.append(_("Thời lượng phải là số phút từ 1 đến 1440."))
        duration = 0
    weekdays = "".join(sorted(d for d in set(form.getlist("weekdays")) if d in "1234567" and len(d) == 1))
    if not weekdays:
        errors.append(_("Hãy chọn ít nhất một ngày trong tuần."))
    station_id: int | None = None
    code = form.get("station", "").strip()
    if code:
        st = db.session().scalar(select(Station).where(Station.code == code))
        if st is None:
            errors.append(_("Không có đài mã '%(c)s'.", c=code))
        else:
            station_id = st.id
    return {"name": name, "stream_url": url, "start_time": start, "duration_min": duration,
            "weekdays": weekdays, "station_id": station_id}


def _relay_codes(relay: Relay) -> list[str] | None:
    if relay.station_id is None:
        return None
    st = db.session().get(Station, relay.station_id)
    return [st.code] if st else []


@bp.route("/relays", methods=["GET", "POST"])
@requires("stations.manage")
def relays() -> Any:
    errors: list[str] = []
    if request.method == "POST":
        fields = _relay_fields(request.form, errors)
        if not errors:
            relay = Relay(**fields)
            db.session().add(relay)
            db.session().flush()
            audit("relay.create", relay.name, start=relay.start_time.strftime("%H:%M"),
                  minutes=relay.duration_min, weekdays=relay.weekdays, url=relay.stream_url)
            _regen(_relay_codes(relay), "relay added")
            db.commit()
            drain_later()
            flash(_("Đã thêm chương trình tiếp sóng."), "ok")
            return redirect(url_for("stations.relays"))
    s = db.session()
    return render_template(
        "relays.html",
        relays=s.scalars(select(Relay).order_by(Relay.start_time)).all(),
        stations=s.scalars(select(Station).order_by(Station.name)).all(),
        errors=errors,
        v=request.form if request.method == "POST" else {},
    ), (400 if errors else 200)


@bp.post("/relays/<int:relay_id>/delete")
@requires("stations.manage")
def delete_relay(relay_id: int) -> Response:
    relay = db.get_or_404(Relay, relay_id)
    codes = _relay_codes(relay)
    audit("relay.delete", relay.name)
    db.session().delete(relay)
    _regen(codes, "relay removed")
    db.commit()
    drain_later()
    flash(_("Đã xoá chương trình tiếp sóng."), "ok")
    return redirect(url_for("stations.relays"))
