"""Writing bulletins: the form, pasting from .txt/.docx, an uploaded recording instead of text,
the "what will be read" text, background audio previews, and submitting for review.

Every rule about bulletins lives in ``broadcast.bulletins``; this module turns form fields into
its arguments and its Vietnamese errors back into the form.
"""

from __future__ import annotations

import io
import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import or_, select
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from broadcast import bulletins as svc
from broadcast import clarity, inbox, units
from broadcast import versions as versions_svc
from broadcast.errors import BroadcastError
from broadcast.languages import LANGUAGES
from broadcast.languages import label as language_label
from broadcast.models import Bulletin, BulletinStatus, MediaFile, Priority, Station, StationGroup
from broadcast.versions import list_versions
from pipeline.render import normalize_preview
from pipeline.types import PipelineError
from web import db, paging
from web.auth import actor, can, requires, scope, scoped_or_404
from web.i18n import date_error, parse_date, today
from web.jobs import ProgressFn, ThreadJobQueue, UnknownJob
from web.settings import picker

log = logging.getLogger(__name__)

bp = Blueprint("bulletins", __name__, url_prefix="/bulletins")

RATES = ("0.8", "0.9", "1.0", "1.1", "1.2")
EDITABLE = svc.EDITABLE_STATUSES
SCRIPT_SUFFIXES = {".txt", ".docx"}


# --- reading uploaded scripts ------------------------------------------------------------------


def script_from_upload(filename: str, data: bytes) -> str:
    """The text of an uploaded .txt (UTF-8 or UTF-16 with BOM) or .docx, paragraphs on their own lines."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".docx":
        return _docx_text(data)
    if suffix == ".txt":
        try:
            if data.startswith((b"\xff\xfe", b"\xfe\xff")):
                return data.decode("utf-16")
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BroadcastError(
                "Tệp '%(f)s' không phải văn bản UTF-8: hãy lưu lại với mã hoá UTF-8.", f=filename
            ) from None
    raise BroadcastError("Chỉ nhận tệp văn bản .txt hoặc .docx.")


def _docx_text(data: bytes) -> str:
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception:  # python-docx raises many types for a file that is not a .docx
        raise BroadcastError("Không đọc được tệp .docx: tệp hỏng hoặc không phải tài liệu Word.") from None
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = [c.text.strip() for c in row.cells]
                lines.append(" | ".join(dict.fromkeys(c for c in cells if c)))
        else:
            lines.append(block.text.strip())
    return "\n".join(lines).strip()


# --- the form ----------------------------------------------------------------------------------


@dataclass
class FormResult:
    fields: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _date(value: str, label: str, errors: list[str]) -> date | None:
    try:
        return parse_date(value)
    except ValueError:
        errors.append(date_error(label))
        return None


def parse_form(form: Any) -> FormResult:
    """Form fields → keyword arguments of create_bulletin/update_bulletin, or Vietnamese errors."""
    res = FormResult()
    errors = res.errors
    title = form.get("title", "").strip()
    body = form.get("body", "").replace("\r\n", "\n")
    valid_from = _date(form.get("valid_from", ""), _("Ngày bắt đầu"), errors)
    valid_to = _date(form.get("valid_to", ""), _("Ngày kết thúc"), errors)
    try:
        plays = int(form.get("plays_per_day", "1"))
    except ValueError:
        errors.append(_("Số lần phát mỗi ngày phải là số nguyên."))
        plays = 1
    try:
        rate = float(form.get("speech_rate", "1.0").replace(",", "."))
    except ValueError:
        errors.append(_("Tốc độ đọc không hợp lệ."))
        rate = 1.0
    voice = form.get("voice", "")
    priority = form.get("priority", "normal")
    if priority == "emergency" and not can("emergency"):
        errors.append(_("Chỉ người duyệt mới gửi được tin khẩn cấp; hãy chọn mức khác."))
    target = form.get("target_kind", "all")
    codes: list[str] = []
    group: str | None = None
    if target == "stations":
        codes = form.getlist("stations")
        if not codes:
            errors.append(_("Hãy chọn ít nhất một đài."))
    elif target == "group":
        group = form.get("group", "").strip() or None
        if group is None:
            errors.append(_("Hãy chọn một nhóm đài."))
    elif target != "all":
        errors.append(_("Đối tượng phát không hợp lệ."))
    res.fields = {
        "title": title,
        "body": body,
        "category": form.get("category", "").strip(),
        "issuer": form.get("issuer", "").strip(),
        "priority": priority,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "plays_per_day": plays,
        "station_codes": codes,
        "group": group,
        "voice": voice,
        "speech_rate": rate,
    }
    return res


def check_length(body: str, errors: list[str]) -> None:
    """Refuse a script longer than max_text_chars when it is read into the form (the service
    refuses it again, with the same words, when it is saved)."""
    try:
        svc.check_script(body, db.settings())
    except BroadcastError as exc:
        errors.append(exc.translate(_))


def form_choices(voice: str = "") -> dict[str, Any]:
    """The form's lists; ``voice``: the bulletin's own voice, kept in the picker."""
    s = db.session()
    return {
        "stations": s.scalars(select(Station).where(Station.active.is_(True), scope().clause(Station.unit_id))
                              .order_by(Station.name)).all(),
        "groups": s.scalars(select(StationGroup).order_by(StationGroup.name)).all(),
        "voices": picker(voice),
        "rates": RATES,
    }


def _form_values(b: Bulletin | None) -> dict[str, Any]:
    """What the form shows: the posted values after an error, else the bulletin, else defaults."""
    if request.method == "POST":
        v: dict[str, Any] = dict(request.form.to_dict())
        v["stations"] = request.form.getlist("stations")
        return v
    if b is None:
        start, end = svc.default_validity(today(), "normal")
        return {"valid_from": start.isoformat(), "valid_to": end.isoformat(),
                "plays_per_day": "1", "speech_rate": "1.0", "priority": "normal", "target_kind": "all",
                "stations": []}
    return {
        "title": b.title, "body": b.body, "category": b.category, "issuer": b.issuer,
        "priority": b.priority.value, "valid_from": b.valid_from.isoformat(), "valid_to": b.valid_to.isoformat(),
        "plays_per_day": str(b.plays_per_day), "speech_rate": f"{b.speech_rate:.1f}", "voice": b.voice,
        "target_kind": b.target_kind.value, "group": b.target_group.name if b.target_group else "",
        "stations": [s.code for s in b.target_stations],
    }


def save_recording(upload: FileStorage, errors: list[str]) -> Path | None:
    """Put an uploaded recording in a temporary folder and check it is audio the pipeline can read."""
    name = secure_filename(upload.filename or "") or "recording"
    tmp_dir = Path(tempfile.mkdtemp(prefix="upload-", dir=_tmp_root()))
    path = tmp_dir / name
    upload.save(path)
    try:
        if not svc.is_audio_file(path):  # probed (decoded) once, by the service when it is saved
            raise PipelineError(_("Tệp '%(f)s' không phải tệp âm thanh.", f=upload.filename))
    except PipelineError as exc:
        errors.append(_("Tệp ghi âm không dùng được: %(e)s", e=str(exc)))
        shutil.rmtree(tmp_dir, ignore_errors=True)
        return None
    return path


def _tmp_root() -> Path:
    root = db.settings().data_dir / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _script_upload(form_fields: dict[str, Any], errors: list[str]) -> bool:
    """Fill the body from an uploaded .txt/.docx if one was sent. True if it was."""
    upload = request.files.get("script_file")
    if upload is None or not upload.filename:
        return False
    try:
        form_fields["body"] = script_from_upload(upload.filename, upload.read())
    except BroadcastError as exc:
        errors.append(exc.translate(_))
    else:
        check_length(form_fields["body"], errors)
    return True


def _editor_form(b: Bulletin | None) -> Any:
    """GET shows the form; POST with action=load only reads the script file into it; any other
    POST saves (creating or updating the draft)."""
    errors: list[str] = []
    values = _form_values(b)
    if request.method == "POST":
        parsed = parse_form(request.form)
        errors = parsed.errors
        loaded = _script_upload(parsed.fields, errors)
        if loaded:
            values["body"] = parsed.fields["body"]
        if request.form.get("action") == "load":
            if not loaded:
                errors = [_("Hãy chọn tệp .txt hoặc .docx để đọc vào ô nội dung.")]
            elif not errors:
                flash(_("Đã đọc nội dung từ tệp. Kiểm tra lại rồi bấm Lưu."), "ok")
            return _render_form(b, values, errors)
        recording: Path | None = None
        rec = request.files.get("recording")
        if rec is not None and rec.filename:
            recording = save_recording(rec, errors)
        if not errors:
            try:
                b = _store(b, parsed.fields, recording)
            except BroadcastError as exc:
                db.session().rollback()
                errors.append(exc.translate(_))
            finally:
                if recording is not None:
                    shutil.rmtree(recording.parent, ignore_errors=True)
        if not errors and b is not None:
            if request.form.get("action") == "submit":
                return _submit(b)
            flash(_("Đã lưu bản nháp."), "ok")
            return redirect(url_for("bulletins.detail", bulletin_id=b.id))
    return _render_form(b, values, errors)


def _render_form(b: Bulletin | None, values: dict[str, Any], errors: list[str]) -> Any:
    choices = form_choices(str(values.get("voice") or ""))
    return render_template("bulletins/bulletin_form.html", b=b, v=values, errors=errors, **choices), (
        400 if errors else 200
    )


def _store(b: Bulletin | None, fields: dict[str, Any], recording: Path | None) -> Bulletin:
    settings = db.settings()
    if b is None:
        b = svc.create_bulletin(db.session(), recording=recording, actor=actor(), settings=settings, **fields)
    else:
        extra: dict[str, Any] = {"recording": recording} if recording else {}
        svc.edit_bulletin(db.session(), b, actor=actor(), settings=settings, **fields, **extra)
    db.commit()
    return b


def _submit(b: Bulletin) -> Any:
    try:
        svc.submit(db.session(), b, actor(), today=today())
        db.commit()
    except BroadcastError as exc:
        db.session().rollback()
        flash(exc.translate(_), "error")
        return redirect(url_for("bulletins.detail", bulletin_id=b.id))
    if b.media_sha256 is None:
        start_render(b.id, regenerate=False,  # so the reviewer finds the audio ready to hear
                     emergency=b.priority == Priority.EMERGENCY)
    flash(_("Đã gửi bản tin đi duyệt."), "ok")
    return redirect(url_for("bulletins.detail", bulletin_id=b.id))


# --- pages ---------------------------------------------------------------------------------------


@bp.get("/")
@requires("bulletins.view")
def index() -> Any:
    status = request.args.get("status", "")
    q = select(Bulletin).where(scope().clause(Bulletin.unit_id)).order_by(Bulletin.updated_at.desc(), Bulletin.id.desc())
    if status in {s.value for s in BulletinStatus}:
        q = q.where(Bulletin.status == BulletinStatus(status))
    else:
        status = ""
        q = q.where(Bulletin.status != BulletinStatus.ARCHIVED)
    priority = request.args.get("priority", "")
    if priority in {p.value for p in Priority}:
        q = q.where(Bulletin.priority == Priority(priority))
    else:
        priority = ""
    text = request.args.get("q", "").strip()[:200]
    if text:
        pattern = paging.like(text)
        q = q.where(or_(Bulletin.title.ilike(pattern, escape="\\"), Bulletin.issuer.ilike(pattern, escape="\\"),
                        Bulletin.category.ilike(pattern, escape="\\"), Bulletin.created_by.ilike(pattern, escape="\\")))
    page = paging.paginate_query(db.session(), q, *paging.page_args())
    rows = page.items
    return render_template("bulletins/bulletins.html", bulletins=rows, status=status, priority=priority, q=text,
                           page=page, checks=list_checks(rows), threshold=db.settings().clarity_threshold)


@bp.route("/new", methods=["GET", "POST"])
@requires("bulletins.write")
def new() -> Any:
    return _editor_form(None)


def uploaded_recording(b: Bulletin) -> MediaFile | None:
    """The recording a bulletin was made from, to play before any render."""
    return db.session().get(MediaFile, b.upload_sha256) if b.upload_sha256 else None


@bp.get("/<int:bulletin_id>")
@requires("bulletins.view")
def detail(bulletin_id: int) -> Any:
    b = db.get_or_404(Bulletin, bulletin_id)
    own = scope().covers(b.unit_id)
    if not own and not any(scope().covers(uid) for uid in inbox.receivers(db.session(), b)):
        abort(404)  # neither its own unit's nor one that came to its inbox
    return render_template(
        "bulletins/bulletin.html",
        b=b,
        targets=svc.target_station_names(db.session(), b, with_codes=True),
        upload=uploaded_recording(b),
        editable=own and b.status in EDITABLE and can("bulletins.write"),
        own=own,
        sender_unit=units.get_by_id(db.session(), b.unit_id).name if b.unit_id is not None else "",
        job=request.args.get("job", ""),
        version_job=request.args.get("version_job", ""),
        **clarity_context(b),
        versions=list_versions(db.session(), b.id), known_languages=LANGUAGES,
    )


@bp.route("/<int:bulletin_id>/edit", methods=["GET", "POST"])
@requires("bulletins.write")
def edit(bulletin_id: int) -> Any:
    b = scoped_or_404(Bulletin, bulletin_id)
    try:
        svc.check_editable(b)
    except BroadcastError as exc:
        flash(exc.translate(_), "error")
        return redirect(url_for("bulletins.detail", bulletin_id=b.id))
    return _editor_form(b)


@bp.post("/<int:bulletin_id>/submit")
@requires("bulletins.write")
def submit(bulletin_id: int) -> Any:
    return _submit(scoped_or_404(Bulletin, bulletin_id))


@bp.post("/<int:bulletin_id>/archive")
@requires("bulletins.view")
def archive(bulletin_id: int) -> Any:
    """Withdraw: editors withdraw what is not on air yet; taking an approved one off air is a reviewer's call."""
    b = scoped_or_404(Bulletin, bulletin_id)
    allowed = can("review") if b.status == BulletinStatus.APPROVED else can("bulletins.write") or can("review")
    if not allowed:
        abort(403)
    try:
        svc.archive(db.session(), b, actor(), request.form.get("comment", "").strip()[:2000])
        db.commit()
    except BroadcastError as exc:
        db.session().rollback()
        flash(exc.translate(_), "error")
    else:
        drain_later()
        flash(_("Đã thu hồi bản tin."), "ok")
    return redirect(url_for("bulletins.detail", bulletin_id=b.id))


# --- JSON: normalized text, previews, job status ---------------------------------------------------


@bp.post("/normalize")
@requires("bulletins.view")
def normalize() -> Any:
    """The "what will be read" text for the text in the form (not yet saved)."""
    data = request.get_json(silent=True) or {}
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(text, str):
        return jsonify({"error": _("Thiếu văn bản."), "code": "bad_request"}), 400
    try:
        return jsonify({"normalized": normalize_preview(text, db.settings().max_text_chars, db.settings().lexicon_path)})
    except PipelineError as exc:
        return jsonify({"error": str(exc), "code": "invalid_text"}), 400


# --- clarity checks ------------------------------------------------------------------------------


def check_later(app: Flask, sha256: str) -> str | None:
    """Queue the clarity check of a rendered MP3 (``broadcast.clarity.run_check``) on the panel's
    clarity queue. Which process runs it is decided in the database (``clarity.claim``: one of
    several ``loa serve`` processes); the set only spares this process queueing a file twice."""
    queued: set[str] = app.extensions.setdefault("loa_clarity_queued", set())
    if sha256 in queued:
        return None
    queued.add(sha256)
    settings = app.config["LOA_SETTINGS"]

    q: ThreadJobQueue = app.extensions["loa_clarity_jobs"]
    own_thread = q is not app.extensions["loa_jobs"]

    def run(_progress: ProgressFn) -> dict[str, Any] | None:
        if own_thread:
            _lower_priority()
        try:
            return clarity.run_check(db.factory(app), sha256, settings)
        finally:
            queued.discard(sha256)

    return q.submit(run, name=f"clarity {sha256[:12]}")


def _lower_priority() -> None:
    """Nice the clarity queue's own thread (Linux: per thread, inherited by the recognizer's ONNX
    threads it starts), so renders and emergencies get the CPU first."""
    import contextlib
    import os
    import threading

    with contextlib.suppress(AttributeError, OSError):  # not on this platform, or already lower
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


def list_checks(rows: Any) -> dict[str, Any]:
    """The checks of a list's renders, by sha256; those still waiting are queued (once each), so a
    render made where no check ran (the demo, the CLI) is checked by the panel alone."""
    checks = clarity.checks_for(db.session(), (b.media_sha256 for b in rows))
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    for sha, check in checks.items():
        if check.status == "pending":
            check_later(app, sha)
    return checks


def _spoke(meta: dict[str, Any]) -> dict[str, str]:
    """The voice a render's metadata names, with the picker's name for it when it has one."""
    from broadcast.voices import voice_options

    engine, voice = str(meta.get("engine", "")), str(meta.get("voice", ""))
    if engine == "recording":
        return {"engine": engine, "voice": "", "name": _("Bản ghi âm")}
    names = {v.id: v.name for v in voice_options(db.settings())}
    return {"engine": engine, "voice": voice, "name": names.get(f"{engine}:{voice}", "")}


def clarity_context(b: Bulletin) -> dict[str, Any]:
    """What the review and bulletin pages show beside the audio: the check of the current render
    (queued now if it is still waiting and nothing runs it), the voice that spoke, whether it was
    the espeak-ng fallback, and whether approving needs "Tôi đã nghe bản đọc này"."""
    check = clarity.check_for(db.session(), b)
    if check is not None and check.status == "pending":
        check_later(current_app._get_current_object(), check.sha256)  # type: ignore[attr-defined]
    meta = (b.media.meta or {}) if b.media is not None else {}
    threshold = db.settings().clarity_threshold
    return {
        "clarity": check,
        "spoke": _spoke(meta) if meta else None,
        "fallback_voice": meta.get("engine") == "espeak",
        "threshold": threshold,
        "must_listen": clarity.below(check, threshold) and b.priority.value != "emergency",
    }


def drain_later() -> None:
    """Ask for the playlist regeneration requests to be handled now, in the background. With Redis
    the scheduler alone publishes (its drain runs every few seconds behind its claim)."""
    from broadcast.tasks import DRAIN

    if not db.settings().redis_url:
        db.jobs().enqueue(DRAIN, name="regenerate playlists")


def start_render(bulletin_id: int, *, regenerate: bool, emergency: bool = False) -> str:
    """Queue the bulletin's render (in this process, or for `loa worker` when Redis is set);
    an emergency's jumps the queue."""
    from broadcast.tasks import enqueue_render

    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def then(result: dict[str, Any]) -> None:  # in process: the check on its own thread, afterwards
        if result.get("sha256") and app.config["LOA_SETTINGS"].clarity_check:
            check_later(app, result["sha256"])

    return enqueue_render(db.jobs(), bulletin_id, regenerate=regenerate, emergency=emergency, factory=db.factory(),
                          then=then)


@bp.post("/<int:bulletin_id>/preview")
@requires("bulletins.view")
def preview(bulletin_id: int) -> Any:
    if not (can("bulletins.write") or can("review")):
        abort(403)
    b = scoped_or_404(Bulletin, bulletin_id)
    job_id = start_render(b.id, regenerate=b.status == BulletinStatus.APPROVED,
                          emergency=b.priority == Priority.EMERGENCY)
    return jsonify({"job": job_id, "status_url": url_for("bulletins.job_status", job_id=job_id)}), 202


@bp.get("/jobs/<job_id>")
@requires("bulletins.view")
def job_status(job_id: str) -> Any:
    try:
        st = db.jobs().status(job_id)
    except UnknownJob:
        return jsonify({"error": _("Không tìm thấy công việc này."), "code": "not_found"}), 404
    out: dict[str, Any] = {"state": st.state, "progress": round(st.progress, 3), "error": st.error}
    if st.state == "done" and isinstance(st.result, dict) and st.result.get("sha256"):
        out["sha256"] = st.result["sha256"]
        out["duration_s"] = st.result.get("duration_s")
        out["audio_url"] = url_for("media.media", sha256=st.result["sha256"])
    return jsonify(out)


@bp.app_template_filter("normalized")
def normalized_filter(text: str) -> str:
    """The "what will be read" text for a page; the pipeline's reason if it cannot be read."""
    try:
        return normalize_preview(text, db.settings().max_text_chars, db.settings().lexicon_path)
    except PipelineError as exc:
        return str(exc)


# --- report11: versions in minority languages (Decree 49) -------------------------------------------


@bp.post("/<int:bulletin_id>/versions")
@requires("bulletins.write")
def add_version(bulletin_id: int) -> Any:
    """Add (or replace) a version: a recording, or a text with the voice that speaks the language.
    Saved now; rendered on the job queue like the main render, its progress on the page."""
    from broadcast.tasks import VERSION

    b = db.get_or_404(Bulletin, bulletin_id)
    errors: list[str] = []
    upload = request.files.get("recording")
    recording = save_recording(upload, errors) if upload is not None and upload.filename else None
    job = ""
    if not errors:
        try:
            v = versions_svc.save_version(
                db.session(), db.settings(), b.id, request.form.get("language", ""),
                text=request.form.get("text", ""), recording=recording, voice=request.form.get("voice", ""),
                actor=actor(),
            )  # fmt: skip
            db.commit()
            lang = language_label(v.language)
            job = db.jobs().enqueue(VERSION, name=f"version #{b.id} {v.language}", version_id=v.id)
            flash(_("Đã lưu bản %(lang)s; đang tạo âm thanh.", lang=lang), "ok")
        except BroadcastError as exc:
            db.session().rollback()
            errors.append(exc.translate(_))
    if recording is not None:
        shutil.rmtree(recording.parent, ignore_errors=True)
    for e in errors:
        flash(e, "error")
    return redirect(url_for("bulletins.detail", bulletin_id=b.id, version_job=job or None))


@bp.post("/<int:bulletin_id>/versions/<language>/delete")
@requires("bulletins.write")
def delete_version(bulletin_id: int, language: str) -> Any:
    b = db.get_or_404(Bulletin, bulletin_id)
    try:
        versions_svc.remove_version(db.session(), b.id, language, actor=actor())
        db.commit()
        flash(_("Đã xoá bản %(lang)s.", lang=language_label(language)), "ok")
    except BroadcastError as exc:
        db.session().rollback()
        flash(exc.translate(_), "error")
    return redirect(url_for("bulletins.detail", bulletin_id=b.id))
