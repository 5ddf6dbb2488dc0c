"""The review queue and emergency broadcasts.

Approval goes through ``broadcast.bulletins.approve`` (which writes the transition, the audit row
and the playlist regeneration request); the panel then renders the audio and drains the
regeneration requests in a background job, so the new playlists exist without the scheduler
daemon. An emergency is never sent by one click: it has its own confirmation page.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from broadcast import bulletins as svc
from broadcast.errors import BroadcastError
from broadcast.models import Bulletin, BulletinStatus, Priority
from web import db
from web.auth import actor, requires, scope, scoped_or_404
from web.bulletins import (
    clarity_context,
    form_choices,
    list_checks,
    parse_form,
    save_recording,
    start_render,
    uploaded_recording,
)
from web.i18n import today
from web.settings import picker

bp = Blueprint("review", __name__, url_prefix="/review")


def not_airing_today(valid_from: Any, valid_to: Any) -> str | None:
    """Why an emergency with these dates cannot go on air now, or None (the rule is the service's)."""
    if valid_from is None or valid_to is None:
        return None
    try:
        svc.check_airs_today(Priority.EMERGENCY, valid_from, valid_to, today())
    except BroadcastError as exc:
        return exc.translate(_)
    return None


@bp.get("/")
@requires("review")
def queue() -> str:
    rows = db.session().scalars(select(Bulletin).where(Bulletin.status == BulletinStatus.SUBMITTED,
                                                       scope().clause(Bulletin.unit_id))).all()
    rows = sorted(rows, key=lambda b: (b.priority.rank, b.updated_at, b.id))
    from broadcast import cap

    return render_template("review/review_queue.html", bulletins=rows,
                           checks=list_checks(rows),
                           threshold=db.settings().clarity_threshold,
                           cap_untargeted=cap.needing_targets(db.session(), [b.id for b in rows]))


@bp.get("/<int:bulletin_id>")
@requires("review")
def detail(bulletin_id: int) -> str:
    b = scoped_or_404(Bulletin, bulletin_id)
    return render_template(
        "review/review.html", b=b, targets=svc.target_station_names(db.session(), b, with_codes=True),
        upload=uploaded_recording(b), job=request.args.get("job", ""), voices=picker(b.voice),
        **clarity_context(b),
        **_cap_context(b),
    )


@bp.post("/<int:bulletin_id>/approve")
@requires("review")
def approve(bulletin_id: int) -> Response:
    b = scoped_or_404(Bulletin, bulletin_id)
    comment = request.form.get("comment", "").strip()[:2000]
    if b.priority == Priority.EMERGENCY and (why := not_airing_today(b.valid_from, b.valid_to)):
        flash(why, "error")
        return redirect(url_for("review.detail", bulletin_id=b.id))
    if b.priority == Priority.EMERGENCY and request.form.get("confirm") != "yes":
        return redirect(url_for("review.confirm_emergency", bulletin_id=b.id, comment=comment or None))
    try:
        svc.approve(db.session(), b, actor(), comment, today=today(),
                    listened=request.form.get("listened") == "yes", settings=db.settings())
        db.commit()
    except BroadcastError as exc:
        db.session().rollback()
        flash(exc.translate(_), "error")
        return redirect(url_for("review.detail", bulletin_id=b.id))
    job = start_render(b.id, regenerate=True, emergency=b.priority == Priority.EMERGENCY)
    if b.priority == Priority.EMERGENCY:
        flash(_("Đã phát lệnh khẩn cấp. Các đài sẽ nhận lịch phát mới trong vòng một phút."), "ok")
    else:
        flash(_("Đã duyệt bản tin. Đang tạo âm thanh và cập nhật lịch phát."), "ok")
    return redirect(url_for("bulletins.detail", bulletin_id=b.id, job=job))


@bp.post("/<int:bulletin_id>/voice")
@requires("review")
def set_voice(bulletin_id: int) -> Response:
    """The reviewer picks another voice: the bulletin is changed (audited) and rendered again."""
    b = db.get_or_404(Bulletin, bulletin_id)
    try:
        svc.update_bulletin(db.session(), b, actor=actor(), settings=db.settings(), voice=request.form.get("voice", ""))
        db.commit()
    except BroadcastError as exc:
        db.session().rollback()
        flash(exc.translate(_), "error")
        return redirect(url_for("review.detail", bulletin_id=b.id))
    job = start_render(b.id, regenerate=False)
    flash(_("Đã đổi giọng đọc. Đang tạo lại âm thanh."), "ok")
    return redirect(url_for("review.detail", bulletin_id=b.id, job=job))


@bp.post("/<int:bulletin_id>/reject")
@requires("review")
def reject(bulletin_id: int) -> Response:
    b = scoped_or_404(Bulletin, bulletin_id)
    try:
        svc.reject(db.session(), b, actor(), request.form.get("comment", "").strip()[:2000])
        db.commit()
    except BroadcastError as exc:
        db.session().rollback()
        flash(exc.translate(_), "error")
        return redirect(url_for("review.detail", bulletin_id=b.id))
    flash(_("Đã trả bản tin về cho người viết."), "ok")
    return redirect(url_for("review.queue"))


@bp.get("/<int:bulletin_id>/emergency")
@requires("emergency")
def confirm_emergency(bulletin_id: int) -> Any:
    """The second step of every emergency: "Xác nhận phát khẩn cấp"."""
    b = scoped_or_404(Bulletin, bulletin_id)
    if b.priority != Priority.EMERGENCY or b.status != BulletinStatus.SUBMITTED:
        abort(404)
    return render_template(
        "review/emergency_confirm.html",
        b=b,
        targets=svc.target_station_names(db.session(), b, with_codes=True),
        upload=uploaded_recording(b),
        comment=request.args.get("comment", ""),
        **clarity_context(b),
    )


@bp.route("/emergency", methods=["GET", "POST"])
@requires("emergency")
def emergency() -> Any:
    """Write an emergency bulletin. Saving it only prepares it; the confirmation page sends it."""
    errors: list[str] = []
    start, end = svc.default_validity(today(), Priority.EMERGENCY)
    values: dict[str, Any] = {
        "valid_from": start.isoformat(), "valid_to": end.isoformat(), "plays_per_day": "3",
        "target_kind": "all", "stations": [], "speech_rate": "1.0",
    }
    if request.method == "POST":
        values = dict(request.form.to_dict())
        values["stations"] = request.form.getlist("stations")
        parsed = parse_form(request.form)
        errors = parsed.errors
        if why := not_airing_today(parsed.fields["valid_from"], parsed.fields["valid_to"]):
            errors.append(why)
        fields = {**parsed.fields, "priority": Priority.EMERGENCY.value}
        recording: Path | None = None
        rec = request.files.get("recording")
        if rec is not None and rec.filename:
            recording = save_recording(rec, errors)
        if not errors:
            try:
                b = svc.create_bulletin(db.session(), recording=recording, actor=actor(),
                                        settings=db.settings(), **fields)
                svc.submit(db.session(), b, actor(), "khẩn cấp", today=today())
                db.commit()
            except BroadcastError as exc:
                db.session().rollback()
                errors.append(exc.translate(_))
            else:
                start_render(b.id, regenerate=False, emergency=True)  # audio ready by the time it is confirmed
                return redirect(url_for("review.confirm_emergency", bulletin_id=b.id))
            finally:
                if recording is not None:
                    shutil.rmtree(recording.parent, ignore_errors=True)
    return render_template("review/emergency_form.html", v=values, errors=errors, **form_choices()), (400 if errors else 200)


# --- cap11: a bulletin made from a CAP alert, and the reviewer's targeting of it ----------------


def _cap_context(b: Bulletin) -> dict[str, Any]:
    from broadcast import cap

    row = cap.alert_for_bulletin(db.session(), b.id)
    return {"cap": row, "cap_stations": form_choices()["stations"] if row is not None and row.needs_targeting else []}


@bp.post("/<int:bulletin_id>/cap-target")
@requires("review")
def cap_target(bulletin_id: int) -> Response:
    """The stations for an alert whose areas matched no unit (the service clears the mark)."""
    from broadcast import cap

    b = scoped_or_404(Bulletin, bulletin_id)
    try:
        cap.target(db.session(), b, request.form.getlist("stations"), actor=actor())
        db.commit()
    except BroadcastError as exc:
        db.session().rollback()
        flash(exc.translate(_), "error")
    else:
        flash(_("Đã chọn đài nhận cảnh báo."), "ok")
    return redirect(url_for("review.detail", bulletin_id=b.id))
