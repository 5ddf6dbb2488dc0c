"""Logging in and out, roles, the language toggle and user management.

Who may do what lives in one table, ``PERMISSIONS``, so the role-matrix test and the navigation
read the same rules the views enforce.
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
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from broadcast import security
from broadcast.models import AuditLog, Role, User
from web import db
from web.extensions import limiter
from web.i18n import LOCALES, ROLE_LABELS

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)

F = TypeVar("F", bound=Callable[..., Any])

ADMIN = Role.ADMIN.value
#: Action → roles allowed. Admin can do everything.
PERMISSIONS: dict[str, frozenset[str]] = {
    "bulletins.view": frozenset({"editor", "reviewer", "operator", ADMIN}),
    "bulletins.write": frozenset({"editor", ADMIN}),
    "review": frozenset({"reviewer", ADMIN}),
    "emergency": frozenset({"reviewer", ADMIN}),
    "stations.view": frozenset({"operator", "reviewer", ADMIN}),
    "stations.manage": frozenset({"operator", ADMIN}),
    "schedule.view": frozenset({"operator", "reviewer", "editor", ADMIN}),
    "schedule.edit": frozenset({"operator", ADMIN}),
    "reports": frozenset({"operator", "reviewer", ADMIN}),
    "users": frozenset({ADMIN}),
}

MIN_PASSWORD = 8
LOGIN_LIMIT = "5/minute"


def current_user() -> User | None:
    return cast(User | None, g.get("user"))


def can(action: str) -> bool:
    user = current_user()
    return user is not None and user.role.value in PERMISSIONS[action]


def actor() -> str:
    user = current_user()
    return user.username if user else ""


def load_user() -> None:
    """Before each request: the logged-in, still active user, or nobody."""
    g.user = None
    uid = session.get("uid")
    if uid is None:
        return
    user = db.session().get(User, uid)
    if user is None or not user.active:
        session.pop("uid", None)
        return
    g.user = user


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


def audit(action: str, target: str = "", **detail: Any) -> None:
    """An audit row in this request's transaction, for changes the services do not log themselves."""
    db.session().add(AuditLog(actor=actor() or "-", action=action, target=target, detail=detail or None))


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths, so the login form cannot bounce a user to another site."""
    if not target:
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
    if role == "operator":
        return url_for("stations.index")
    return url_for("review.queue")


def _login_key() -> str:
    return f"{get_remote_address()}|{request.form.get('username', '').strip().lower()}"


def _no_users() -> bool:
    return db.session().scalar(select(func.count(User.id))) == 0


@bp.route("/")
def index() -> Response:
    user = current_user()
    if user is None:
        return redirect(url_for("auth.login"))
    return redirect(home_for(user))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, key_func=_login_key, methods=["POST"])
def login() -> Any:
    if _no_users():
        return redirect(url_for("auth.setup"))
    user = current_user()
    if user is not None and request.method == "GET":
        return redirect(_safe_next(request.args.get("next")) or home_for(user))
    error = None
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        user = db.session().scalar(select(User).where(User.username == username)) if username else None
        if user is not None and user.active and security.verify_password(password, user.password_hash):
            session.clear()
            session["uid"] = user.id
            session["lang"] = request.form.get("lang") if request.form.get("lang") in LOCALES else "vi"
            session.permanent = True
            if security.password_needs_rehash(user.password_hash):
                user.password_hash = security.hash_password(password)
                db.commit()
            log.info("login %s", username)
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
        log.warning("failed login for %r from %s", username, get_remote_address())
        error = _("Sai tên đăng nhập hoặc mật khẩu.")
    return render_template("login.html", error=error), (401 if error else 200)


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> Any:
    """First run only: create the first administrator. Gone as soon as any user exists."""
    if not _no_users():
        abort(404)
    errors: list[str] = []
    if request.method == "POST":
        errors = _check_new_user(request.form, role=ADMIN)
        if not errors:
            user = _new_user(request.form, role=ADMIN)
            db.session().flush()
            session.clear()
            session["uid"] = user.id
            audit("user.create", user.username, role=ADMIN, first_run=True)
            db.commit()
            flash(_("Đã tạo tài khoản quản trị."), "ok")
            return redirect(url_for("auth.users"))
    return render_template("setup.html", errors=errors), (400 if errors else 200)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
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


def _check_new_user(form: Any, role: str | None = None) -> list[str]:
    errors = []
    username = form.get("username", "").strip()
    if not username or len(username) > 80 or not all(c.isalnum() or c in "._-" for c in username):
        errors.append(_("Tên đăng nhập chỉ gồm chữ, số và . _ - (tối đa 80 ký tự)."))
    elif db.session().scalar(select(User).where(User.username == username)) is not None:
        errors.append(_("Tên đăng nhập đã có người dùng."))
    if len(form.get("full_name", "")) > 200:
        errors.append(_("Họ tên quá dài (tối đa 200 ký tự)."))
    if (role or form.get("role")) not in {r.value for r in Role}:
        errors.append(_("Vai trò không hợp lệ."))
    errors += _check_password(form.get("password", ""), form.get("password2"))
    return errors


def _check_password(password: str, again: str | None) -> list[str]:
    errors = []
    if len(password) < MIN_PASSWORD:
        errors.append(_("Mật khẩu cần ít nhất %(n)d ký tự.", n=MIN_PASSWORD))
    if again is not None and again != password:
        errors.append(_("Hai lần nhập mật khẩu không khớp."))
    return errors


def _new_user(form: Any, role: str | None = None) -> User:
    user = User(
        username=form.get("username", "").strip(),
        full_name=form.get("full_name", "").strip(),
        role=Role(role or form.get("role")),
        password_hash=security.hash_password(form.get("password", "")),
    )
    db.session().add(user)
    return user


@bp.route("/users", methods=["GET", "POST"])
@requires("users")
def users() -> Any:
    errors: list[str] = []
    if request.method == "POST":
        errors = _check_new_user(request.form)
        if not errors:
            user = _new_user(request.form)
            audit("user.create", user.username, role=user.role.value)
            db.commit()
            flash(_("Đã tạo tài khoản %(u)s.", u=user.username), "ok")
            return redirect(url_for("auth.users"))
    rows = db.session().scalars(select(User).order_by(User.username)).all()
    return render_template("users.html", users=rows, roles=ROLE_LABELS, errors=errors), (400 if errors else 200)


@bp.route("/users/<int:user_id>", methods=["POST"])
@requires("users")
def update_user(user_id: int) -> Any:
    user = db.get_or_404(User, user_id)
    me = current_user()
    assert me is not None
    what = request.form.get("action", "")
    if what == "role":
        role = request.form.get("role", "")
        if role not in {r.value for r in Role}:
            abort(400)
        if user.id == me.id and role != ADMIN:
            flash(_("Không thể tự bỏ quyền quản trị của chính mình."), "error")
            return redirect(url_for("auth.users"))
        audit("user.role", user.username, before=user.role.value, after=role)
        user.role = Role(role)
    elif what == "active":
        if user.id == me.id:
            flash(_("Không thể tự khoá tài khoản của chính mình."), "error")
            return redirect(url_for("auth.users"))
        user.active = not user.active
        audit("user.active", user.username, active=user.active)
    elif what == "password":
        problems = _check_password(request.form.get("password", ""), None)
        if problems:
            for p in problems:
                flash(p, "error")
            return redirect(url_for("auth.users"))
        user.password_hash = security.hash_password(request.form["password"])
        audit("user.password", user.username)
    elif what == "api_token":
        token = security.new_token()
        user.api_token_hash = security.hash_token(token)
        audit("user.api_token", user.username)
        db.commit()
        return render_template("token_once.html", token=token, subject=user.username, kind="api")
    else:
        abort(400)
    db.commit()
    flash(_("Đã lưu thay đổi cho %(u)s.", u=user.username), "ok")
    return redirect(url_for("auth.users"))
