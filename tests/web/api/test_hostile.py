"""The station API under attack (issue 7, items 14–16, 24): every hostile input is a 4xx, never a 500,
and nothing of it is stored.

``HOSTILE`` lists the hostile inputs these tests try (the schemathesis run in test_schema.py adds
generated ones). ``python -m tests.web.api.test_hostile`` prints how many there are; the tests assert
that none gets through (no 2xx, no 500).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from broadcast.models import Station

from .conftest import DAY, Env
from .test_api import asrun_row, auth, count_asrun


def _row(**changes: Any) -> dict[str, Any]:
    return {**asrun_row("hostile-1"), **changes}


_BIG = 2**63
#: (name, as-run row) pairs: each must be refused with a 400 (the agent splits a batch on a 400).
HOSTILE_ROWS: list[tuple[str, dict[str, Any]]] = [
    ("version 2^63", _row(version=_BIG)),
    ("version 2^64", _row(version=2**64)),
    ("version -1", _row(version=-1)),
    ("version 2^31", _row(version=2**31)),
    ("bulletin_id 2^63", _row(bulletin_id=_BIG)),
    ("bulletin_id -2^63-1", _row(bulletin_id=-(2**63) - 1)),
    ("version as float", _row(version=1.5)),
    ("version true", _row(version=True)),
    ("max date, -23:59", _row(actual_start="9999-12-31T23:59:59-23:59")),
    ("min date, +23:59", _row(actual_start="0001-01-01T00:00:00+23:59")),
    ("planned_end overflow", _row(planned_end="9999-12-31T23:00:00-12:00")),
    ("no date", {k: v for k, v in asrun_row("hostile-1").items() if k != "date"}),
    ("date null", _row(date=None)),
    ("date number", _row(date=20261127)),
    ("date list", _row(date=["2026-11-27"])),
    ("status list", _row(status=["played"])),
    ("kind object", _row(kind={"a": 1})),
    ("detail 1 MB", _row(detail="x" * 1_000_000)),
    ("uid 65 chars", _row(uid="u" * 65)),
    ("time without zone", _row(actual_start="2026-11-27T05:30:00")),
]

#: Raw JSON bodies, each sent to every JSON route; each must be a 400.
HOSTILE_BODIES: list[tuple[str, bytes]] = [
    ("nested 100,000 deep", b"[" * 100_000 + b"]" * 100_000),
    ("object nested 100,000 deep", b'{"a":' * 100_000 + b"1" + b"}" * 100_000),
    ("nested 33 deep", b'{"rows": ' + b"[" * 33 + b"]" * 33 + b"}"),
    ("lone surrogate in a value", b'{"rows": [], "playing": "\\ud800", "title": "\\ud800"}'),
    ("lone surrogate in a key", b'{"\\udfff": 1}'),
    ("invalid UTF-8", b'{"rows": [], "playing": "\xff\xfe"}'),
    ("not JSON", b"{rows:"),
    ("a JSON array", b"[]"),
    ("NaN", b'{"rows": NaN}'),
]

JSON_ROUTES = ("/api/v1/asrun", "/api/v1/heartbeat", "/api/v1/bulletins")

#: Heartbeat bodies with an oversized or badly typed field; each must be a 400, nothing stored.
HOSTILE_HEARTBEATS: list[tuple[str, dict[str, Any]]] = [
    ("playing 10 MB", {"playing": "x" * 10_000_000}),
    ("playing 301 chars", {"playing": "x" * 301}),
    ("agent_version 1 KB", {"agent_version": "v" * 1000}),
    ("agent_version object", {"agent_version": {"a": "b"}}),
    ("time not a time", {"time": "yesterday"}),
    ("time without zone", {"time": "2026-11-27T05:30:00"}),
    ("time overflow", {"time": "9999-12-31T23:59:59-23:59"}),
    ("cached_until not a date", {"cached_until": "soon"}),
    ("playing a list", {"playing": ["a"]}),
]

#: Reads without the right token; each must be a 401 or 403.
HOSTILE_READS: list[tuple[str, str, str | None]] = [
    ("manifest, no token", f"/api/v1/stations/hiep-an/playlists/{DAY}", None),
    ("manifest, another station's token", f"/api/v1/stations/hiep-an/playlists/{DAY}", "ta-nang"),
    ("manifest, wrong token", f"/api/v1/stations/hiep-an/playlists/{DAY}", "wrong"),
    ("station list, no token", "/api/v1/stations", None),
    ("station list, a station token", "/api/v1/stations", "hiep-an"),
]

HOSTILE_COUNT = (
    len(HOSTILE_ROWS)
    + len(HOSTILE_BODIES) * len(JSON_ROUTES)
    + len(HOSTILE_HEARTBEATS)
    + len(HOSTILE_READS)
    + 2  # an oversized body, 50 simultaneous identical uploads (counted once)
)


@pytest.mark.parametrize(("name", "row"), HOSTILE_ROWS, ids=[n for n, _ in HOSTILE_ROWS])
def test_a_bad_asrun_row_is_a_400_and_stores_nothing(env: Env, name: str, row: dict[str, Any]) -> None:
    resp = env.client.post(
        "/api/v1/asrun", json={"rows": [asrun_row("good-1"), row]}, headers=auth(env.tokens["hiep-an"])
    )
    assert resp.status_code == 400, (name, resp.get_data(as_text=True)[:300])
    assert "dòng 2" in resp.get_json()["error"]
    assert count_asrun(env) == 0


@pytest.mark.parametrize("route", JSON_ROUTES)
@pytest.mark.parametrize(("name", "raw"), HOSTILE_BODIES, ids=[n for n, _ in HOSTILE_BODIES])
def test_hostile_json_is_a_400_on_every_json_route(env: Env, route: str, name: str, raw: bytes) -> None:
    token = env.api_token if route.endswith("bulletins") else env.tokens["hiep-an"]
    resp = env.client.post(route, data=raw, headers={**auth(token), "Content-Type": "application/json"})
    assert resp.status_code == 400, (name, resp.status_code)
    assert resp.get_json()["code"] == "invalid"


@pytest.mark.parametrize(("name", "fields"), HOSTILE_HEARTBEATS, ids=[n for n, _ in HOSTILE_HEARTBEATS])
def test_heartbeat_fields_are_bounded_and_typed(env: Env, name: str, fields: dict[str, Any]) -> None:
    resp = env.client.post("/api/v1/heartbeat", json=fields, headers=auth(env.tokens["hiep-an"]))
    assert resp.status_code in (400, 413), name
    with env.session() as s:
        station = s.scalar(select(Station).where(Station.code == "hiep-an"))
        assert station is not None and station.last_heartbeat_at is None and not station.agent_info


def test_a_good_heartbeat_is_still_stored(env: Env) -> None:
    info = {
        "time": "2026-11-27T05:30:00+07:00",
        "agent_version": "1.0",
        "cached_until": "2026-11-28",
        "playing": "Thông báo tiêm chủng",
    }
    resp = env.client.post("/api/v1/heartbeat", json=info, headers=auth(env.tokens["hiep-an"]))
    assert resp.status_code == 200
    with env.session() as s:
        station = s.scalar(select(Station).where(Station.code == "hiep-an"))
        assert station is not None and station.agent_info == info


def test_an_oversized_body_is_a_413(env: Env) -> None:
    limit = env.settings.api_max_body_bytes
    rows = [asrun_row(f"u{i}") for i in range(limit // 400)]
    resp = env.client.post("/api/v1/asrun", json={"rows": rows}, headers=auth(env.tokens["hiep-an"]))
    assert resp.status_code == 413 and resp.get_json()["code"] == "request_entity_too_large"
    assert count_asrun(env) == 0


@pytest.mark.parametrize(("name", "path", "who"), HOSTILE_READS, ids=[n for n, _, _ in HOSTILE_READS])
def test_reads_need_the_right_token(env: Env, name: str, path: str, who: str | None) -> None:
    headers = {} if who is None else auth(env.tokens.get(who, "wrong-token"))
    resp = env.client.get(path, headers=headers)
    assert resp.status_code in (401, 403), name
    assert "error" in resp.get_json()


def test_a_user_token_reads_any_manifest_and_the_station_list(env: Env) -> None:
    assert (
        env.client.get(f"/api/v1/stations/hiep-an/playlists/{DAY}", headers=auth(env.api_token)).status_code
        == 200
    )
    assert env.client.get("/api/v1/stations", headers=auth(env.api_token)).status_code == 200


def test_a_405_says_which_methods_are_allowed(env: Env) -> None:
    resp = env.client.get("/api/v1/asrun")
    assert resp.status_code == 405
    assert "POST" in resp.headers["Allow"]
    assert "error" in resp.get_json()


def test_simultaneous_identical_uploads_all_answer_200(env: Env) -> None:
    rows = [asrun_row(f"race-{i}") for i in range(5)]
    statuses: list[int] = []
    accepted: list[int] = []
    gate = threading.Barrier(50)

    def upload() -> None:
        client = env.app.test_client()
        gate.wait()
        resp = client.post("/api/v1/asrun", json={"rows": rows}, headers=auth(env.tokens["hiep-an"]))
        statuses.append(resp.status_code)
        if resp.status_code == 200:
            accepted.append(resp.get_json()["accepted"])

    threads = [threading.Thread(target=upload) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert statuses == [200] * 50
    assert sum(accepted) == 5 and count_asrun(env) == 5


if __name__ == "__main__":
    print(f"hostile inputs tried: {HOSTILE_COUNT} (goal: 0 get through, 0 answer 500)")
