"""/status: is every part of the system working? The scheduler's last runs and claims, the render
queue, the voices and whether each is usable now, disk space, versions, the last error of each part.

Thin: the readings come from ``broadcast.system_status``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

from broadcast import system_status as svc
from broadcast.db import current_revision
from web import db
from web.auth import requires

bp = Blueprint("status", __name__)


def _queue() -> dict[str, Any]:
    """What the panel's job queue can tell: counts by state, and any queue lengths it exposes."""
    jobs = db.jobs()
    out: dict[str, Any] = {"kind": type(jobs).__name__}
    for name in ("counts", "lengths"):
        fn = getattr(jobs, name, None)
        if callable(fn):
            try:
                out[name] = fn()
            except Exception as exc:  # a queue server that is down is a finding, not a 500
                out[f"{name}_error"] = str(exc)
    return out


@bp.get("/status")
@requires("status")
def index() -> str:
    settings = db.settings()
    session = db.session()
    voices = svc.voices(settings)
    return render_template(
        "status/status.html",
        runs=svc.scheduler_runs(session), claims=svc.scheduler_claims(session),
        renders=svc.render_counts(session), outbox=svc.outbox_waiting(session), queue=_queue(),
        voices=voices, installed=[], disk=svc.disk(settings.data_dir), data_dir=settings.data_dir,
        versions=svc.versions(session, current_revision(current_app.extensions["loa_engine"])),
        errors=svc.last_errors(session, voices), tz=settings.timezone,
    )  # fmt: skip
