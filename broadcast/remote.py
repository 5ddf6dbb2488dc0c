"""Remote control of station agents: orders carried in the replies to their heartbeats.

Why through heartbeats: agents sit behind commune NATs and 3G routers that accept no incoming
connection, but they already call the server every ``agent_heartbeat_s``. An order waits in
``remote_commands`` until the agent's next heartbeat; the reply carries every order not yet
acknowledged (so a lost reply is delivered again; the agent drops ids it has already taken), and
the agent acknowledges each one, done or failed with a reason, in a later heartbeat.

Each order is one service command here: validated, audited, in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast.changes import audit
from broadcast.errors import BroadcastError
from broadcast.models import Bulletin, BulletinStatus, RemoteCommand, Station, utcnow

#: Orders an agent understands, with what each needs.
KINDS = ("stop", "resume", "skip", "volume", "tone", "play_now", "system_test")
#: An agent may acknowledge at most this many orders in one heartbeat.
MAX_ACKS = 50
RESULT_MAX = 500
#: stop: minutes the agent stays silent (default, most).
STOP_DEFAULT_MIN, STOP_MAX_MIN = 30, 240
#: tone: seconds of the 1 kHz test tone (default, most).
TONE_DEFAULT_S, TONE_MAX_S = 5, 30


@dataclass(frozen=True)
class Ack:
    id: int
    ok: bool
    result: str


def _int_param(params: dict[str, Any], name: str, default: int | None, low: int, high: int) -> int:
    raw = params.get(name, default)
    try:
        value = int(str(raw).strip()) if raw is not None and str(raw).strip() != "" else None
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise BroadcastError("'%(name)s' phải là số nguyên từ %(low)s đến %(high)s.", name=name, low=low, high=high)
    return value


def _play_now_params(session: Session, station: Station, params: dict[str, Any]) -> dict[str, Any]:
    bulletin_id = _int_param(params, "bulletin_id", None, 1, 2**31 - 1)
    b = session.get(Bulletin, bulletin_id)
    if b is None:
        raise BroadcastError("Không có bản tin số %(id)s.", id=bulletin_id)
    if b.status != BulletinStatus.APPROVED:
        raise BroadcastError("Chỉ phát ngay được bản tin đã duyệt.")
    if b.media is None:
        raise BroadcastError("Bản tin '%(title)s' chưa dựng xong âm thanh.", title=b.title)
    return {"bulletin_id": b.id, "title": b.title, "sha256": b.media.sha256, "size": b.media.size,
            "url": f"/api/v1/media/{b.media.sha256}"}


def check_params(session: Session, station: Station, kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """The stored parameters of an order, checked (BroadcastError names the first bad one)."""
    if kind not in KINDS:
        raise BroadcastError("Lệnh '%(kind)s' không có (dùng: %(kinds)s).", kind=kind, kinds=", ".join(KINDS))
    if kind == "stop":
        return {"minutes": _int_param(params, "minutes", STOP_DEFAULT_MIN, 1, STOP_MAX_MIN)}
    if kind == "volume":
        return {"level": _int_param(params, "level", None, 0, 100)}
    if kind == "tone":
        return {"seconds": _int_param(params, "seconds", TONE_DEFAULT_S, 1, TONE_MAX_S)}
    if kind == "play_now":
        return _play_now_params(session, station, params)
    return {}


def issue_command(
    session: Session, station: Station, kind: str, params: dict[str, Any] | None = None, *,
    actor: str, ttl_s: float, now: datetime | None = None,
) -> RemoteCommand:  # fmt: skip
    """Queue an order for the station's agent; audited. Refused for a station that is paused or
    whose agent was never installed (it would never be picked up)."""
    now = now or utcnow()
    if not station.active:
        raise BroadcastError("Đài '%(code)s' đang tạm ngừng.", code=station.code)
    if station.token_hash is None:
        raise BroadcastError("Đài '%(code)s' chưa cài máy phát (chưa có mã truy cập).", code=station.code)
    stored = check_params(session, station, kind, dict(params or {}))
    cmd = RemoteCommand(station_id=station.id, kind=kind, params=stored or None, issued_by=actor or "system",
                        issued_at=now, expires_at=now + timedelta(seconds=ttl_s), result="")
    session.add(cmd)
    session.flush()
    audit(session, actor, f"remote.{kind}", station.code, command=cmd.id, **stored)
    return cmd


def deliver(session: Session, station: Station, now: datetime | None = None) -> list[dict[str, Any]]:
    """The orders for a heartbeat reply: every one not acknowledged and not expired, oldest first."""
    now = now or utcnow()
    rows = list(session.scalars(
        select(RemoteCommand)
        .where(RemoteCommand.station_id == station.id, RemoteCommand.acked_at.is_(None),
               RemoteCommand.expires_at > now)
        .order_by(RemoteCommand.id)
    ))  # fmt: skip
    for cmd in rows:
        if cmd.sent_at is None:
            cmd.sent_at = now
    session.flush()
    return [{"id": c.id, "kind": c.kind, "params": dict(c.params or {})} for c in rows]


def parse_acks(body: dict[str, Any]) -> list[Ack]:
    """The ``acks`` of a heartbeat: ``[{"id": 12, "ok": true, "result": "…"}]``, checked."""
    raw = body.get("acks")
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_ACKS:
        raise BroadcastError("Trường 'acks' phải là danh sách tối đa %(n)s mục.", n=MAX_ACKS)
    acks = []
    for item in raw:
        ident = item.get("id") if isinstance(item, dict) else None
        # An order's id is a 32-bit row id: anything else is no order of ours, refused before SQL.
        if not isinstance(ident, int) or isinstance(ident, bool) or not 1 <= ident <= 2**31 - 1:
            raise BroadcastError("Mỗi mục của 'acks' cần 'id' là số nguyên.")
        result = item.get("result", "")
        if not isinstance(item.get("ok"), bool) or not isinstance(result, str) or len(result) > RESULT_MAX:
            raise BroadcastError("Mỗi mục của 'acks' cần 'ok' đúng/sai và 'result' tối đa %(n)s ký tự.", n=RESULT_MAX)
        acks.append(Ack(item["id"], item["ok"], result))
    return acks


def acknowledge(session: Session, station: Station, acks: list[Ack], now: datetime | None = None) -> int:
    """Record the agent's verdicts on its own orders (others', and repeats, are ignored); audited."""
    now = now or utcnow()
    if not acks:
        return 0
    wanted = {a.id: a for a in acks}
    rows = session.scalars(
        select(RemoteCommand).where(RemoteCommand.id.in_(wanted), RemoteCommand.station_id == station.id,
                                    RemoteCommand.acked_at.is_(None))
    )
    count = 0
    for cmd in rows:
        ack = wanted[cmd.id]
        cmd.acked_at, cmd.ok, cmd.result = now, ack.ok, ack.result
        audit(session, f"agent:{station.code}", "remote.ack", station.code, command=cmd.id, kind=cmd.kind,
              ok=ack.ok, result=ack.result)
        count += 1
    session.flush()
    return count


def state(cmd: RemoteCommand, now: datetime | None = None) -> str:
    """done | failed | sent (delivered, not acknowledged yet) | waiting | expired."""
    if cmd.acked_at is not None:
        return "done" if cmd.ok else "failed"
    if cmd.expires_at <= (now or utcnow()):
        return "expired"
    return "sent" if cmd.sent_at is not None else "waiting"


def recent_commands(session: Session, station_ids: list[int] | None = None, limit: int = 50) -> list[RemoteCommand]:
    """The latest orders, newest first (all stations, or those given)."""
    q = select(RemoteCommand).order_by(RemoteCommand.id.desc()).limit(limit)
    if station_ids is not None:
        q = q.where(RemoteCommand.station_id.in_(station_ids))
    return list(session.scalars(q))


def last_system_tests(session: Session, station_ids: list[int]) -> dict[int, RemoteCommand]:
    """Each station's latest system test order (the dashboard reports its outcome)."""
    out: dict[int, RemoteCommand] = {}
    rows = session.scalars(
        select(RemoteCommand)
        .where(RemoteCommand.kind == "system_test", RemoteCommand.station_id.in_(station_ids))
        .order_by(RemoteCommand.id.desc())
    )
    for cmd in rows:
        out.setdefault(cmd.station_id, cmd)
    return out


def issue_system_tests(session: Session, *, ttl_s: float, now: datetime | None = None) -> list[str]:
    """The daily silent system test: one order to every active station with an agent."""
    now = now or utcnow()
    codes = []
    for st in session.scalars(select(Station).where(Station.active.is_(True), Station.token_hash.is_not(None))
                              .order_by(Station.code)):
        issue_command(session, st, "system_test", actor="system", ttl_s=ttl_s, now=now)
        codes.append(st.code)
    return codes
