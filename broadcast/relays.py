"""Relays (tiếp sóng): scheduled external streams such as VOV1 news at 06:00 for 15 minutes.

Every rule about a relay is here, so the panel and the CLI refuse the same things in the same
words. An address is checked for its form before anything is stored; whether it answers is only
a warning (``probe``): a stream may be down for the night and up by morning.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from broadcast.changes import Problems, audit, request_regen
from broadcast.errors import BroadcastError, NotFound
from broadcast.models import PlaylistItem, Relay, Station
from broadcast.stations import get_station

#: Address schemes the station agent's ffmpeg can play (Icecast/Shoutcast streams are http(s)).
SCHEMES = ("http", "https", "rtsp", "rtsps", "rtmp", "rtmps")
DEFAULT_PORTS = {"http": 80, "https": 443, "rtsp": 554, "rtsps": 322, "rtmp": 1935, "rtmps": 443}
#: Schemes a browser can play in the panel's "nghe thử" player.
BROWSER_SCHEMES = ("http", "https")
MAX_URL = 500
MAX_NAME = 200


@dataclass(frozen=True)
class RelaySpec:
    name: str
    stream_url: str
    start_time: time
    duration_min: int
    weekdays: str
    station_code: str | None = None


def check_url(url: str) -> str:
    """The address, stripped, if it is one the agent can play; BroadcastError otherwise."""
    url = url.strip()
    bad = BroadcastError(
        "Địa chỉ luồng phải là một địa chỉ http://, https://, rtsp:// hoặc rtmp:// có tên máy chủ "
        "(tối đa %(n)s ký tự).", n=MAX_URL,
    )
    if not url or len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise bad
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        raise bad from None
    if parts.scheme.lower() not in SCHEMES or not parts.hostname:
        raise bad
    return url


def _clock(value: str | time) -> time:
    if isinstance(value, time):
        return value
    h, _sep, m = value.strip().partition(":")
    try:
        if len(m) != 2:
            raise ValueError
        return time(int(h), int(m))
    except ValueError:
        raise BroadcastError("Giờ bắt đầu không hợp lệ (dạng HH:MM).") from None


def parse_relay(
    *,
    name: str,
    stream_url: str,
    start_time: str | time,
    duration_min: str | int,
    weekdays: Iterable[str] | str,
    station_code: str | None = None,
) -> RelaySpec:
    """Check every field of a relay and report every problem at once (``Invalid``)."""
    problems = Problems()
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        problems.add("Tên chương trình tiếp sóng không được trống (tối đa 200 ký tự).")
    url = stream_url.strip()
    try:
        url = check_url(stream_url)
    except BroadcastError as exc:
        problems.keep(exc)
    start = time(0, 0)
    try:
        start = _clock(start_time)
    except BroadcastError as exc:
        problems.keep(exc)
    minutes = 0
    try:
        minutes = int(str(duration_min).strip())
        if not 1 <= minutes <= 24 * 60:
            raise ValueError
    except ValueError:
        problems.add("Thời lượng phải là số phút từ 1 đến 1440.")
    days = "".join(sorted({d for d in weekdays if len(d) == 1 and d in "1234567"}))
    if not days:
        problems.add("Hãy chọn ít nhất một ngày trong tuần.")
    problems.check()
    return RelaySpec(name, url, start, minutes, days, (station_code or "").strip() or None)


def create_relay(session: Session, spec: RelaySpec, *, actor: str) -> Relay:
    """Store a checked relay (see ``parse_relay``); its stations get new playlists."""
    check_url(spec.stream_url)  # a RelaySpec built by hand is checked too
    station: Station | None = get_station(session, spec.station_code) if spec.station_code else None
    relay = Relay(name=spec.name, stream_url=spec.stream_url, start_time=spec.start_time,
                  duration_min=spec.duration_min, weekdays=spec.weekdays,
                  station_id=station.id if station else None)
    session.add(relay)
    session.flush()
    audit(session, actor, "relay.create", relay.name, start=relay.start_time.strftime("%H:%M"),
          minutes=relay.duration_min, weekdays=relay.weekdays, url=relay.stream_url)
    request_regen(session, "relay added", [station.code] if station else None)
    return relay


def get_relay(session: Session, relay_id: int) -> Relay:
    relay = session.get(Relay, relay_id)
    if relay is None:
        raise NotFound("Không có chương trình tiếp sóng #%(id)s.", id=relay_id)
    return relay


def delete_relay(session: Session, relay: Relay, *, actor: str) -> None:
    codes = _codes(session, relay)
    name = relay.name
    # The stored playlists' items keep their airtime but no longer name it (no foreign key there).
    session.execute(update(PlaylistItem).where(PlaylistItem.relay_id == relay.id).values(relay_id=None))
    session.delete(relay)
    session.flush()
    audit(session, actor, "relay.delete", name)
    request_regen(session, "relay removed", codes)


def _codes(session: Session, relay: Relay) -> list[str] | None:
    if relay.station_id is None:
        return None
    code = session.scalar(select(Station.code).where(Station.id == relay.station_id))
    return [code] if code else []


def playable_in_browser(url: str) -> bool:
    return urlsplit(url).scheme.lower() in BROWSER_SCHEMES


# --- reachability (a warning, never a refusal) ---------------------------------------------------


def probe(url: str, timeout_s: float = 3.0) -> BroadcastError | None:
    """Try the stream once, for at most about ``timeout_s`` seconds in all (name lookup included):
    None when it answered, else a warning saying why. ``timeout_s`` ≤ 0 skips the check."""
    if timeout_s <= 0:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    outcome: list[BroadcastError | None] = []
    worker = threading.Thread(target=lambda: outcome.append(_try(url, timeout_s)), daemon=True,
                              name="relay-probe")
    worker.start()
    worker.join(timeout_s + 0.5)
    if not outcome:  # still resolving the name: give up waiting, the thread ends on its own
        return _silent(host, timeout_s)
    return outcome[0]


def _silent(host: str, timeout_s: float) -> BroadcastError:
    return BroadcastError(
        "Luồng %(host)s không trả lời trong %(s)s giây. Đã lưu, nhưng hãy kiểm tra lại địa chỉ (nghe thử).",
        host=host, s=f"{timeout_s:g}",
    )


def _try(url: str, timeout_s: float) -> BroadcastError | None:
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    port = parts.port or DEFAULT_PORTS.get(scheme, 80)
    try:
        if scheme in ("http", "https"):
            conn: http.client.HTTPConnection
            if scheme == "https":
                conn = http.client.HTTPSConnection(host, port, timeout=timeout_s,
                                                   context=ssl.create_default_context())
            else:
                conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
            try:
                path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                conn.request("GET", path, headers={"Icy-MetaData": "0", "User-Agent": "Loa relay check"})
                status = conn.getresponse().status  # headers only: a live stream never ends
            finally:
                conn.close()
            if status >= 400:
                return BroadcastError(
                    "Luồng %(host)s trả lời lỗi HTTP %(status)s. Đã lưu, nhưng hãy kiểm tra lại địa chỉ (nghe thử).",
                    host=host, status=status,
                )
            return None
        socket.create_connection((host, port), timeout=timeout_s).close()
        return None
    except TimeoutError:
        return _silent(host, timeout_s)
    except (OSError, http.client.HTTPException):
        return BroadcastError("Không kết nối được tới luồng %(host)s (máy chủ từ chối hoặc không tìm thấy)."
                              " Đã lưu, nhưng hãy kiểm tra lại địa chỉ (nghe thử).", host=host)
