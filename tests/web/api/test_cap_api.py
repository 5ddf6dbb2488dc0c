"""POST /api/v1/cap: CAP 1.2 alerts through the API (a user's token), each refusal a 4xx JSON error
in Vietnamese with nothing written."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from broadcast import clock, generate, stations, units
from broadcast.db import session_factory, session_scope
from broadcast.models import Bulletin, BulletinStatus, CapAlert, Role, User
from broadcast.security import hash_password, hash_token
from loa import config
from tests.broadcast.test_cap import BILLION_LAUGHS, EXTERNAL_ENTITY, STATIONS, TREE
from web.app import create_app
from web.jobs import InlineJobQueue

DATA = Path(__file__).resolve().parents[2] / "data" / "cap"
REVIEWER = "cap-reviewer-token-" + "r" * 20
EDITOR = "cap-editor-token-" + "e" * 20


def _xml(name: str) -> bytes:
    return (DATA / name).read_bytes()


@pytest.fixture()
def app(tmp_path: Path) -> Iterator[Flask]:
    # The recognizer runs only in the tests that ask for it (tests/conftest.py): here it added ~90 s.
    env = {"LOA_DATA_DIR": str(tmp_path / "data"), "LOA_CAP_MAX_BYTES": "20000", "LOA_CLARITY_CHECK": "0"}
    if os.environ.get("LOA_DATABASE_URL"):  # the run's PostgreSQL database for this test (tests/conftest.py)
        env["LOA_DATABASE_URL"] = os.environ["LOA_DATABASE_URL"]
    app = create_app(config.load(env=env), jobs=InlineJobQueue())
    app.config["TESTING"] = True
    with session_scope(session_factory(app.extensions["loa_engine"])) as s:
        units.import_units(s, units.parse_units_csv(TREE), actor="admin")
        stations.import_stations(s, stations.parse_stations_csv(STATIONS))
        top = units.get(s, "68").id
        s.add(User(username="duyet", password_hash=hash_password("mat-khau-dai"), role=Role.REVIEWER,
                   api_token_hash=hash_token(REVIEWER), unit_id=top))
        s.add(User(username="bientap", password_hash=hash_password("mat-khau-dai"), role=Role.EDITOR,
                   api_token_hash=hash_token(EDITOR), unit_id=top))
    yield app
    app.extensions["loa_engine"].dispose()


def _post(app: Flask, body: bytes, token: str = REVIEWER):  # type: ignore[no-untyped-def]
    return app.test_client().post("/api/v1/cap", data=body, content_type="application/xml",
                                  headers={"Authorization": f"Bearer {token}"})


def _counts(app: Flask) -> tuple[int, int]:
    with session_scope(session_factory(app.extensions["loa_engine"])) as s:
        return (s.scalar(select(func.count()).select_from(Bulletin)) or 0,
                s.scalar(select(func.count()).select_from(CapAlert)) or 0)


def test_alert_update_cancel_and_a_repeat(app: Flask) -> None:
    created = _post(app, _xml("vn-storm-warning.xml"))
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["action"] == "created" and body["status"] == "submitted" and body["stations"] == ["ha-1", "ha-2", "lh-1"]
    assert body["language"] == "vi-VN" and body["needs_targeting"] is False
    again = _post(app, _xml("vn-storm-warning.xml"))
    assert again.status_code == 200 and again.get_json()["action"] == "duplicate"
    assert again.get_json()["bulletin"] == body["bulletin"] and _counts(app) == (1, 1)
    updated = _post(app, _xml("vn-storm-update.xml"))
    assert updated.status_code == 200 and updated.get_json()["action"] == "updated"
    assert updated.get_json()["needs_targeting"] is True  # SAME=VN-68-672 is in no mapping here
    cancelled = _post(app, _xml("vn-storm-cancel.xml"))
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "archived"
    with session_scope(session_factory(app.extensions["loa_engine"])) as s:
        b = s.get(Bulletin, body["bulletin"])
        assert b is not None and b.status == BulletinStatus.ARCHIVED and b.created_by == "duyet"


def test_auto_approval_renders_and_publishes_the_emergency(app: Flask) -> None:
    app.config["LOA_SETTINGS"] = dataclasses.replace(app.config["LOA_SETTINGS"], cap_auto_approve=True,
                                                     engine_order=("espeak",))
    done = _post(app, _xml("vn-storm-warning.xml"))
    assert done.status_code == 201 and done.get_json()["auto_approved"] is True
    with session_scope(session_factory(app.extensions["loa_engine"])) as s:
        b = s.get(Bulletin, done.get_json()["bulletin"])
        assert b is not None and b.status == BulletinStatus.APPROVED
        assert b.render_status == "done" and b.media_sha256  # the inline job ran the approval's render
        assert generate.latest_playlist(s, "ha-1", clock.today(app.config["LOA_SETTINGS"].timezone)) is not None


def test_unknown_reference_is_a_404(app: Flask) -> None:
    res = _post(app, _xml("vn-storm-update.xml"))
    assert res.status_code == 404 and "tham chiếu cảnh báo chưa nhận" in res.get_json()["error"]
    assert _counts(app) == (0, 0)


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (BILLION_LAUGHS, 400, "billion laughs"),
        (EXTERNAL_ENTITY, 400, "thực thể bên ngoài"),
        (b"<alert", 400, "không phải XML hợp lệ"),
        (_xml("vn-storm-warning.xml").replace(b"cap:1.2", b"cap:1.1"), 400, "không gian tên"),
        (b"<x/>" + b" " * 30_000, 413, "quá lớn"),
    ],
)
def test_hostile_documents_are_4xx_json_and_write_nothing(app: Flask, body: bytes, status: int, words: str) -> None:
    res = _post(app, body)
    assert res.status_code == status and res.is_json
    assert words in res.get_json()["error"]
    assert _counts(app) == (0, 0)


def test_tokens_and_roles(app: Flask) -> None:
    assert app.test_client().post("/api/v1/cap", data=_xml("vn-storm-warning.xml")).status_code == 401
    editor = _post(app, _xml("vn-storm-warning.xml"), EDITOR)
    assert editor.status_code == 403 and "người duyệt" in editor.get_json()["error"]
    assert _counts(app) == (0, 0)


def test_the_inbox_api_checks_tokens_and_roles_as_every_api_call(app: Flask) -> None:
    """The inbox endpoints use the API's one token-and-role check: a bad token is a 401, a role
    without the right a 403 that names it, a role with it gets through to the unit check."""
    client = app.test_client()

    def call(method: str, url: str, token: str):  # type: ignore[no-untyped-def]
        return client.open(url, method=method, json={"decision": "accept"} if method == "POST" else None,
                           headers={"Authorization": f"Bearer {token}"})

    assert call("GET", "/api/v1/inbox", "not-a-token-" + "x" * 20).status_code == 401
    refused = call("POST", "/api/v1/inbox/1", EDITOR)
    assert refused.status_code == 403 and "(inbox.decide)" in refused.get_json()["error"]
    assert call("GET", "/api/v1/inbox", EDITOR).status_code == 200  # editors may read their unit's inbox
    assert call("GET", "/api/v1/bulletins/999/inbox", REVIEWER).status_code == 404


def test_a_concurrent_duplicate_is_answered_as_a_repeat(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from broadcast import cap

    assert _post(app, _xml("vn-storm-warning.xml")).status_code == 201
    real, calls = cap.find_alert, []

    def late(session, sender, identifier):  # type: ignore[no-untyped-def]
        calls.append(identifier)  # the first lookup misses, as when another request commits just after it
        return None if len(calls) == 1 else real(session, sender, identifier)

    monkeypatch.setattr(cap, "find_alert", late)
    again = _post(app, _xml("vn-storm-warning.xml"))
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["action"] == "duplicate" and _counts(app) == (1, 1)
