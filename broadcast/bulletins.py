"""Bulletins (bản tin): creation, edits and the review workflow.

draft → submitted → approved | rejected → archived. Every transition records who and when
(BulletinTransition) and an AuditLog row. A change that affects what stations air — approval,
an edit of an approved bulletin, withdrawal — writes a RegenRequest (the outbox the scheduler
drains) in the same transaction, so no change is lost when no daemon runs.
All functions work in the caller's transaction and validate before they change anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast import unit_reach
from broadcast.changes import add_regen_request
from broadcast.errors import BroadcastError, InvalidTransition, NotFound
from broadcast.media import media_backend, store_file
from broadcast.models import (
    AuditLog,
    Bulletin,
    BulletinStatus,
    BulletinTransition,
    MediaFile,
    Priority,
    RegenRequest,
    Station,
    StationGroup,
    TargetKind,
    bulletin_targets,
    station_group_members,
)
from broadcast.stations import get_group, stations_by_codes
from loa.config import Settings
from pipeline.store import MIME_TYPES
from pipeline.types import PipelineError

S = BulletinStatus

#: Which status each action moves to, and from which statuses it is allowed.
TRANSITIONS: dict[str, tuple[frozenset[BulletinStatus], BulletinStatus]] = {
    "submit": (frozenset({S.DRAFT, S.REJECTED}), S.SUBMITTED),
    "approve": (frozenset({S.SUBMITTED}), S.APPROVED),
    "reject": (frozenset({S.SUBMITTED}), S.REJECTED),
    "archive": (frozenset({S.DRAFT, S.SUBMITTED, S.APPROVED, S.REJECTED}), S.ARCHIVED),
}
#: The one table of status and priority labels (Vietnamese; the panel translates them, the CLI
#: prints them; STATUS_VI/PRIORITY_VI are the same words for use inside a sentence).
STATUS_LABELS = {
    "draft": "Bản nháp",
    "submitted": "Chờ duyệt",
    "approved": "Đã duyệt",
    "rejected": "Bị từ chối",
    "archived": "Đã lưu trữ",
}
PRIORITY_LABELS = {"normal": "Thông thường", "priority": "Ưu tiên", "emergency": "Khẩn cấp"}
STATUS_VI = {st: STATUS_LABELS[st.value].lower() for st in S}
PRIORITY_VI = {p: PRIORITY_LABELS[p.value].lower() for p in Priority}
#: Statuses the editor may still change (approved ones go back through review via archive + new).
EDITABLE_STATUSES = frozenset({S.DRAFT, S.REJECTED})
#: More plays than this per day is surely a typo (the longest day has about 4 sessions).
MAX_PLAYS_PER_DAY = 20
#: Length limits of the text fields, shared by the form, the API and the CLI.
TITLE_MAX = 300
CATEGORY_MAX = 120
ISSUER_MAX = 200
COMMENT_MAX = 2000
#: Speaking rates accepted (inclusive).
RATE_MIN, RATE_MAX = 0.5, 2.0
#: Voices offered: "" lets the engine chain choose; the rest are espeak-ng accents. The panel
#: translates the labels.
VOICE_CHOICES = {
    "": "Mặc định (theo cấu hình)",
    "vi": "Giọng Bắc (espeak)",
    "vi-vn-x-central": "Giọng Trung (espeak)",
    "vi-vn-x-south": "Giọng Nam (espeak)",
}
#: How many days a bulletin airs when no end date is given (an emergency: today only).
DEFAULT_VALID_DAYS = {Priority.NORMAL: 7, Priority.PRIORITY: 7, Priority.EMERGENCY: 1}
#: Recording types accepted (the store's one MIME table).
AUDIO_EXTENSIONS = set(MIME_TYPES)
_AUDIO_MAGIC = (b"RIFF", b"ID3", b"OggS", b"fLaC", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"\x1aE\xdf\xa3")
#: Fields whose change makes the rendered audio stale.
_AUDIO_FIELDS = {"title", "body", "voice", "speech_rate", "issuer", "category", "recording"}
_EDITABLE = {
    "title",
    "body",
    "recording",
    "category",
    "issuer",
    "priority",
    "valid_from",
    "valid_to",
    "plays_per_day",
    "station_codes",
    "group",
    "voice",
    "speech_rate",
    "media_dir",
}


# --- sources --------------------------------------------------------------------------------


def is_audio_file(path: Path) -> bool:
    """By extension, else by the first bytes (WAV, MP3, Ogg, FLAC, WebM)."""
    if path.suffix.lower() in AUDIO_EXTENSIONS:
        return True
    if path.suffix.lower() in {".txt", ".md"}:
        return False
    with path.open("rb") as fh:
        head = fh.read(12)
    return head.startswith(_AUDIO_MAGIC) or head[4:8] == b"ftyp"


def read_script(path: Path) -> str:
    """A text script as UTF-8 (with or without BOM); a clear error for other encodings."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BroadcastError(
            "Tệp '%(f)s' không phải văn bản UTF-8: hãy lưu lại với mã hoá UTF-8.", f=path.name
        ) from None
    except OSError as exc:
        raise BroadcastError("Không đọc được tệp '%(path)s': %(reason)s.", path=str(path),
                             reason=exc.strerror) from None


def store_upload(
    session: Session, path: Path, media_dir: Path, duration_s: float | None = None,
    settings: Settings | None = None,
) -> MediaFile:
    """Copy an uploaded recording into the content-addressed media store (``<sha[:2]>/<sha><ext>``),
    with its duration (so the editor hears it, and sees how long it is, right after uploading);
    and into the bucket ``settings.media_url`` names, if any."""
    if not path.is_file():
        raise BroadcastError("Không có tệp ghi âm '%(path)s'.", path=str(path))
    backend = media_backend(settings) if settings is not None else None
    return store_file(session, path, media_dir, duration_s=duration_s, backend=backend,
                      meta={"kind": "upload", "original_name": path.name})


# --- validation -------------------------------------------------------------------------------


#: C0 control characters (and DEL) other than tab and newline: invalid in XML (the public feed)
#: and meaningless to a reader or a TTS voice.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    """Text as saved: Windows line ends made plain, control characters removed."""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def parse_priority(value: str | Priority) -> Priority:
    try:
        return Priority(value)
    except ValueError:
        raise BroadcastError(
            "Mức ưu tiên '%(value)s' không hợp lệ (normal, priority hoặc emergency).", value=value
        ) from None


def default_validity(today: date, priority: str | Priority = Priority.NORMAL) -> tuple[date, date]:
    """The first and last day on air when none are given."""
    days = DEFAULT_VALID_DAYS.get(parse_priority(priority), 1)
    return today, today + timedelta(days=days - 1)


def check_airs_today(priority: str | Priority, valid_from: date, valid_to: date, today: date) -> None:
    """An emergency is played at once on today's playlist: dates that leave today out would report
    "sent" and air nothing."""
    if parse_priority(priority) == Priority.EMERGENCY and not valid_from <= today <= valid_to:
        raise BroadcastError(
            "Tin khẩn cấp được phát ngay, nên thời gian hiệu lực phải gồm hôm nay (%(d)s).",
            d=f"{today:%d/%m/%Y}",
        )


def check_editable(bulletin: Bulletin) -> None:
    """The editor changes only drafts and rejected bulletins; the rest are in or past review."""
    if bulletin.status not in EDITABLE_STATUSES:
        raise InvalidTransition("Chỉ sửa được bản nháp hoặc bản tin bị từ chối.")


def _text(name: str, value: Any, limit: int | None = None) -> str:
    if not isinstance(value, str):
        raise BroadcastError("Trường '%(name)s' phải là văn bản.", name=name)
    value = clean_text(value)
    if limit is not None and len(value.strip()) > limit:
        raise BroadcastError("Trường '%(name)s' dài quá %(max)s ký tự.", name=name, max=limit)
    return value


def _check_fields(
    title: Any, valid_from: Any, valid_to: Any, plays_per_day: Any, speech_rate: Any
) -> None:
    if not isinstance(title, str) or not title.strip():
        raise BroadcastError("Tiêu đề trống: hãy đặt tiêu đề cho bản tin.")
    if len(title.strip()) > TITLE_MAX:
        raise BroadcastError("Tiêu đề dài quá %(max)s ký tự.", max=TITLE_MAX)
    if not isinstance(valid_from, date) or not isinstance(valid_to, date):
        raise BroadcastError("Ngày bắt đầu và ngày kết thúc phải là ngày.")
    if valid_to < valid_from:
        raise BroadcastError(
            "Ngày hết hiệu lực (%(to)s) trước ngày bắt đầu (%(frm)s).",
            to=f"{valid_to:%d/%m/%Y}", frm=f"{valid_from:%d/%m/%Y}",
        )
    if isinstance(plays_per_day, bool) or not isinstance(plays_per_day, int) or not (
        1 <= plays_per_day <= MAX_PLAYS_PER_DAY
    ):
        raise BroadcastError("Số lần phát mỗi ngày phải là số nguyên từ 1 đến %(max)s.", max=MAX_PLAYS_PER_DAY)
    if isinstance(speech_rate, bool) or not isinstance(speech_rate, int | float) or not (
        RATE_MIN <= speech_rate <= RATE_MAX
    ):
        raise BroadcastError("Tốc độ đọc phải từ 0,5 đến 2,0.")


def _check_voice(voice: Any) -> str:
    """"", an older espeak accent or ``engine:voice`` (see broadcast.voices)."""
    from broadcast.voices import check_voice

    return check_voice(voice)


def _resolve_targets(
    session: Session, station_codes: Iterable[str] | None, group: str | None
) -> tuple[TargetKind, StationGroup | None, list[Station]]:
    if station_codes is not None and (
        isinstance(station_codes, str) or not all(isinstance(c, str) for c in station_codes)
    ):
        raise BroadcastError("Danh sách đài phải là danh sách mã đài.")
    if group is not None and not isinstance(group, str):
        raise BroadcastError("Nhóm đài phải là tên nhóm.")
    codes = [c for c in (station_codes or []) if c.strip()]
    if codes and group:
        raise BroadcastError("Chọn hoặc danh sách đài, hoặc một nhóm đài, không chọn cả hai.")
    if codes:
        return TargetKind.STATIONS, None, stations_by_codes(session, codes)
    if group:
        return TargetKind.GROUP, get_group(session, group), []
    return TargetKind.ALL, None, []


def _settings() -> Settings:
    """The configured settings, for callers (CLI, API) that do not pass their own."""
    from loa import config

    return config.load()


def _vi_int(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def check_script(body: str, settings: Settings) -> None:
    """Refuse a script longer than ``max_text_chars`` (Vietnamese thousands: 12.000)."""
    if len(body) > settings.max_text_chars:
        raise BroadcastError(
            "Văn bản quá dài: %(n)s ký tự, tối đa %(max)s ký tự.",
            n=_vi_int(len(body)), max=_vi_int(settings.max_text_chars),
        )


def _check_source(body: str, recording: Path | None, settings: Settings) -> float | None:
    """Refuse now what could never be rendered: an over-long script, a file that is not audio.
    The one place both are checked (the form, the API and the CLI all come through here)."""
    from pipeline.audio.decode import validate_recording

    if recording is None:
        if not body.strip():
            raise BroadcastError("Văn bản trống: không có gì để đọc.")
        check_script(body, settings)
        return None
    try:
        return validate_recording(recording, settings.max_recording_s).duration_s
    except PipelineError as exc:
        raise BroadcastError("Tệp ghi âm không dùng được: %(e)s", e=str(exc)) from exc


# --- create / update --------------------------------------------------------------------------


def create_bulletin(
    session: Session,
    *,
    title: str,
    body: str = "",
    recording: Path | None = None,
    category: str = "",
    issuer: str = "",
    priority: str | Priority = "normal",
    valid_from: date,
    valid_to: date,
    plays_per_day: int = 1,
    station_codes: list[str] | None = None,
    group: str | None = None,
    voice: str = "",
    speech_rate: float = 1.0,
    actor: str,
    media_dir: Path | None = None,
    settings: Settings | None = None,
    unit: str = "",
) -> Bulletin:
    """A new draft. A recording is copied into the media store (``media_dir``, default: the
    configured one); otherwise ``body`` is the script to render. Targets: the stations named, or a
    group, or (neither) every station — of the issuing unit (``unit``, default: the actor's), and
    only stations within it."""
    prio = parse_priority(priority)
    title = _text("title", title)  # its length: _check_fields, in words an editor reads
    body = _text("body", body)
    category = _text("category", category, CATEGORY_MAX)
    issuer = _text("issuer", issuer, ISSUER_MAX)
    voice = _check_voice(voice)
    _check_fields(title, valid_from, valid_to, plays_per_day, speech_rate)
    settings = settings or _settings()
    duration = _check_source(body, recording, settings)  # also refuses an empty script
    if not actor.strip():
        raise BroadcastError("Thiếu người thực hiện.")
    kind, grp, stations = _resolve_targets(session, station_codes, group)
    issuer_unit = unit_reach.issuing_unit(session, actor, unit)
    unit_reach.check_reach(session, issuer_unit, stations)
    upload = (store_upload(session, recording, media_dir or settings.media_dir, duration, settings)
              if recording else None)
    b = Bulletin(
        title=title.strip(),
        body=body,
        source_kind="audio" if upload else "text",
        upload_sha256=upload.sha256 if upload else None,
        category=category.strip(),
        issuer=issuer.strip(),
        priority=prio,
        valid_from=valid_from,
        valid_to=valid_to,
        plays_per_day=plays_per_day,
        target_kind=kind,
        target_group=grp,
        target_stations=stations,
        status=S.DRAFT,
        voice=voice,
        speech_rate=speech_rate,
        created_by=actor,
        unit_id=issuer_unit.id,
        render_status="none",
        render_error="",
    )
    session.add(b)
    session.flush()
    _audit(session, actor, "bulletin.create", b, {"priority": prio.value})
    return b


def update_bulletin(
    session: Session, bulletin: Bulletin, *, actor: str, settings: Settings | None = None, **fields: Any
) -> Bulletin:
    """Change a bulletin that is not archived. Changing the words or voice makes the audio stale
    (render_status back to "none"); changing an approved bulletin asks for new playlists for the
    stations it targeted before and after."""
    settings = settings or _settings()
    values, duration = _checked_update(bulletin, fields, settings)
    retarget = "station_codes" in fields or "group" in fields
    targets = _resolve_targets(session, fields.get("station_codes"), fields.get("group")) if retarget else None
    if targets is not None and bulletin.unit_id is not None:
        unit_reach.check_reach(session, unit_reach.unit_by_id(session, bulletin.unit_id), targets[2])
    before = target_station_codes(session, bulletin) if bulletin.status == S.APPROVED else []

    changed = _apply_values(bulletin, values)
    recording = fields.get("recording")
    if recording is not None:
        upload = store_upload(session, recording, fields.get("media_dir") or settings.media_dir, duration, settings)
        if upload.sha256 != bulletin.upload_sha256:
            bulletin.upload_sha256, bulletin.source_kind = upload.sha256, "audio"
            changed["recording"] = upload.sha256
    if targets is not None and _retarget(bulletin, *targets):
        changed["targets"] = targets[0].value
    if not changed:
        return bulletin
    if _AUDIO_FIELDS & set(changed):
        bulletin.media_sha256, bulletin.render_status, bulletin.render_error = None, "none", ""
    session.flush()
    _audit(session, actor, "bulletin.update", bulletin, {"fields": sorted(changed)})
    if bulletin.status == S.APPROVED:
        after = target_station_codes(session, bulletin)
        _regen(session, bulletin, "bulletin changed", sorted(set(before) | set(after)))
    return bulletin


def edit_bulletin(
    session: Session, bulletin: Bulletin, *, actor: str, settings: Settings | None = None, **fields: Any
) -> Bulletin:
    """The editor's edit, whichever way it comes (the panel's form, ``loa bulletin edit``,
    ``PATCH /api/v1/bulletins/<id>``): only a draft or a rejected bulletin, then every rule of
    :func:`update_bulletin`."""
    check_editable(bulletin)
    return update_bulletin(session, bulletin, actor=actor, settings=settings, **fields)


def _checked_update(
    bulletin: Bulletin, fields: dict[str, Any], settings: Settings
) -> tuple[dict[str, Any], float | None]:
    """Every rule an edit must pass, before anything changes: the new values by field, and the
    duration of a new recording."""
    if bulletin.status == S.ARCHIVED:
        raise InvalidTransition("Bản tin đã lưu trữ, không sửa được.")
    unknown = set(fields) - _EDITABLE
    if unknown:
        raise BroadcastError("Không sửa được trường: %(fields)s.", fields=", ".join(sorted(unknown)))
    limits = {"title": None, "body": None, "category": CATEGORY_MAX, "issuer": ISSUER_MAX}
    values = {name: _text(name, fields[name], limit) for name, limit in limits.items() if name in fields}
    if "voice" in fields:
        values["voice"] = _check_voice(fields["voice"])
    for name in ("title", "valid_from", "valid_to", "plays_per_day", "speech_rate"):
        values[name] = values.get(name, fields.get(name, getattr(bulletin, name)))
    _check_fields(values["title"], values["valid_from"], values["valid_to"], values["plays_per_day"],
                  values["speech_rate"])
    values["title"] = values["title"].strip()
    values["priority"] = parse_priority(fields["priority"]) if "priority" in fields else bulletin.priority
    duration = None
    if fields.get("recording") is not None:
        duration = _check_source("", fields["recording"], settings)
    elif "body" in values and bulletin.source_kind == "text":
        _check_source(values["body"], None, settings)  # also refuses an empty script
    return values, duration


def _apply_values(bulletin: Bulletin, values: dict[str, Any]) -> dict[str, Any]:
    """Set the values that differ; what changed, for the audit row."""
    changed: dict[str, Any] = {}
    for name, value in values.items():
        if value != getattr(bulletin, name):
            changed[name] = value if name in ("body", "category", "issuer", "voice") else str(value)
            setattr(bulletin, name, value)
    return changed


def _retarget(bulletin: Bulletin, kind: TargetKind, grp: StationGroup | None, stations: list[Station]) -> bool:
    old = (bulletin.target_kind, bulletin.target_group_id, sorted(s.id for s in bulletin.target_stations))
    bulletin.target_kind, bulletin.target_group, bulletin.target_stations = kind, grp, stations
    return old != (kind, grp.id if grp else None, sorted(s.id for s in stations))


# --- workflow -----------------------------------------------------------------------------------


def _move(
    session: Session, bulletin: Bulletin, action: str, actor: str, comment: str,
    extra: dict[str, Any] | None = None,
) -> None:
    allowed, to = TRANSITIONS[action]
    if bulletin.status not in allowed:
        raise InvalidTransition(
            "Bản tin #%(id)s đang ở trạng thái '%(status)s', không thể chuyển sang '%(to)s'.",
            id=bulletin.id, status=STATUS_VI[bulletin.status], to=STATUS_VI[to],
        )
    if not actor.strip():
        raise BroadcastError("Thiếu người thực hiện.")
    frm = bulletin.status
    bulletin.status = to
    bulletin.transitions.append(
        BulletinTransition(from_status=frm.value, to_status=to.value, actor=actor, comment=comment)
    )
    session.flush()
    _audit(
        session,
        actor,
        f"bulletin.{action}",
        bulletin,
        {"from": frm.value, "to": to.value, "priority": bulletin.priority.value, "comment": comment,
         **(extra or {})},
    )


def submit(
    session: Session, bulletin: Bulletin, actor: str, comment: str = "", *, today: date | None = None
) -> None:
    """Send for review; given ``today``, an emergency that would not air today is refused now."""
    if today is not None:
        check_airs_today(bulletin.priority, bulletin.valid_from, bulletin.valid_to, today)
    _move(session, bulletin, "submit", actor, comment)


def approve(
    session: Session, bulletin: Bulletin, actor: str, comment: str = "", *, today: date | None = None,
    listened: bool = False, settings: Settings | None = None,
) -> None:
    """Approve; given ``today`` (the broadcast day, see ``broadcast.clock``), an emergency whose
    dates leave today out is refused. Every adapter passes it; only fixtures of past days omit it.
    A render whose clarity check scored below ``clarity_threshold`` needs ``listened`` (the
    reviewer confirms they heard it); the audit row records the confirmation and the score."""
    from broadcast.clarity import approval_check

    if today is not None:
        check_airs_today(bulletin.priority, bulletin.valid_from, bulletin.valid_to, today)
    if bulletin.status in TRANSITIONS["approve"][0]:
        extra = approval_check(session, bulletin, listened, settings)
    else:
        extra = {}
    _move(session, bulletin, "approve", actor, comment, extra)
    emergency = bulletin.priority == Priority.EMERGENCY
    if emergency:
        _audit(session, actor, "emergency.approve", bulletin, {"title": bulletin.title})
    _regen(
        session, bulletin, "bulletin approved", target_station_codes(session, bulletin), emergency=emergency
    )


def reject(session: Session, bulletin: Bulletin, actor: str, comment: str) -> None:
    if not comment.strip():
        raise BroadcastError("Từ chối bản tin cần ghi lý do.")
    _move(session, bulletin, "reject", actor, comment)


def archive(session: Session, bulletin: Bulletin, actor: str, comment: str = "") -> None:
    """Withdraw a bulletin. If it was on air (approved), its stations get new playlists without it."""
    was_approved = bulletin.status == S.APPROVED
    codes = target_station_codes(session, bulletin) if was_approved else []
    _move(session, bulletin, "archive", actor, comment)
    if was_approved:
        _regen(session, bulletin, "bulletin withdrawn", codes)


def _audit(session: Session, actor: str, action: str, bulletin: Bulletin, detail: dict[str, Any]) -> None:
    session.add(AuditLog(actor=actor, action=action, target=f"bulletin:{bulletin.id}", detail=detail))


def _regen(
    session: Session, bulletin: Bulletin, reason: str, codes: list[str], *, emergency: bool = False
) -> None:
    add_regen_request(
        session, RegenRequest(reason=reason, bulletin_id=bulletin.id, station_codes=codes, emergency=emergency)
    )


def request_regen(session: Session, bulletin: Bulletin, reason: str) -> None:
    """Ask for new playlists for an approved bulletin's stations (e.g. its audio was just rendered)."""
    if bulletin.status == S.APPROVED:
        _regen(
            session,
            bulletin,
            reason,
            target_station_codes(session, bulletin),
            emergency=bulletin.priority == Priority.EMERGENCY,
        )


# --- queries --------------------------------------------------------------------------------------


def get_bulletin(session: Session, bulletin_id: int) -> Bulletin:
    """The bulletin, or NotFound; an id no database integer can hold is simply not found."""
    b = session.get(Bulletin, bulletin_id) if 0 < bulletin_id < 2**63 else None
    if b is None:
        raise NotFound("Không có bản tin #%(id)s.", id=bulletin_id)
    return b


def target_station_codes(session: Session, bulletin: Bulletin) -> list[str]:
    """Codes of the active stations a bulletin goes to, sorted: never beyond its issuing unit."""
    if bulletin.target_kind == TargetKind.STATIONS:
        return sorted(s.code for s in bulletin.target_stations if s.active)
    q = select(Station.code).where(Station.active.is_(True), unit_reach.within(session, bulletin.unit_id))
    if bulletin.target_kind == TargetKind.GROUP:
        q = q.join(station_group_members, station_group_members.c.station_id == Station.id).where(
            station_group_members.c.group_id == bulletin.target_group_id
        )
    return sorted(session.scalars(q))


def target_station_names(session: Session, bulletin: Bulletin, *, with_codes: bool = False) -> list[str]:
    """Names of the active stations a bulletin goes to, sorted: what an official reads
    (``with_codes``: "Xã Tà Năng (ta-nang)", for the emergency confirmation)."""
    codes = target_station_codes(session, bulletin)
    if not codes:
        return []
    rows = session.execute(select(Station.name, Station.code).where(Station.code.in_(codes))).all()
    return sorted(f"{name} ({code})" if with_codes else name for name, code in rows)


def eligible_bulletins(session: Session, station: Station, day: date) -> list[Bulletin]:
    """Approved bulletins valid on ``day`` that target the station, emergencies first, then
    priority, then normal; oldest first within a level. Includes ones not rendered yet (check
    ``media_sha256``) so the planner can report them as unplaced."""
    if not station.active:
        return []
    in_group = select(station_group_members.c.group_id).where(
        station_group_members.c.station_id == station.id
    )
    targeted = select(bulletin_targets.c.bulletin_id).where(bulletin_targets.c.station_id == station.id)
    q = select(Bulletin).where(
        Bulletin.status == S.APPROVED,
        Bulletin.valid_from <= day,
        Bulletin.valid_to >= day,
        (Bulletin.target_kind == TargetKind.ALL)
        | ((Bulletin.target_kind == TargetKind.GROUP) & Bulletin.target_group_id.in_(in_group))
        | ((Bulletin.target_kind == TargetKind.STATIONS) & Bulletin.id.in_(targeted)),
    )
    found = list(session.scalars(q))
    return sorted(found, key=lambda b: (b.priority.rank, b.created_at, b.id))
