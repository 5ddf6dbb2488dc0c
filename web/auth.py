"""Logging in and out, roles, the language toggle and user management.

Who may do what is ``broadcast.permissions`` (the same table the API and the CLI ask); every
change to an account is a ``broadcast.users`` command. This module turns forms into their
arguments and their errors back into pages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from sqlalchemy import select
from werkzeug.wrappers import Response

from broadcast import permissions, units
from broadcast import users as svc
from broadcast.changes import messages
from broadcast.errors import BroadcastError
from broadcast.models import Role, User
from web import db
from web.extensions import limiter
from web.i18n import LOCALES, ROLE_LABELS

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

ADMIN = Role.ADMIN.value
MIN_PASSWORD = svc.MIN_PASSWORD


def current_user() -> User | None:
    return cast(User | None, g.get("user"))


def can(action: str) -> bool:
    user = current_user()
    return user is not None and permissions.allowed(user.role, action)


def scope() -> permissions.Scope:
    """The units the logged-in user works for (its unit and those below); nobody: none."""
    if "loa_scope" not in g:
        user = current_user()
        g.loa_scope = (permissions.scope_of(db.session(), user) if user is not None
                       else permissions.Scope(frozenset(), unassigned=False))
    return cast(permissions.Scope, g.loa_scope)


def scoped_or_404(model: type[T], ident: object) -> T:
    """The row (a station, a bulletin) if it exists and its unit is within the user's scope;
    else 404, so a commune's staff cannot even learn of another commune's rows."""
    obj = db.get_or_404(model, ident)
    if not scope().covers(getattr(obj, "unit_id", None)):
        abort(404)
    return obj


def actor() -> str:
    user = current_user()
    return user.username if user else ""


def load_user() -> None:
    """Before each request: the logged-in, still active user whose login was not revoked, or nobody."""
    g.user = None
    uid = session.get("uid")
    if uid is None:
        return
    user = db.session().get(User, uid)
    if user is None or not user.active or session.get("epoch") != user.session_epoch:
        session.pop("uid", None)
        session.pop("epoch", None)
        return
    g.user = user


def _log_in(user: User) -> None:
    lang = request.form.get("lang") if request.form.get("lang") in LOCALES else session.get("lang", "vi")
    session.clear()
    session["uid"] = user.id
    session["epoch"] = user.session_epoch
    session["lang"] = lang
    session.permanent = True


def requires(action: str) -> Callable[[F], F]:
    """Send anonymous visitors to the login page; a logged-in user without the role gets 403."""

    def deco(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user() is None:
                if request.method == "GET":
                    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
                abort(401)
            if not can(action):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return deco


def login_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            if request.method == "GET":
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            abort(401)
        return view(*args, **kwargs)

    return cast(F, wrapped)


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths, so the login form cannot bounce a user to another site; a target
    with control characters (a header injection) or backslashes (``/\\evil`` is off-site to
    browsers) is ignored."""
    if not target or len(target) > 2000:
        return None
    if any(ord(c) < 32 or ord(c) == 127 or c == "\\" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_for(user: User) -> str:
    role = user.role.value
    if role == "editor":
        return url_for("bulletins.index")
    if role == "reviewer":
        return url_for("review.queue")
    # Operators and administrators land on the dashboard: every station at a glance (issue 12).
    return url_for("dashboard.index")


def _login_key() -> str:
    return f"{get_remote_address()}|{request.form.get('username', '').strip().lower()}"


def _failed(response: Response) -> bool:
    """Only failed attempts count against the limits (a successful login redirects)."""
    return response.status_code != 302


def _limit_per_name() -> str:
    return db.settings().login_limit_per_name


def _limit_per_ip() -> str:
    return db.settings().login_limit_per_ip


@bp.route("/")
def index() -> Response:
    user = current_user()
    if user is None:
        return redirect(url_for("auth.login"))
    return redirect(home_for(user))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit_per_ip, key_func=get_remote_address, methods=["POST"], deduct_when=_failed,
               scope="login-ip")
@limiter.limit(_limit_per_name, key_func=_login_key, methods=["POST"], deduct_when=_failed, scope="login-name")
def login() -> Any:
    if svc.no_users(db.session()):
        return redirect(url_for("auth.setup"))
    user = current_user()
    if user is not None and request.method == "GET":
        return redirect(_safe_next(request.args.get("next")) or home_for(user))
    error = None
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        user = svc.authenticate(db.session(), username, request.form.get("password", ""))
        if user is not None:
            db.commit()  # a rehashed password
            _log_in(user)
            log.info("login %s", username)
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
        log.warning("failed login for %r from %s", username, get_remote_address())
        error = _("Sai tên đăng nhập hoặc mật khẩu.")
    return render_template("auth/login.html", error=error), (401 if error else 200)


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> Any:
    """First run only: create the first administrator. Gone as soon as any user exists."""
    if not svc.no_users(db.session()):
        abort(404)
    errors: list[str] = []
    if request.method == "POST":
        try:
            user = svc.create_user(db.session(), **_user_fields(request.form), role=ADMIN, actor="",
                                   first_run=True)
        except BroadcastError as exc:
            db.session().rollback()
            errors = messages(exc, _)
        else:
            db.commit()
            _log_in(user)
            flash(_("Đã tạo tài khoản quản trị."), "ok")
            return redirect(url_for("auth.users"))
    return render_template("auth/setup.html", errors=errors), (400 if errors else 200)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Ends the login here and everywhere else the user is logged in (on the server, not only the cookie)."""
    user = current_user()
    if user is not None:
        svc.end_sessions(db.session(), user)
        db.commit()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"))


@bp.route("/lang", methods=["POST"])
def set_language() -> Response:
    lang = request.form.get("lang", "")
    if lang in LOCALES:
        session["lang"] = lang
    return redirect(_safe_next(request.form.get("next")) or url_for("auth.index"))


# --- users (admin) ---------------------------------------------------------------------------


def _user_fields(form: Any) -> dict[str, Any]:
    return {"username": form.get("username", ""), "full_name": form.get("full_name", ""),
            "password": form.get("password", ""), "password2": form.get("password2")}


@bp.route("/users", methods=["GET", "POST"])
@requires("users")
def users() -> Any:
    errors: list[str] = []
    if request.method == "POST":
        try:
            unit = request.form.get("unit", "")
            if unit and not scope().covers(getattr(units.find(db.session(), unit), "id", -1)):
                abort(404)
            user = svc.create_user(db.session(), **_user_fields(request.form), role=request.form.get("role", ""),
                                   actor=actor(), unit=unit or own_unit_code())
        except BroadcastError as exc:
            db.session().rollback()
            errors = messages(exc, _)
        else:
            db.commit()
            flash(_("Đã tạo tài khoản %(u)s.", u=user.username), "ok")
            return redirect(url_for("auth.users"))
    rows = db.session().scalars(select(User).where(scope().clause(User.unit_id)).order_by(User.username)).all()
    choices = [u for u in units.all_units(db.session()) if u.merged_into_id is None and scope().covers(u.id)]
    names = {u.id: u.name for u in units.all_units(db.session())}
    return render_template("auth/users.html", users=rows, roles=ROLE_LABELS, errors=errors, units=choices,
                           unit_names=names), (400 if errors else 200)


def own_unit_code() -> str:
    """New accounts default to the creating administrator's unit."""
    me = current_user()
    if me is None or me.unit_id is None:
        return ""
    return units.get_by_id(db.session(), me.unit_id).code


@bp.route("/users/<int:user_id>", methods=["POST"])
@requires("users")
def update_user(user_id: int) -> Any:
    user = scoped_or_404(User, user_id)
    me = current_user()
    assert me is not None
    what = request.form.get("action", "")
    s = db.session()
    try:
        if what == "unit":
            svc.set_unit(s, user, request.form.get("unit", ""), by=me)
        elif what == "role":
            svc.set_role(s, user, request.form.get("role", ""), by=me)
        elif what == "active":
            svc.toggle_active(s, user, by=me)
        elif what == "password":
            svc.reset_password(s, user, request.form.get("password", ""), actor=me.username)
        elif what == "api_token":
            token = svc.issue_api_token(s, user, actor=me.username)
            db.commit()
            return render_template("token_once.html", token=token, subject=user.username, kind="api")
        else:
            abort(400)
    except BroadcastError as exc:
        s.rollback()
        for line in messages(exc, _):
            flash(line, "error")
        return redirect(url_for("auth.users"))
    db.commit()
    flash(_("Đã lưu thay đổi cho %(u)s.", u=user.username), "ok")
    return redirect(url_for("auth.users"))
