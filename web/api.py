"""The JSON API for station agents and other systems. Routes and formats are a contract.

Who may read what (see broadcast/agent/README.md): a station's manifests need that station's agent
token (or a user's API token), because a manifest says what a station airs and when; the station
list needs a user's API token. Media stay open: a file is named by its SHA-256, which only a
manifest (or the public podcast feed, which serves the same files) reveals, and one file is shared
by many stations, so a per-station check would protect nothing. Writes need a bearer token: a
station's agent token for as-run rows and heartbeats, a user's API token for bulletins.
Every error is JSON with a Vietnamese message; bodies are bounded (``api_max_body_bytes``), and
JSON that is too deep or holds a lone surrogate is a 400, never a 500.
"""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from broadcast import (
    asrun,
    bulletins,
    clock,
    generate,
    heartbeats,
    inbox,
    permissions,
    remote,
    stations,
    units,
)
from broadcast.errors import BroadcastError, Forbidden, InvalidTransition, NotFound
from broadcast.models import MediaFile, Station, Unit, User
from broadcast.security import hash_token, verify_token
from web import db
from web.media import send_media
from web.openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")

#: How long a manifest stays in the in-process cache. Agents poll every 30 s; this only
#: absorbs bursts (a thousand agents at the same second) without a database query each.
MANIFEST_TTL_S = 1.0
#: Deepest nesting of arrays/objects accepted in a JSON body (an as-run upload needs 3).
JSON_MAX_DEPTH = 32


@bp.before_request
def _limit_body() -> None:
    request.max_content_length = db.settings().api_max_body_bytes


def error(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": message, "code": code})
    response.status_code = status
    return response


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    messages = {
        400: "Yêu cầu không hợp lệ.",
        401: "Cần mã truy cập.",
        403: "Không có quyền.",
        404: "Không tìm thấy.",
        405: "Phương thức không được hỗ trợ.",
        413: "Dữ liệu gửi lên quá lớn.",
        429: "Quá nhiều yêu cầu, hãy thử lại sau.",
    }
    status = exc.code or 500
    response = error(
        status, (exc.name or "error").lower().replace(" ", "_"), messages.get(status, "Lỗi máy chủ.")
    )
    for name, value in exc.get_headers():
        if name.lower() == "allow":  # a 405 says which methods the route takes
            response.headers[name] = value
    return response


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    current_app.logger.exception("API error")
    return error(500, "internal", "Lỗi máy chủ, đã ghi nhật ký.")


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_json(doc: Any) -> None:
    """Refuse nesting deeper than JSON_MAX_DEPTH and lone surrogates (they cannot be stored or
    encoded as UTF-8); iterative, so a hostile document cannot exhaust the stack here."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise BroadcastError("Nội dung JSON chứa ký tự Unicode không hợp lệ.")
        elif isinstance(value, dict | list):
            if depth > JSON_MAX_DEPTH:
                raise BroadcastError(
                    "Nội dung JSON lồng nhau quá sâu (tối đa %(max)s cấp).", max=JSON_MAX_DEPTH
                )
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _json_body() -> dict[str, Any]:
    """The request's JSON object; 400 for anything else, 413 past ``api_max_body_bytes``."""
    raw = request.get_data(cache=True)
    try:
        body = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser's stack
        raise BroadcastError("Nội dung không phải JSON hợp lệ.") from None
    if not isinstance(body, dict):
        raise BroadcastError("Nội dung phải là một đối tượng JSON.")
    _check_json(body)
    return body


def _reader() -> User:
    """The active user whose API token this is (any role may read)."""
    token = _bearer()
    user = (
        db.session().scalar(select(User).where(User.api_token_hash == hash_token(token))) if token else None
    )
    if user is None or not user.active or not verify_token(token, user.api_token_hash):
        raise Forbidden("Mã truy cập API không đúng.")
    return user


def _manifest_reader(code: str) -> None:
    """The agent token of station ``code``, or a user's API token; Forbidden/PermissionError otherwise.

    A granted (token, station) pair is remembered for ``MANIFEST_TTL_S``, like the manifest itself,
    so a burst of polls costs no database query; a revoked token stops working within that second.
    """
    token = _bearer()
    if not token:
        raise Forbidden("Thiếu mã truy cập.")
    granted: dict[tuple[str, str], float] = current_app.extensions.setdefault("loa_manifest_readers", {})
    key = (hash_token(token), code)
    if time.monotonic() - granted.get(key, -MANIFEST_TTL_S) < MANIFEST_TTL_S:
        return
    station = db.session().scalar(select(Station).where(Station.token_hash == key[0]))
    if station is not None and verify_token(token, station.token_hash):
        if station.code != code or not station.active:
            raise PermissionError(f"Mã truy cập này không được đọc lịch phát của đài '{code}'.")
    else:
        user = _reader()
        unit_id = db.session().scalar(select(Station.unit_id).where(Station.code == code))
        if not permissions.scope_of(db.session(), user).covers(unit_id):
            raise PermissionError(f"Mã truy cập này không được đọc lịch phát của đài '{code}'.")
    if len(granted) > 50_000:
        granted.clear()
    granted[key] = time.monotonic()


def _auth_error(fn: Any) -> Response | None:
    try:
        fn()
    except Forbidden as exc:
        return error(401, "unauthorized", str(exc))
    except PermissionError as exc:
        return error(403, "forbidden", str(exc))
    return None


@bp.get("/stations")
def list_stations() -> Response:
    readers: list[User] = []
    refused = _auth_error(lambda: readers.append(_reader()))
    if refused is not None:
        return refused
    now = datetime.now(UTC)
    scope = permissions.scope_of(db.session(), readers[0])
    rows = db.session().scalars(select(Station).where(scope.clause(Station.unit_id)).order_by(Station.code))
    return jsonify(
        [
            {
                "code": s.code,
                "name": s.name,
                "kind": s.kind,
                "district": s.district,
                "active": s.active,
                "online": stations.is_online(s, db.settings().agent_heartbeat_s, now),
                "last_heartbeat_at": s.last_heartbeat_at.isoformat() if s.last_heartbeat_at else None,
            }
            for s in rows
        ]
    )


class _ManifestCache:
    """(station, date) → (etag, body), kept for ``MANIFEST_TTL_S``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], tuple[float, str, bytes]] = {}

    def get(self, key: tuple[str, str]) -> tuple[str, bytes] | None:
        with self._lock:
            hit = self._items.get(key)
        if hit and time.monotonic() - hit[0] < MANIFEST_TTL_S:
            return hit[1], hit[2]
        return None

    def put(self, key: tuple[str, str], etag: str, body: bytes) -> None:
        with self._lock:
            if len(self._items) > 50_000:
                self._items.clear()
            self._items[key] = (time.monotonic(), etag, body)


def _manifests() -> _ManifestCache:
    return current_app.extensions.setdefault("loa_manifest_cache", _ManifestCache())  # type: ignore[no-any-return]


@bp.get("/stations/<code>/playlists/<day>")
def playlist(code: str, day: str) -> Response:
    refused = _auth_error(lambda: _manifest_reader(code))
    if refused is not None:
        return refused
    try:
        date.fromisoformat(day)
    except ValueError:
        return error(400, "bad_date", "Ngày phải có dạng YYYY-MM-DD.")
    cache = _manifests()
    hit = cache.get((code, day))
    if hit is None:
        found = generate.latest_playlist(db.session(), code, date.fromisoformat(day))
        if found is None:
            return error(404, "no_playlist", f"Chưa có danh sách phát của đài '{code}' ngày {day}.")
        body = json.dumps(found.manifest, ensure_ascii=False).encode("utf-8")
        hit = (found.etag, body)
        cache.put((code, day), *hit)
    etag, body = hit
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    response.cache_control.no_cache = True
    return response


@bp.get("/media/<sha256>")
def media(sha256: str) -> Response:
    """Whatever the MediaFile row says the file is (an .ogg jingle, an uploaded .wav, an MP3)."""
    row = db.session().get(MediaFile, sha256) if len(sha256) == 64 else None
    if row is None:
        return send_media(sha256)
    return send_media(sha256, row.path, row.mime)


def _station_from_token(body: dict[str, Any]) -> Station:
    station = stations.station_for_token(db.session(), _bearer())
    claimed = body.get("station")
    if claimed is not None and claimed != station.code:
        raise PermissionError(f"Mã truy cập này thuộc đài '{station.code}', không phải '{claimed}'.")
    return station


def _guarded(fn: Any) -> Response:
    """Run a write, turning service errors into JSON answers; commit only on success."""
    try:
        result = fn()
    except Forbidden as exc:
        db.session().rollback()
        return error(401, "unauthorized", str(exc))
    except PermissionError as exc:
        db.session().rollback()
        return error(403, "forbidden", str(exc))
    except NotFound as exc:
        db.session().rollback()
        return error(404, "not_found", str(exc))
    except InvalidTransition as exc:  # e.g. editing an approved bulletin
        db.session().rollback()
        return error(409, "conflict", str(exc))
    except BroadcastError as exc:
        db.session().rollback()
        return error(400, "invalid", str(exc))
    db.commit()
    return result  # type: ignore[no-any-return]


@bp.post("/asrun")
def post_asrun() -> Response:
    def run() -> Response:
        body = _json_body()
        station = _station_from_token(body)
        rows = body.get("rows")
        if not isinstance(rows, list):
            raise BroadcastError("Thiếu danh sách 'rows'.")
        accepted, duplicates = asrun.record_asrun(db.session(), station, rows)
        return jsonify({"accepted": accepted, "duplicates": duplicates})

    return _guarded(run)


@bp.post("/heartbeat")
def post_heartbeat() -> Response:
    def run() -> Response:
        body = _json_body()
        station = _station_from_token(body)
        info = heartbeats.heartbeat_info(body)
        acks = remote.parse_acks(body)
        stations.record_heartbeat(db.session(), station, info)
        remote.acknowledge(db.session(), station, acks)
        commands = remote.deliver(db.session(), station)
        return jsonify({"ok": True, "server_time": datetime.now(UTC).isoformat(), "commands": commands})

    return _guarded(run)


def _api_user(action: str = "bulletins.send") -> User:
    """The active user whose API token this is, when their role may do ``action``."""
    user = _reader()
    if not permissions.allowed(user.role, action):
        raise PermissionError(_REFUSED.get(action, f"Tài khoản này không có quyền làm việc này ({action})."))
    return user


_REFUSED = {"bulletins.send": "Tài khoản này không được gửi bản tin.",
            "bulletins.write": "Tài khoản này không được sửa bản tin.",
            # CAP alerts become emergency bulletins.
            "emergency": "Chỉ người duyệt mới được gửi cảnh báo CAP (bản tin khẩn cấp)."}


def _day_field(body: dict[str, Any], name: str, default: date) -> date:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise BroadcastError("Trường '%(name)s' phải là ngày dạng YYYY-MM-DD.", name=name)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BroadcastError("Trường '%(name)s' phải là ngày dạng YYYY-MM-DD.", name=name) from None


#: Fields POST /api/v1/bulletins understands; anything else is refused, not silently dropped.
BULLETIN_FIELDS = frozenset(
    {
        "title",
        "body",
        "category",
        "issuer",
        "priority",
        "valid_from",
        "valid_to",
        "plays_per_day",
        "stations",
        "group",
        "voice",
        "speech_rate",
        "submit",
    }
)


@bp.post("/bulletins")
def post_bulletin() -> Response:
    """JSON → the service's arguments as sent (no coercion): the service refuses wrong types and
    values with the same words and limits as the form."""

    def run() -> Response:
        user = _api_user()
        body = _json_body()
        unknown = sorted(set(body) - BULLETIN_FIELDS)
        if unknown:
            raise BroadcastError("Trường không hợp lệ: %(fields)s.", fields=", ".join(unknown))
        priority = body.get("priority", "normal")
        if not isinstance(priority, str):
            raise BroadcastError("Trường '%(name)s' phải là văn bản.", name="priority")
        if priority == "emergency" and not permissions.allowed(user.role, "emergency"):
            raise PermissionError("Chỉ người duyệt mới được gửi bản tin khẩn cấp.")
        send = body.get("submit", True)
        if not isinstance(send, bool):
            raise BroadcastError("Trường 'submit' phải là true hoặc false.")
        settings = db.settings()
        today = clock.today(settings.timezone)
        start = _day_field(body, "valid_from", today)
        end = _day_field(body, "valid_to", bulletins.default_validity(start, priority)[1])
        bulletin = bulletins.create_bulletin(
            db.session(),
            title=body.get("title", ""),
            body=body.get("body", ""),
            category=body.get("category", ""),
            issuer=body.get("issuer", ""),
            priority=priority,
            valid_from=start,
            valid_to=end,
            plays_per_day=body.get("plays_per_day", 1),
            station_codes=body.get("stations"),
            group=body.get("group"),
            voice=body.get("voice", ""),
            speech_rate=body.get("speech_rate", 1.0),
            actor=user.username,
            settings=settings,
        )
        if send:
            bulletins.submit(db.session(), bulletin, user.username, today=today)
        db.session().flush()
        if send:
            submitted.append((bulletin.id, priority == "emergency"))
        response = jsonify({"id": bulletin.id, "status": bulletin.status.value})
        response.status_code = 201
        return response

    submitted: list[tuple[int, bool]] = []
    response = _guarded(run)
    for bulletin_id, emergency in submitted:  # committed: render it now, as the panel does on submit
        from broadcast.tasks import enqueue_render

        enqueue_render(db.jobs(), bulletin_id, regenerate=False, emergency=emergency, factory=db.factory())
    return response


# --- units11: a commune's inbox of bulletins from higher units (Circular 39) -------------------


def _inbox_unit(user: User, code: Any) -> Unit:
    if code is not None and not isinstance(code, str):
        raise BroadcastError("Trường 'unit' phải là mã đơn vị.")
    if code:
        unit = units.get(db.session(), code)
    elif user.unit_id is not None:
        unit = units.get_by_id(db.session(), user.unit_id)
    else:
        raise BroadcastError("Cần mã đơn vị (unit).")
    if not permissions.scope_of(db.session(), user).covers(unit.id):
        raise PermissionError("Đơn vị này không thuộc phạm vi của tài khoản.")
    return unit


def _entry(e: inbox.Entry) -> dict[str, Any]:
    return {"bulletin": e.bulletin_id, "title": e.title, "priority": e.priority, "sender": e.sender_code,
            "unit": e.unit_code, "state": e.state, "position": e.position, "actor": e.actor,
            "at": e.at.isoformat() if e.at else None, "reason": e.reason, "stations": list(e.stations)}


@bp.get("/inbox")
def get_inbox() -> Response:
    """The bulletins from higher units that come to a unit (``?unit=CODE``, default the user's)."""

    def run() -> Response:
        user = _api_user("inbox.view")
        unit = _inbox_unit(user, request.args.get("unit"))
        entries = inbox.inbox(db.session(), unit, today=clock.today(db.settings().timezone))
        return jsonify([_entry(e) for e in entries])

    return _guarded(run)


@bp.post("/inbox/<int:bulletin_id>")
def post_inbox_decision(bulletin_id: int) -> Response:
    """A commune's decision: ``{"decision": "accept"|"decline"|"before"|"after", "reason": …}``."""

    def run() -> Response:
        user = _api_user("inbox.decide")
        body = _json_body()
        unknown = sorted(set(body) - {"decision", "reason", "unit"})
        if unknown:
            raise BroadcastError("Trường không hợp lệ: %(fields)s.", fields=", ".join(unknown))
        decision, reason = body.get("decision"), body.get("reason", "")
        if not isinstance(reason, str):
            raise BroadcastError("Trường '%(name)s' phải là văn bản.", name="reason")
        unit = _inbox_unit(user, body.get("unit"))
        b = bulletins.get_bulletin(db.session(), bulletin_id)
        if decision == "accept":
            inbox.accept(db.session(), b, unit, actor=user.username, reason=reason)
        elif decision == "decline":
            inbox.decline(db.session(), b, unit, actor=user.username, reason=reason)
        elif decision in ("before", "after"):
            inbox.order(db.session(), b, unit, decision, actor=user.username, reason=reason)
        else:
            raise BroadcastError("Trường 'decision' phải là accept, decline, before hoặc after.")
        entry = next(e for e in inbox.status(db.session(), b) if e.unit_id == unit.id)
        return jsonify(_entry(entry))

    return _guarded(run)


@bp.get("/bulletins/<int:bulletin_id>/inbox")
def get_inbox_status(bulletin_id: int) -> Response:
    """The sending unit's view: each target commune's answer."""

    def run() -> Response:
        user = _api_user("inbox.sent")
        b = bulletins.get_bulletin(db.session(), bulletin_id)
        if not permissions.scope_of(db.session(), user).covers(b.unit_id):
            raise NotFound("Không có bản tin #%(id)s.", id=bulletin_id)
        return jsonify([_entry(e) for e in inbox.status(db.session(), b)])

    return _guarded(run)


#: JSON field of PATCH /api/v1/bulletins/<id> → the service's argument (the others are the same).
EDIT_FIELDS = {name: name for name in BULLETIN_FIELDS - {"submit", "stations", "valid_from", "valid_to"}} | {
    "stations": "station_codes"}


@bp.patch("/bulletins/<int:bulletin_id>")
def patch_bulletin(bulletin_id: int) -> Response:
    """Edit a draft or rejected bulletin: only the fields sent change, by the same service command
    (and in the same words) as the panel's form and ``loa bulletin edit``."""

    def run() -> Response:
        user = _api_user("bulletins.write")
        body = _json_body()
        unknown = sorted(set(body) - set(EDIT_FIELDS) - {"valid_from", "valid_to"})
        if unknown:
            raise BroadcastError("Trường không hợp lệ: %(fields)s.", fields=", ".join(unknown))
        b = bulletins.get_bulletin(db.session(), bulletin_id)
        fields = {EDIT_FIELDS[k]: v for k, v in body.items() if k in EDIT_FIELDS}
        for name in ("valid_from", "valid_to"):
            if name in body:
                fields[name] = _day_field(body, name, getattr(b, name))
        if fields.get("priority") == "emergency" and not permissions.allowed(user.role, "emergency"):
            raise PermissionError("Chỉ người duyệt mới được gửi bản tin khẩn cấp.")
        bulletins.edit_bulletin(db.session(), b, actor=user.username, settings=db.settings(), **fields)
        db.session().flush()
        return jsonify({"id": b.id, "status": b.status.value})

    return _guarded(run)


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


# --- cap11: CAP 1.2 alerts → emergency bulletins -----------------------------------------------


@bp.post("/cap")
def post_cap() -> Response:
    """A CAP 1.2 document as the body (application/xml); the outcome as JSON: 201 when a bulletin
    was made, 200 for an Update, a Cancel or a message already received."""
    from broadcast import cap

    settings = db.settings()
    length = request.content_length
    if length is not None and length > settings.cap_max_bytes:
        return error(413, "too_large", str(cap.CapTooLarge(
            "Tệp cảnh báo CAP quá lớn: %(n)s byte, tối đa %(max)s byte.", n=length, max=settings.cap_max_bytes)))
    published: list[cap.Outcome] = []
    data = request.get_data(cache=False)

    def run() -> Response:
        user = _api_user("emergency")
        try:
            done = cap.import_alert(db.session(), data, actor=user.username,
                                    settings=settings, today=clock.today(settings.timezone))
        except cap.CapTooLarge as exc:  # refused before parsing: nothing was written
            return error(413, "too_large", str(exc))
        published.append(done)
        response = jsonify(done.as_dict())
        response.status_code = 201 if done.action == "created" else 200
        return response

    try:
        response = _guarded(run)
    except IntegrityError:  # the same alert, committed by a concurrent request: answer as a repeat
        db.session().rollback()
        published.clear()
        response = _guarded(run)
    if published and published[0].publish and published[0].bulletin_id is not None:
        from web.bulletins import start_render

        start_render(published[0].bulletin_id, regenerate=True)  # render, then publish the emergency
    return response


@bp.get("/stations/<code>/events")
def station_events(code: str) -> Response:
    """Server-sent events for one station's agent (its token): emergencies as they are committed."""
    from web.events import event_stream

    refused = _auth_error(lambda: _manifest_reader(code))
    if refused is not None:
        return refused
    if db.session().scalar(select(Station.id).where(Station.code == code)) is None:
        return error(404, "no_station", f"Không có đài '{code}'.")
    db.session().close()  # the stream holds no database connection while it waits
    response = event_stream(code)
    if response is None:
        busy = error(503, "busy", "Máy chủ đang giữ quá nhiều kết nối sự kiện; hãy tiếp tục hỏi định kỳ.")
        busy.headers["Retry-After"] = "60"
        return busy
    return response
