"""Helpers for the panel tests: an app on a temporary data folder with two stations, a group and one
user per role, and clients that log in and send forms with their CSRF token like a browser.

A plain module (not conftest) so test files can import it by a name no other folder uses."""

from __future__ import annotations

import re
import shutil
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from broadcast import bulletins, clock, stations
from broadcast.db import init_db, session_scope
from broadcast.models import Bulletin, Role, User
from loa import config
from web.app import create_app
from web.jobs import InlineJobQueue

PASSWORD = "mat-khau-thu-123"
ROLES = ("editor", "reviewer", "operator", "admin")
#: Two stations with sessions every day (so tests do not depend on the weekday) and one group.
STATIONS_CSV = """code,name,kind,sessions
ta-nang,Xã Tà Năng,xa,"Mon-Sun 05:30-06:00; Mon-Sun 17:00-17:45"
lien-nghia,Thị trấn Liên Nghĩa,thi_tran,"Mon-Sun 06:00-06:30; Mon-Sun 18:00-18:30"
"""
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
#: argon2 is slow on purpose; tests use light parameters (the hash format and checks are the same).
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD_HASH = FAST_HASHER.hash(PASSWORD)
_TEMPLATE_DB: Path | None = None


def _template_db(data_dir: Path) -> None:
    """Copy an already migrated database in place: running every migration per test is slow."""
    global _TEMPLATE_DB
    if _TEMPLATE_DB is None or not _TEMPLATE_DB.exists():
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="loa-web-template-"))
        init_db(f"sqlite:///{folder / 'loa.db'}").dispose()
        _TEMPLATE_DB = folder / "loa.db"
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_TEMPLATE_DB, data_dir / "loa.db")


@dataclass
class Panel:
    app: Flask
    settings: config.Settings
    clients: dict[str, FlaskClient] = field(default_factory=dict)

    def session(self) -> AbstractContextManager[Session]:
        return session_scope(self.app.extensions["loa_sessions"])

    def anonymous(self) -> FlaskClient:
        return self.app.test_client()

    def client(self, role: str) -> FlaskClient:
        """A client logged in as the user named like the role (cached per panel)."""
        if role not in self.clients:
            c = self.app.test_client()
            r = post(c, "/login", {"username": role, "password": PASSWORD})
            assert r.status_code == 302, r.get_data(as_text=True)
            self.clients[role] = c
        return self.clients[role]

    def bulletin(self, status: str = "draft", **fields: Any) -> int:
        """A bulletin created through the services, moved to ``status``."""
        today = clock.today("Asia/Ho_Chi_Minh")
        args: dict[str, Any] = {
            "title": "Thông báo lịch tiêm chủng",
            "body": "Ngày 27/11/2026, trạm y tế xã tiêm chủng cho trẻ dưới 5 tuổi.",
            "valid_from": today,
            "valid_to": today + timedelta(days=3),
            "actor": "editor",
            **fields,
        }
        with self.session() as s:
            b = bulletins.create_bulletin(s, media_dir=self.settings.media_dir, **args)
            if status in ("submitted", "approved", "rejected"):
                bulletins.submit(s, b, "editor")
            if status == "approved":
                bulletins.approve(s, b, "reviewer")
            if status == "rejected":
                bulletins.reject(s, b, "reviewer", "Sai ngày")
            s.flush()
            return b.id

    def get_bulletin(self, bulletin_id: int) -> Bulletin:
        with self.session() as s:
            b = s.get(Bulletin, bulletin_id)
            assert b is not None
            return b


def csrf_token(client: FlaskClient) -> str:
    page = client.get("/login", follow_redirects=True).get_data(as_text=True)  # every page carries one
    m = CSRF_RE.search(page)
    assert m, "no CSRF token on /login"
    return m.group(1)


def post(client: FlaskClient, url: str, data: dict[str, Any] | None = None, **kw: Any) -> TestResponse:
    """POST a form the way the browser does: with the session's CSRF token."""
    form = {"csrf_token": csrf_token(client), **(data or {})}
    return client.post(url, data=form, **kw)


def make_panel(data_dir: Path, **overrides: Any) -> Panel:
    _template_db(data_dir)
    settings = config.load(**{"data_dir": data_dir, "engine_order": ("espeak",), "secret_key": "test-secret",
                              **overrides})
    app = create_app(settings, jobs=InlineJobQueue())
    app.config["TESTING"] = True
    with session_scope(app.extensions["loa_sessions"]) as s:
        stations.import_stations(s, stations.parse_stations_csv(STATIONS_CSV), group="Huyện Đức Trọng")
        for role in ROLES:
            s.add(User(username=role, full_name=f"Người {role}", role=Role(role),
                       password_hash=PASSWORD_HASH))
    return Panel(app, settings)
