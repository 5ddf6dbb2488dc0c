"""The Flask application factory: settings, database, extensions, blueprints, error pages."""

from __future__ import annotations

import dataclasses
import importlib
import logging
import os
import secrets
from datetime import time, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from broadcast.db import init_db, session_factory
from loa import config
from loa.config import Settings
from web import auth, db, i18n, paging
from web.extensions import babel, csrf, limiter
from web.jobs import InlineJobQueue, JobQueue, ThreadJobQueue
from web.shared import redis_secret_key

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
BLUEPRINTS = ("auth", "bulletins", "review", "stations", "schedule", "media", "reports", "api", "public",
              "settings", "inbox", "dashboard", "status",
              "account", "library", "week")
PANEL_BLUEPRINTS = frozenset({"auth", "bulletins", "review", "stations", "schedule", "reports", "settings", "inbox",
                              "dashboard", "status", "account", "library", "week"})

#: Titles and explanations of the error pages, Vietnamese first.
ERRORS: dict[int, tuple[Any, Any]] = {
    400: (_l("Yêu cầu không hợp lệ"), _l("Dữ liệu gửi lên không đúng dạng. Hãy tải lại trang rồi thử lại.")),
    401: (_l("Cần đăng nhập"), _l("Bạn cần đăng nhập để làm việc này.")),
    403: (_l("Không có quyền"), _l("Tài khoản của bạn không có quyền làm việc này.")),
    404: (_l("Không tìm thấy"), _l("Trang hoặc mục bạn tìm không có, hoặc đã bị xoá.")),
    405: (_l("Không được phép"), _l("Trang này không nhận kiểu yêu cầu đó.")),
    413: (_l("Tệp hoặc biểu mẫu quá lớn"), _l("Dữ liệu gửi lên vượt quá giới hạn cho phép.")),
    429: (_l("Thử quá nhiều lần"), _l("Bạn đã thử quá nhiều lần. Hãy đợi một phút rồi thử lại.")),
    500: (_l("Lỗi hệ thống"), _l("Đã có lỗi ngoài dự kiến. Việc vừa làm chưa được lưu. Hãy thử lại sau.")),
}
CSRF_MESSAGE = _l("Biểu mẫu đã hết hạn hoặc thiếu mã bảo vệ. Hãy tải lại trang rồi gửi lại.")


def _secret_key(settings: Settings) -> str:
    """settings.secret_key; else, with Redis, one shared through it; else one generated on first start
    and kept (0600) in the data folder."""
    if settings.secret_key:
        return settings.secret_key
    if settings.redis_url:  # several machines: one key for all, or a login on one is unknown to the next
        return redis_secret_key(settings.redis_url)
    path = settings.data_dir / "secret_key"
    try:
        return path.read_text("utf-8").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".secret_key.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secrets.token_hex(32))
    try:
        # A hard link never replaces: if another process (the scheduler, a second worker) wrote its
        # key first, everyone uses that one, complete because it was written before being linked.
        os.link(tmp, path)
    except FileExistsError:
        pass
    except OSError:  # no hard links here (FAT/exFAT drive, some network shares): first writer wins
        if not path.exists():
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text("utf-8").strip()


def _wants_json() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def _error_response(code: int, message: str | None = None) -> Any:
    title, text = ERRORS.get(code, ERRORS[500])
    if _wants_json():
        return jsonify({"error": message or str(text), "code": str(code)}), code
    return render_template("error.html", code=code, title=str(title), text=str(text), message=message), code


def _register_errors(app: Flask) -> None:
    def http_error(exc: HTTPException) -> Any:
        code = exc.code or 500
        if code not in ERRORS:
            code = 500 if code >= 500 else 400
        response = make_response(_error_response(code))
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:  # a 405 must say what is allowed
            response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        return response

    def csrf_error(_exc: CSRFError) -> Any:
        return _error_response(400, str(CSRF_MESSAGE))

    def unexpected(exc: Exception) -> Any:
        log.exception("unhandled error on %s %s", request.method, request.path)
        session = g.get("db_session")
        try:
            if session is not None:
                session.rollback()
            return _error_response(500)
        except Exception:  # the database itself may be what failed: a page without the user menu
            log.exception("error page failed; showing the plain one")
            g.user = None
            try:
                return _error_response(500)
            except Exception:
                return Response(str(ERRORS[500][1]), status=500, mimetype="text/plain")

    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(Exception, unexpected)


def _template_helpers(app: Flask) -> None:
    app.jinja_env.filters.update(
        date=i18n.fmt_date,
        isodate=i18n.fmt_isodate,
        time=i18n.fmt_time,
        datetime=i18n.fmt_datetime,
        duration=i18n.fmt_duration,
        weekdays=i18n.weekdays_label,
        sessions=i18n.sessions_label,
        datefield=i18n.fmt_date_field,
    )

    # Globals, so imported macros see them too.
    app.jinja_env.globals.update(
        can=auth.can,
        label=i18n.label,
        STATUS=i18n.STATUS_LABELS,
        PRIORITY=i18n.PRIORITY_LABELS,
        ROLE=i18n.ROLE_LABELS,
        TARGET=i18n.TARGET_LABELS,
        RENDER=i18n.RENDER_LABELS,
        ASRUN=i18n.ASRUN_LABELS,
        station_today=i18n.today,
        audit_action=i18n.audit_action,
        audit_detail=i18n.audit_detail,
        audit_target=i18n.audit_target,
        DATE_PATTERN=i18n.DATE_PATTERN,
        DATE_PLACEHOLDER=i18n.DATE_PLACEHOLDER,
        page_url=paging.page_url,
        PER_CHOICES=paging.PER_CHOICES,
    )

    @app.context_processor
    def helpers() -> dict[str, Any]:
        return {"current_user": auth.current_user(), "locale": i18n.select_locale(),
                "schedule_warnings": _schedule_warnings}


def _schedule_warnings() -> list[str]:
    """The banner's lines: signs that no scheduler keeps the playlists (broadcast.health)."""
    from flask_babel import gettext

    from broadcast.health import schedule_warnings

    settings = current_app.config["LOA_SETTINGS"]
    hour, minute = (int(x) for x in settings.nightly_time.split(":"))
    found = schedule_warnings(db.session(), tz=settings.timezone, nightly_time=time(hour, minute),
                              stale_after_s=settings.schedule_stale_after_s)
    return [w.translate(gettext) for w in found]


def _job_queue(settings: Settings, factory: Any, jobs: JobQueue | None) -> JobQueue:
    """Renders on Redis for ``loa worker`` when it is configured, else on this process's threads."""
    if jobs is None:
        from broadcast.jobs import make_queue

        return make_queue(settings, factory, workers=2)
    if isinstance(jobs, ThreadJobQueue) and not jobs.bound:
        jobs.bind(settings, factory)
    return jobs


def create_app(settings: Settings | None = None, *, jobs: JobQueue | None = None,
               clarity_jobs: JobQueue | None = None, **overrides: Any) -> Flask:
    """Build the panel for one data folder. ``overrides`` are setting names (see loa.config);
    ``jobs`` replaces the background thread queue (tests pass an inline one), ``clarity_jobs``
    the clarity checks' own queue (by default one thread; inline when ``jobs`` is)."""
    settings = settings or config.load(**overrides)
    # Flask resolves a relative file path against the package folder (web/), not the working
    # directory: with the default ./loa-data every media file would be "missing" (HTTP 500).
    settings = dataclasses.replace(settings, data_dir=settings.data_dir.resolve())
    app = Flask(__name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"))
    app.config.update(
        LOA_SETTINGS=settings,
        SECRET_KEY=_secret_key(settings),
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        MAX_FORM_MEMORY_SIZE=min(settings.max_upload_bytes, 2 * 1024 * 1024),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Secure cookies once the panel is published over https (set public_url = "https://…").
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
        SESSION_COOKIE_NAME="loa_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,  # valid for the session's life: long forms do not expire mid-typing
        BABEL_DEFAULT_LOCALE=i18n.DEFAULT_LOCALE,
        BABEL_TRANSLATION_DIRECTORIES=str(HERE / "translations"),
        RATELIMIT_HEADERS_ENABLED=False,
        # Login limits count across every `loa serve` process when they share Redis.
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        RATELIMIT_KEY_PREFIX="loa-limits",
        SEND_FILE_MAX_AGE_DEFAULT=timedelta(hours=1),
    )
    engine = init_db(settings.db_url)
    app.extensions["loa_engine"] = engine
    app.extensions["loa_sessions"] = session_factory(engine)
    app.extensions["loa_jobs"] = _job_queue(settings, app.extensions["loa_sessions"], jobs)
    # Clarity checks wait on their own single thread, so a render (an emergency) never waits for one.
    app.extensions["loa_clarity_jobs"] = clarity_jobs or (
        InlineJobQueue() if isinstance(jobs, InlineJobQueue) else ThreadJobQueue(workers=1))

    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, default_timezone=settings.timezone)
    limiter.init_app(app)

    for name in BLUEPRINTS:
        module = importlib.import_module(f"web.{name}")
        app.register_blueprint(module.bp)
        if name == "api":
            csrf.exempt(module.bp)  # bearer tokens, not cookies
            limiter.exempt(module.bp)  # agents poll all day; spare them the limiter's bookkeeping

    app.before_request(auth.load_user)
    app.teardown_appcontext(db.close_session)
    _register_errors(app)
    _template_helpers(app)

    @app.after_request
    def security_headers(resp: Any) -> Any:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if request.blueprint in PANEL_BLUEPRINTS:
            # Shared office PCs: a logged-in page (a token shown once) must not come back from the cache.
            resp.headers["Cache-Control"] = "no-store"
        if request.blueprint not in ("api", "public", "media"):
            resp.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; media-src 'self'; object-src 'none'; "
                "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
            )
        return resp

    return app
