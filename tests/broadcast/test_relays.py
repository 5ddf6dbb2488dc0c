"""broadcast.relays: the address rules, the stored relay, and the reachability warning
(against loopback servers: one that streams, one that answers 404, one that never answers, and a
closed port)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import time as clock
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast import relays as svc
from broadcast.changes import Invalid
from broadcast.errors import BroadcastError, NotFound
from broadcast.models import AuditLog, RegenRequest, Relay


@pytest.mark.parametrize("url", [
    "https://vov.example/vov1.m3u8", "http://10.0.0.5:8000/live", "rtsp://cam.example:554/stream",
    "rtmp://live.example/app/key", "HTTPS://VOV.EXAMPLE/x",
])
def test_good_addresses(url: str) -> None:
    assert svc.check_url(f"  {url} ") == url


@pytest.mark.parametrize("url", [
    "", "javascript:alert(1)", "ftp://vov.example/x", "http://", "http:///path", "vov.example/x",
    "http://vov.example:99999/x", "http://vov.example/a b", "http://vov.example/\r\nX: y",
    "https://vov.example/" + "a" * 500, "file:///etc/passwd",
])
def test_bad_addresses_are_refused(url: str) -> None:
    with pytest.raises(BroadcastError, match="http://, https://, rtsp:// hoặc rtmp://"):
        svc.check_url(url)


def test_parse_relay_reports_every_problem() -> None:
    with pytest.raises(Invalid) as info:
        svc.parse_relay(name="", stream_url="x", start_time="25:00", duration_min="0", weekdays=[])
    text = str(info.value)
    for words in ("Tên chương trình", "http://", "Giờ bắt đầu", "từ 1 đến 1440", "ít nhất một ngày"):
        assert words in text, words
    spec = svc.parse_relay(name=" VOV1 ", stream_url="https://vov.example/1", start_time="06:00",
                           duration_min="15", weekdays=["3", "1", "1", "9", "12"])
    assert (spec.name, spec.start_time, spec.duration_min, spec.weekdays) == ("VOV1", clock(6, 0), 15, "13")


def test_create_and_delete_audit_and_ask_for_playlists(session: Session, stations: list[str]) -> None:
    spec = svc.parse_relay(name="VOV1", stream_url="https://vov.example/1", start_time="06:00",
                           duration_min="15", weekdays="1234567", station_code="hiep-an")
    relay = svc.create_relay(session, spec, actor="vanhanh")
    everywhere = svc.create_relay(session, svc.parse_relay(
        name="VOV2", stream_url="http://vov.example/2", start_time="07:00", duration_min="5", weekdays="1"),
        actor="vanhanh")
    reqs = [(r.reason, r.station_codes) for r in session.scalars(select(RegenRequest))]
    assert ("relay added", ["hiep-an"]) in reqs and ("relay added", None) in reqs
    svc.delete_relay(session, svc.get_relay(session, relay.id), actor="vanhanh")
    svc.delete_relay(session, everywhere, actor="vanhanh")
    assert session.scalars(select(Relay)).all() == []
    actions = list(session.scalars(select(AuditLog.action).where(AuditLog.action.like("relay.%"))))
    assert actions == ["relay.create", "relay.create", "relay.delete", "relay.delete"]
    with pytest.raises(NotFound):
        svc.get_relay(session, relay.id)
    with pytest.raises(NotFound):
        svc.create_relay(session, svc.parse_relay(name="X", stream_url="http://a.example/", start_time="06:00",
                                                  duration_min="5", weekdays="1", station_code="khong-co"),
                         actor="x")


# --- the probe ---------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/missing":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "audio/mpeg")
        self.end_headers()
        try:
            for _ in range(50):  # a live stream: it keeps sending
                self.wfile.write(b"\xff\xfb" * 512)
                time.sleep(0.05)
        except OSError:
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stream_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/live"
    sock.close()


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_a_live_stream_answers(stream_server: str) -> None:
    started = time.monotonic()
    assert svc.probe(f"{stream_server}/live", 3.0) is None
    assert time.monotonic() - started < 2.0  # headers only, not the endless body


def test_an_http_error_is_a_warning(stream_server: str) -> None:
    warning = svc.probe(f"{stream_server}/missing", 3.0)
    assert warning is not None and "HTTP 404" in str(warning) and "Đã lưu" in str(warning)


def test_a_closed_port_is_a_warning() -> None:
    for url in (f"http://127.0.0.1:{_closed_port()}/live", f"rtsp://127.0.0.1:{_closed_port()}/cam"):
        warning = svc.probe(url, 3.0)
        assert warning is not None and "Không kết nối được" in str(warning), url


def test_silence_is_a_warning_within_the_bound(silent_server: str) -> None:
    started = time.monotonic()
    warning = svc.probe(silent_server, 0.5)
    assert time.monotonic() - started < 1.5
    assert warning is not None and "không trả lời trong 0.5 giây" in str(warning)


def test_zero_timeout_skips_the_probe() -> None:
    assert svc.probe(f"http://127.0.0.1:{_closed_port()}/", 0) is None


def test_deleting_a_relay_clears_it_from_stored_playlists(session: Session, stations: list[str]) -> None:
    """Stored items name their relay without a foreign key (broadcast/models.py): the delete
    service clears the id, keeps the item (what was planned to air), and leaves others alone."""
    from datetime import UTC, date, datetime

    from broadcast.models import Playlist, PlaylistItem, Station

    relay = svc.create_relay(session, svc.parse_relay(name="VOV1", stream_url="https://vov.example/1",
                                                      start_time="06:00", duration_min="15", weekdays="1234567"),
                             actor="vanhanh")
    other = svc.create_relay(session, svc.parse_relay(name="VOV2", stream_url="https://vov.example/2",
                                                      start_time="07:00", duration_min="5", weekdays="1"),
                             actor="vanhanh")
    station = session.scalars(select(Station)).first()
    assert station is not None
    pl = Playlist(station_id=station.id, date=date(2026, 12, 2), version=1, generated_at=datetime.now(UTC),
                  manifest={}, etag="x")
    pl.items = [PlaylistItem(position=i, start=datetime(2026, 12, 1, 23, i, tzinfo=UTC), duration_s=900.0,
                             kind="relay", title=r.name, relay_id=r.id) for i, r in enumerate((relay, other))]
    session.add(pl)
    session.flush()
    svc.delete_relay(session, relay, actor="vanhanh")
    session.expire_all()
    assert [(it.title, it.relay_id) for it in pl.items] == [("VOV1", None), ("VOV2", other.id)]
