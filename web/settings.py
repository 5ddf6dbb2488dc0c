"""The administrator's settings page: the voices this deployment can use, its default voice, and
whether each cloud service has a key; plus the "nghe thử" samples every voice picker plays.

The rules and the write are ``broadcast.voices``'s; this module turns the form into its arguments.
A cloud key is never shown: the page says only whether one is configured.
"""

from __future__ import annotations

import logging
from dataclasses import fields
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from broadcast import voices as svc
from broadcast.errors import BroadcastError
from pipeline.tts.voice_list import VoiceChoice
from web import db
from web.auth import actor, current_user, requires

log = logging.getLogger(__name__)

bp = Blueprint("settings", __name__, url_prefix="/settings")

TIER_LABELS = {"neural": _l("thần kinh"), "cloud": _l("đám mây"), "fallback": _l("dự phòng")}
#: Cloud services and the setting that holds each one's key (only whether it is set is shown).
CLOUD_KEYS = {"fpt": "FPT.AI", "viettel": "Viettel AI", "zalo": "Zalo AI", "vnpt": "VNPT SmartVoice"}


def voice_label(v: VoiceChoice) -> str:
    """"Piper vi_VN-vais1000-medium — thần kinh"; espeak accents carry "dự phòng"."""
    return f"{v.name} — {TIER_LABELS.get(v.tier, v.tier)}"


def picker(current: str = "") -> list[dict[str, Any]]:
    """The voice picker's options: "" (the deployment's default) then every usable voice; a
    bulletin's own voice stays listed even if it cannot speak here now."""
    options: list[dict[str, Any]] = [{"id": "", "label": _("Mặc định của hệ thống"), "tier": ""}]
    listed = svc.voice_options(db.settings())
    for v in listed:
        if v.usable:
            options.append({"id": v.id, "label": voice_label(v), "tier": v.tier})
    if current in svc.LEGACY_ACCENTS:  # an older bulletin's bare espeak accent
        options.append({"id": current, "label": f"espeak {current} — {TIER_LABELS['fallback']}", "tier": "fallback"})
    elif current and current not in {o["id"] for o in options}:
        options.append({"id": current, "label": _("%(v)s (không dùng được ở đây)", v=current), "tier": ""})
    return options


def cloud_keys() -> list[dict[str, Any]]:
    """Each cloud service whose key setting exists, and whether a key is configured."""
    settings = db.settings()
    names = {f.name for f in fields(settings)}
    return [{"engine": e, "name": name, "configured": bool(getattr(settings, f"{e}_api_key", ""))}
            for e, name in CLOUD_KEYS.items() if f"{e}_api_key" in names]


@bp.get("/")
@requires("users")
def index() -> Any:
    return render_template(
        "settings/settings.html", voices=svc.voice_options(db.settings()), tiers=TIER_LABELS,
        default_voice=svc.default_voice(db.session()), now=svc.current_voice(db.session(), db.settings()),
        keys=cloud_keys(), threshold=db.settings().clarity_threshold,
    )


@bp.post("/voice")
@requires("users")
def set_voice() -> Any:
    try:
        svc.set_default_voice(db.session(), request.form.get("voice", ""), actor(), db.settings())
        db.commit()
    except BroadcastError as exc:
        db.session().rollback()
        flash(exc.translate(_), "error")
        return redirect(url_for("settings.index")), 303
    flash(_("Đã lưu giọng mặc định."), "ok")
    return redirect(url_for("settings.index")), 303


@bp.get("/voices/sample")
@requires("bulletins.view")
def sample() -> Any:
    """ "nghe thử": a short fixed Vietnamese sample read by one voice, as MP3 (cached in the media
    store). A voice that cannot speak is a clear message, never a 500."""
    voice = request.args.get("voice", "")
    try:
        if not voice:  # "the system default": the voice a render would speak with now
            voice = svc.current_voice(db.session(), db.settings()).id
        path = svc.render_sample(db.settings(), voice)
    except BroadcastError as exc:
        return jsonify({"error": exc.translate(_), "code": "sample_failed"}), 422
    return send_file(path, mimetype="audio/mpeg", max_age=3600)


@bp.app_context_processor
def voice_helpers() -> dict[str, Any]:
    """``voice_now()`` for the station page and the bulletin list header; ``tier_label``."""

    def voice_now() -> svc.CurrentVoice | None:
        if current_user() is None:
            return None
        try:
            return svc.current_voice(db.session(), db.settings())
        except BroadcastError:
            return None

    return {"voice_now": voice_now, "TIERS": TIER_LABELS}

