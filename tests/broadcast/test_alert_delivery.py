"""Alert delivery against local servers: a real SMTP server (aiosmtpd), a webhook receiver and a
loopback Telegram Bot API that answers as the real one does, errors included; and the scheduler's
alert check, run by two daemons on one database, sending each alert once."""

from __future__ import annotations

import dataclasses
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from broadcast import notify
from broadcast import stations as st
from broadcast.models import AlertState, SchedulerRun, Station
from broadcast.scheduler import SchedulerDaemon
from loa.config import Settings

TOKEN = "123456:ABC-test-token"


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append(message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, _Mailbox]]:
    box = _Mailbox()
    with socket.socket() as probe:  # aiosmtpd's readiness check cannot use port 0: pick a free one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, box
    controller.stop()


class Receiver:
    """Webhook receiver and fake Telegram Bot API on one loopback server."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.webhook_status = 200
        state = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                state.posts.append((self.path, body))
                if self.path == f"/bot{TOKEN}/sendMessage":
                    if body.get("chat_id") != "-100200":
                        status, doc = 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
                    else:
                        status, doc = 200, {"ok": True, "result": {"message_id": len(state.posts), "text": body["text"],
                                                                   "chat": {"id": -100200, "type": "group"}}}
                elif self.path.startswith("/bot"):
                    status, doc = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
                else:
                    status, doc = state.webhook_status, {"received": True}
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _channels(smtp: Controller, receiver: Receiver, **changes: Any) -> notify.Channels:
    ch = notify.Channels(smtp_host="127.0.0.1", smtp_port=smtp.port,
                         email_from="loa@huyen.vn", email_to=("trucban@huyen.vn", "kythuat@huyen.vn"),
                         webhook_url=f"{receiver.url}/hook", telegram_api=receiver.url, telegram_token=TOKEN,
                         telegram_chat_id="-100200", timeout_s=5)
    return dataclasses.replace(ch, **changes)


def test_every_channel_gets_the_alert(smtp: tuple[Controller, _Mailbox], receiver: Receiver) -> None:
    controller, box = smtp
    ch = _channels(controller, receiver)
    error = notify.deliver(ch, "[Loa] Đài Tà Năng ngoại tuyến", "Đài Tà Năng ngoại tuyến từ 10:00",
                           {"event": "offline.raised", "station": "ta-nang"})
    assert error == ""
    [mail] = box.messages
    assert mail["Subject"] == "[Loa] Đài Tà Năng ngoại tuyến" and "trucban@huyen.vn" in mail["To"]
    assert "ngoại tuyến từ 10:00" in mail.get_content()  # type: ignore[attr-defined]
    paths = dict(receiver.posts)
    assert paths["/hook"] == {"event": "offline.raised", "station": "ta-nang"}
    assert paths[f"/bot{TOKEN}/sendMessage"] == {"chat_id": "-100200", "text": "Đài Tà Năng ngoại tuyến từ 10:00"}


def test_channel_errors_are_reported_not_raised(smtp: tuple[Controller, _Mailbox], receiver: Receiver) -> None:
    controller, box = smtp
    receiver.webhook_status = 502
    ch = _channels(controller, receiver, telegram_chat_id="-1", smtp_port=9)  # nothing listens on port 9
    error = notify.deliver(ch, "s", "t", {"x": 1})
    assert "e-mail:" in error and "webhook: HTTP 502" in error
    assert "telegram: 400 Bad Request: chat not found" in error
    bad_token = notify.send_telegram(_channels(controller, receiver, telegram_token="999:wrong"), "t")
    assert bad_token == "telegram: 401 Unauthorized"
    gone = notify.send_telegram(_channels(controller, receiver, telegram_api="http://127.0.0.1:9"), "t")
    assert gone.startswith("telegram: ") and TOKEN not in gone  # the token never reaches a log
    assert box.messages == []


def test_two_daemons_send_each_alert_once(
    settings: Settings, engine: Engine, factory: sessionmaker[Session],
    smtp: tuple[Controller, _Mailbox], receiver: Receiver,
) -> None:  # fmt: skip
    controller, box = smtp
    cfg = dataclasses.replace(
        settings, alert_smtp_host="127.0.0.1", alert_smtp_port=controller.port,
        alert_email_to=("trucban@huyen.vn",), alert_webhook_url=f"{receiver.url}/hook",
        alert_offline_after_min=10, alert_cooldown_min=60,
    )  # fmt: skip
    with factory() as s:
        station = Station(code="ta-nang", name="Xã Tà Năng", token_hash="h")
        s.add(station)
        s.flush()
        st.record_heartbeat(s, station, {}, now=datetime.now(UTC) - timedelta(minutes=30))
        s.commit()
    a, b = SchedulerDaemon(cfg, engine), SchedulerDaemon(cfg, engine)
    results: list[int] = []
    threads = [threading.Thread(target=lambda d=d: results.append(d.alerts())) for d in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(results) == 1
    assert len(box.messages) == 1 and [p for p, _ in receiver.posts] == ["/hook"]
    assert receiver.posts[0][1]["event"] == "offline.raised"
    with factory() as s:
        row = s.scalar(select(AlertState))
        assert row is not None and row.active and row.sent_count == 1 and row.last_error == ""
        assert s.scalar(select(SchedulerRun.job).where(SchedulerRun.job == "alerts")) == "alerts"
        station = s.scalar(select(Station))
        assert station is not None
        st.record_heartbeat(s, station, {})
        s.commit()
    assert a.alerts() == 1  # back online
    assert "đã kết nối lại" in box.messages[-1]["Subject"]
    assert receiver.posts[-1][1]["event"] == "offline.recovered"
