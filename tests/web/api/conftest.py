from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from broadcast import stations
from broadcast.db import session_factory, session_scope
from broadcast.models import Playlist, Role, Station, User
from broadcast.security import hash_password, hash_token
from loa import config
from web.app import create_app
from web.jobs import InlineJobQueue

CSV = Path(__file__).resolve().parents[3] / "media" / "samples" / "stations-duc-trong.csv"
DAY = date(2026, 11, 27)


@dataclass
class Env:
    app: Flask
    client: FlaskClient
    tokens: dict[str, str]
    api_token: str
    settings: config.Settings

    def session(self):  # type: ignore[no-untyped-def]
        return session_scope(self.app.extensions["loa_sessions"])


def manifest(code: str, version: int = 1) -> dict[str, object]:
    return {
        "station": code,
        "date": DAY.isoformat(),
        "version": version,
        "generated_at": datetime(2026, 11, 26, 17, 5, tzinfo=UTC).isoformat(),
        "items": [
            {"start": "2026-11-27T05:30:00+07:00", "duration_s": 61.5, "kind": "bulletin",
             "title": "Thông báo tiêm chủng", "priority": "priority", "sha256": "ab" * 32, "size": 1234,
             "url": "/api/v1/media/" + "ab" * 32}
        ],
        "unplaced": [],
    }


@pytest.fixture()
def env(tmp_path: Path) -> Iterator[Env]:
    env = {"LOA_DATA_DIR": str(tmp_path / "data")}
    if os.environ.get("LOA_DATABASE_URL"):  # the run's PostgreSQL database (tests/conftest.py)
        env["LOA_DATABASE_URL"] = os.environ["LOA_DATABASE_URL"]
    settings = config.load(env=env)
    app = create_app(settings, jobs=InlineJobQueue())
    app.config["TESTING"] = True
    tokens: dict[str, str] = {}
    with session_scope(session_factory(app.extensions["loa_engine"])) as s:
        stations.import_stations(s, stations.parse_stations_csv(CSV.read_text("utf-8")))
        for code in ("hiep-an", "ta-nang"):
            station = stations.get_station(s, code)
            tokens[code] = stations.issue_agent_token(s, station)
            s.add(Playlist(station=station, date=DAY, version=1, manifest=manifest(code), etag=f"etag-{code}-1"))
        api_token = "user-api-token-" + "x" * 20
        s.add(User(username="bientap", password_hash=hash_password("mat-khau-dai"), role=Role.EDITOR,
                   api_token_hash=hash_token(api_token)))
        s.add(User(username="vanhanh", password_hash=hash_password("mat-khau-dai"), role=Role.OPERATOR,
                   api_token_hash=hash_token("operator-token-" + "y" * 20)))
        assert s.query(Station).count() == 15
    yield Env(app, app.test_client(), tokens, api_token, settings)
    app.extensions["loa_engine"].dispose()
