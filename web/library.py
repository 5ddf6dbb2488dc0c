"""/library: every audio file (jingles, station IDs, recordings, renders), searchable, playable,
with where each one is used; operators upload a jingle for one station or a group.

The listing is ``broadcast.library``; an upload is ``broadcast.jingles.upload_jingle``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.utils import secure_filename

from broadcast import jingles, library
from broadcast.errors import BroadcastError
from broadcast.models import Station, StationGroup
from web import db, paging
from web.auth import actor, requires
from web.i18n import today

bp = Blueprint("library", __name__, url_prefix="/library", template_folder="templates")


def _choices() -> dict[str, Any]:
    s = db.session()
    return {"stations": s.scalars(select(Station).order_by(Station.name)).all(),
            "groups": s.scalars(select(StationGroup).order_by(StationGroup.name)).all()}


@bp.get("", strict_slashes=False)
@requires("bulletins.view")
def index() -> Any:
    text = request.args.get("q", "").strip()[:200]
    kind = request.args.get("kind", "")
    kind = kind if kind in library.KINDS else ""
    s = db.session()
    page = paging.paginate_list(library.list_library(s, text=text, kind=kind), *paging.page_args())
    library.add_playlist_uses(s, page.items, today())
    return render_template("library/library.html", page=page, entries=page.items, q=text, kind=kind,
                           kinds={k: _(v) for k, v in library.KIND_LABELS.items()}, **_choices())


def _target(value: str) -> dict[str, str | None]:
    """"station:CODE" or "group:NAME" (the form's one select) → upload_jingle's arguments."""
    what, _sep, name = value.partition(":")
    if what == "station" and name:
        return {"station_code": name, "group": None}
    if what == "group" and name:
        return {"station_code": None, "group": name}
    return {"station_code": None, "group": None}


@bp.post("/jingle")
@requires("stations.manage")
def upload_jingle() -> Any:
    upload = request.files.get("file")
    settings = db.settings()
    if upload is None or not upload.filename:
        flash(_("Hãy chọn một tệp âm thanh."), "error")
        return redirect(url_for("library.index"))
    name = secure_filename(upload.filename) or "jingle"
    if not Path(name).suffix:
        name += Path(upload.filename).suffix
    tmp_root = settings.data_dir / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix="jingle-", dir=tmp_root))
    try:
        path = tmp_dir / name
        upload.save(path)
        row = jingles.upload_jingle(db.session(), path, filename=upload.filename, media_dir=settings.media_dir,
                                    max_seconds=settings.max_jingle_s, actor=actor(),
                                    **_target(request.form.get("target", "")))
        db.commit()
    except BroadcastError as exc:
        db.session().rollback()
        flash(exc.translate(_), "error")
        return redirect(url_for("library.index"))
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    flash(_("Đã tải lên nhạc hiệu “%(f)s”; lịch phát của các đài liên quan sẽ được lập lại.", f=upload.filename),
          "ok")
    return redirect(url_for("library.index", kind="jingle", q=row.media_sha256[:12]))
