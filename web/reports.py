"""As-run reports: what aired, by station, bulletin and date range; CSV export; a bar chart of
minutes aired per commune drawn as SVG on the server (works offline, no chart library)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from sqlalchemy import or_, select

from broadcast import period_export
from broadcast.errors import BroadcastError
from broadcast.history import playback_history
from broadcast.models import AuditLog, Bulletin, Station
from broadcast.period_report import period_report, ratio
from broadcast.reports import (
    AIRING_LABELS,
    Airing,
    ReportRow,
    airings,
    asrun_report,
    csv_bytes,
    station_totals,
)
from web import db, paging
from web.auth import current_user, requires, scope
from web.i18n import date_error, parse_date, today

bp = Blueprint("reports", __name__, url_prefix="/reports")

#: Longest range one report covers, so a typo (year 2062) cannot make the server scan forever.
MAX_DAYS = 366


@dataclass(frozen=True)
class Filters:
    date_from: date
    date_to: date
    station: str
    bulletin_id: int | None
    #: Words the title must contain (any case), and one airing status (played, cut, …) or "".
    text: str = ""
    status: str = ""

    def query(self) -> dict[str, str]:
        q = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        if self.station:
            q["station"] = self.station
        if self.bulletin_id is not None:
            q["bulletin"] = str(self.bulletin_id)
        if self.text:
            q["q"] = self.text
        if self.status:
            q["status"] = self.status
        return q

    def matches(self, title: str) -> bool:
        return not self.text or self.text.casefold() in (title or "").casefold()


def _filters() -> tuple[Filters, list[str]]:
    errors = []
    end = today()
    start = end - timedelta(days=6)
    for name, label in (("from", _("Từ ngày")), ("to", _("Đến ngày"))):
        if not request.args.get(name, "").strip():
            continue
        try:
            if name == "from":
                start = parse_date(request.args[name])
            else:
                end = parse_date(request.args[name])
        except ValueError:
            errors.append(date_error(label))
    if end < start:
        errors.append(_("Ngày cuối (%(b)s) trước ngày đầu (%(a)s).", a=f"{start:%d/%m/%Y}", b=f"{end:%d/%m/%Y}"))
        start = end
    if (end - start).days >= MAX_DAYS:
        errors.append(_("Mỗi báo cáo tối đa %(n)d ngày.", n=MAX_DAYS))
        start = end - timedelta(days=MAX_DAYS - 1)
    bulletin_id: int | None = None
    raw = request.args.get("bulletin", "").strip()
    if raw:
        try:
            bulletin_id = int(raw)
        except ValueError:
            errors.append(_("Mã bản tin phải là số."))
    station = request.args.get("station", "").strip()
    if station and not _in_scope(station):
        abort(404)
    status = request.args.get("status", "")
    status = status if status in AIRING_LABELS else ""
    return Filters(start, end, station, bulletin_id, request.args.get("q", "").strip()[:200], status), errors


def _in_scope(code: str) -> bool:
    found = db.session().execute(select(Station.id, Station.unit_id).where(Station.code == code)).first()
    return found is not None and scope().covers(found.unit_id)


def _scoped_codes() -> set[str]:
    """The stations the user's units run: reports show only theirs."""
    return set(db.session().scalars(select(Station.code).where(scope().clause(Station.unit_id))))


def _rows(f: Filters) -> list[ReportRow]:
    rows = asrun_report(db.session(), f.date_from, f.date_to, f.station or None)
    codes = _scoped_codes()
    rows = [r for r in rows if r.station_code in codes]
    if f.bulletin_id is not None:
        rows = [r for r in rows if r.bulletin_id == f.bulletin_id]
    return [r for r in rows if f.matches(r.title)]


def minutes_chart(rows: list[ReportRow]) -> dict[str, Any]:
    """Horizontal bars of minutes aired per station: geometry for templates/chart_svg.html (an SVG document)."""
    totals = sorted(station_totals(rows), key=lambda r: (-r.minutes, r.station_name))
    label_w, bar_w, row_h = 220, 460, 26
    top = max((t.minutes for t in totals), default=0.0) or 1.0
    bars = [
        {"y": i * row_h, "w": round(t.minutes / top * bar_w, 1), "name": t.station_name, "code": t.station_code,
         "minutes": t.minutes, "aired": t.aired, "misses": t.misses}
        for i, t in enumerate(totals)
    ]
    return {"bars": bars, "label_w": label_w, "bar_w": bar_w, "row_h": row_h,
            "width": label_w + bar_w + 90, "height": max(row_h, len(bars) * row_h)}


#: Longest list of single airings shown on the page.
MAX_AIRINGS = 2000


def _hms(dt: datetime | None, tz: ZoneInfo) -> str:
    return dt.astimezone(tz).strftime("%H:%M:%S") if dt is not None else ""


def airing_rows(items: list[Airing], zones: dict[str, str]) -> list[dict[str, Any]]:
    """Each airing with its times on the station's clock and its status in words."""
    out = []
    for a in items:
        tz = ZoneInfo(zones.get(a.station_code, "Asia/Ho_Chi_Minh"))
        out.append({"day": a.day, "station_code": a.station_code, "station_name": a.station_name,
                    "title": a.title, "detail": a.detail,
                    "planned": _hms(a.planned_start, tz), "start": _hms(a.actual_start, tz),
                    "end": _hms(a.actual_end, tz), "status": _(AIRING_LABELS.get(a.status, a.status))})  # fmt: skip
    return out


@bp.get("/")
@requires("reports")
def index() -> Any:
    f, errors = _filters()
    s = db.session()
    stations = s.scalars(select(Station).where(scope().clause(Station.unit_id)).order_by(Station.name)).all()
    try:
        rows = _rows(f)
        found = airings(s, f.date_from, f.date_to, f.station or None, limit=MAX_AIRINGS)
        mine = {st.code for st in stations}
        found = [a for a in found if a.station_code in mine]
    except BroadcastError as exc:
        rows, found, errors = [], [], [*errors, exc.translate(_)]
    found = [a for a in found if (f.bulletin_id is None or a.bulletin_id == f.bulletin_id)
             and f.matches(a.title) and (not f.status or a.status == f.status)]
    page = paging.paginate_list(found, *paging.page_args())
    return render_template(
        "reports/reports.html",
        f=f,
        rows=rows,
        totals=station_totals(rows),
        chart=minutes_chart(rows),
        errors=errors,
        airings=airing_rows(page.items, {st.code: st.timezone for st in stations}),
        page=page,
        airing_labels={k: _(v) for k, v in AIRING_LABELS.items()},
        stations=stations,
        bulletins=s.scalars(select(Bulletin).where(scope().clause(Bulletin.unit_id))
                            .order_by(Bulletin.id.desc()).limit(300)).all(),
    ), (400 if errors else 200)


@bp.get("/asrun.csv")
@requires("reports")
def export_csv() -> Response:
    f, errors = _filters()
    if errors:
        abort(400)
    try:
        data = csv_bytes(_rows(f))
    except BroadcastError:
        abort(400)
    name = f"loa-asrun-{f.date_from.isoformat()}-{f.date_to.isoformat()}{'-' + f.station if f.station else ''}.csv"
    return Response(data, content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/chart.svg")
@requires("reports")
def chart_svg() -> Response:
    f, errors = _filters()
    if errors:
        abort(400)
    body = render_template("reports/chart_svg.html", chart=minutes_chart(_rows(f)), standalone=True)
    return Response(body, mimetype="image/svg+xml")


@bp.get("/audit")
@requires("reports")
def audit_log() -> str:
    """The audit log, newest first: search who/what, filter by action, in pages."""
    s = db.session()
    q = select(AuditLog).order_by(AuditLog.id.desc())
    actions = sorted(s.scalars(select(AuditLog.action).distinct()))
    action = request.args.get("action", "")
    if action in actions:
        q = q.where(AuditLog.action == action)
    else:
        action = ""
    text = request.args.get("q", "").strip()[:200]
    if text:
        pattern = paging.like(text)
        q = q.where(or_(AuditLog.actor.ilike(pattern, escape="\\"), AuditLog.target.ilike(pattern, escape="\\")))
    page = paging.paginate_query(s, q, *paging.page_args())
    return render_template("reports/audit.html", rows=page.items, page=page, q=text, action=action, actions=actions)


# --- report11: playback history of one station and day ---------------------------------------------


def _history_args() -> tuple[Station, date, time | None, list[str]]:
    """station (404 if unknown), day (default today, station clock) and the optional HH:MM."""
    mine = scope().clause(Station.unit_id)  # a unit's staff: its stations and those below only
    station = db.session().scalar(select(Station).where(Station.code == request.args.get("station", ""), mine))
    if station is None:
        station = db.session().scalar(select(Station).where(mine).order_by(Station.name))
        if station is None or request.args.get("station"):
            abort(404)
    errors: list[str] = []
    day = today(station.timezone)
    try:
        if request.args.get("day"):
            day = parse_date(request.args["day"])
    except ValueError:
        errors.append(date_error(_("Ngày")))
    at: time | None = None
    raw = request.args.get("at", "").strip()
    if raw:
        try:
            at = datetime.strptime(raw, "%H:%M").time()
        except ValueError:
            errors.append(_("Giờ phải có dạng HH:MM, ví dụ 04:12."))
    return station, day, at, errors


@bp.get("/history")
@requires("reports")
def history() -> Any:
    """What aired at a station on a day, and at one minute of it ("what aired at 04:12?")."""
    station, day, at, errors = _history_args()
    hist = playback_history(db.session(), station.code, day, at)
    stations = db.session().scalars(select(Station).where(scope().clause(Station.unit_id))
                                    .order_by(Station.name)).all()
    return render_template(
        "reports/history.html", hist=hist, station=station, stations=stations, day=day,
        at=request.args.get("at", "") if at else "", errors=errors,
        zone=ZoneInfo(station.timezone), fromiso=datetime.fromisoformat,
    ), (400 if errors else 200)  # fmt: skip


# --- report11: the periodic report for leadership (báo cáo định kỳ) ---------------------------------


def _period_args() -> tuple[date, date, str, str, list[str]]:
    """from, to (default: last month), unit code ("" every station), format, errors."""
    errors: list[str] = []
    first_this_month = today().replace(day=1)
    end = first_this_month - timedelta(days=1)
    start = end.replace(day=1)
    try:
        if request.args.get("from"):
            start = parse_date(request.args["from"])
        if request.args.get("to"):
            end = parse_date(request.args["to"])
    except ValueError:
        errors.append(date_error(_("Ngày")))
    fmt = request.args.get("format", "docx")
    if fmt not in period_export.FORMATS:
        errors.append(_("Định dạng không hợp lệ."))
    return start, end, _period_unit(request.args.get("unit", "").strip()), fmt, errors


def _period_unit(code: str) -> str:
    """The unit the report covers: one within the user's scope (another is not found), by
    default the user's own unit ("" for a user who sees every station)."""
    from broadcast import units

    user = current_user()
    if not code:
        unit = units.get_by_id(db.session(), user.unit_id) if user and user.unit_id is not None else None
        return unit.code if unit is not None and scope().unit_ids is not None else ""
    found = units.find(db.session(), code)
    if found is not None and not scope().covers(found.id):
        abort(404)
    return code


@bp.get("/period")
@requires("reports")
def period() -> Any:
    """The periodic report: the figures on the page, and the DOCX, XLSX or CSV to download."""
    from broadcast.models import Unit

    start, end, unit, fmt, errors = _period_args()
    rep = None
    if not errors:
        try:
            rep = period_report(db.session(), start, end, unit or None)
        except BroadcastError as exc:
            errors.append(exc.translate(_))
    units_list = db.session().scalars(select(Unit).where(Unit.merged_into_id.is_(None), scope().clause(Unit.id))
                                      .order_by(Unit.code)).all()
    return render_template(
        "reports/period.html", rep=rep, start=start, end=end, unit=unit, errors=errors, units=units_list,
        ratio=ratio, reasons_text=period_export.reasons_text,
    ), (400 if errors else 200)  # fmt: skip


@bp.get("/period/download")
@requires("reports")
def period_download() -> Any:
    start, end, unit, fmt, errors = _period_args()
    if errors:
        return period()
    try:
        rep = period_report(db.session(), start, end, unit or None)
    except BroadcastError:
        return period()
    head = period_export.letterhead_from(db.settings(), rep, today())
    data = period_export.export(rep, fmt, head)
    name = period_export.file_name(rep, fmt)
    return Response(data, content_type=period_export.MIMETYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
