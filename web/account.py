"""The user's own account: changing one's password (``broadcast.users.change_own_password``).

Every other login of the user ends; this browser keeps its login by taking the new epoch.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session
from flask_babel import gettext as _

from broadcast import users as svc
from broadcast.changes import messages
from broadcast.errors import BroadcastError
from web import db
from web.auth import current_user, home_for, login_required

log = logging.getLogger(__name__)

bp = Blueprint("account", __name__, url_prefix="/account", template_folder="templates")


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> Any:
    user = current_user()
    assert user is not None
    errors: list[str] = []
    if request.method == "POST":
        form = request.form
        try:
            svc.change_own_password(db.session(), user, current=form.get("current", ""),
                                    password=form.get("password", ""), again=form.get("password2", ""))
        except BroadcastError as exc:
            db.session().rollback()
            errors = messages(exc, _)
        else:
            db.commit()
            session["epoch"] = user.session_epoch  # this login stays; every other one has ended
            log.info("password changed by %s", user.username)
            flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã bị đăng xuất."), "ok")
            return redirect(home_for(user))
    return render_template("account/password.html", errors=errors, min_length=svc.MIN_PASSWORD), (
        400 if errors else 200)
