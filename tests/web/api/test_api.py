from __future__ import annotations

import hashlib
from datetime import date, timedelta

from sqlalchemy import func, select

from broadcast.models import AsRun, Bulletin, Playlist, Station
from pipeline.store import MediaStore

from .conftest import DAY, Env, manifest


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def asrun_row(uid: str, status: str = "played") -> dict[str, object]:
    return {
        "uid": uid, "date": DAY.isoformat(), "version": 1, "kind": "bulletin", "title": "Thông báo tiêm chủng",
        "sha256": "ab" * 32, "bulletin_id": None,
        "planned_start": "2026-11-27T05:30:00+07:00", "planned_end": "2026-11-27T05:31:01+07:00",
        "actual_start": "2026-11-27T05:30:01+07:00", "actual_end": "2026-11-27T05:31:02+07:00",
        "status": status, "detail": "",
    }


def count_asrun(env: Env) -> int:
    with env.session() as s:
        return int(s.scalar(select(func.count()).select_from(AsRun)) or 0)


def test_stations_lists_every_station_with_online_state(env: Env) -> None:
    resp = env.client.get("/api/v1/stations", headers=auth(env.api_token))
    assert resp.status_code == 200
    body = resp.get_json()
    assert len(body) == 15
    first = body[0]
    assert set(first) >= {"code", "name", "kind", "district", "active", "online", "last_heartbeat_at"}
    assert all(s["online"] is False for s in body)


def test_playlist_has_etag_and_answers_304(env: Env) -> None:
    url = f"/api/v1/stations/hiep-an/playlists/{DAY.isoformat()}"
    resp = env.client.get(url, headers=auth(env.tokens["hiep-an"]))
    assert resp.status_code == 200
    assert resp.get_json() == manifest("hiep-an")
    etag = resp.headers["ETag"]
    assert etag == '"etag-hiep-an-1"'
    again = env.client.get(url, headers={"If-None-Match": etag, **auth(env.tokens["hiep-an"])})
    assert again.status_code == 304 and again.data == b""
    assert env.client.get(url, headers={"If-None-Match": '"stale"', **auth(env.tokens["hiep-an"])}).status_code == 200


def test_playlist_serves_the_latest_version(env: Env) -> None:
    with env.session() as s:
        station = s.scalar(select(Station).where(Station.code == "ta-nang"))
        s.add(Playlist(station=station, date=DAY, version=2, manifest=manifest("ta-nang", 2), etag="etag-2"))
    env.app.extensions.pop("loa_manifest_cache", None)
    resp = env.client.get(f"/api/v1/stations/ta-nang/playlists/{DAY.isoformat()}", headers=auth(env.tokens["ta-nang"]))
    assert resp.get_json()["version"] == 2 and resp.headers["ETag"] == '"etag-2"'


def test_playlist_errors_are_json(env: Env) -> None:
    missing = env.client.get(
        f"/api/v1/stations/hiep-an/playlists/{(DAY + timedelta(days=9)).isoformat()}", headers=auth(env.tokens["hiep-an"])
    )
    assert missing.status_code == 404 and "error" in missing.get_json()
    unknown = env.client.get(f"/api/v1/stations/khong-co/playlists/{DAY.isoformat()}", headers=auth(env.api_token))
    assert unknown.status_code == 404
    bad = env.client.get("/api/v1/stations/hiep-an/playlists/27-11-2026", headers=auth(env.tokens["hiep-an"]))
    assert bad.status_code == 400 and bad.get_json()["code"] == "bad_date"


def test_media_supports_range_etag_and_long_caching(env: Env) -> None:
    store = MediaStore(env.settings.media_dir)
    payload = bytes(range(256)) * 40
    tmp = store.temp_path()
    tmp.write_bytes(payload)
    sha = store.put(tmp, {}).sha256
    url = f"/api/v1/media/{sha}"
    whole = env.client.get(url)
    assert whole.status_code == 200 and whole.data == payload
    assert whole.headers["ETag"] == f'"{sha}"'
    assert "immutable" in whole.headers["Cache-Control"] and "max-age=31536000" in whole.headers["Cache-Control"]
    part = env.client.get(url, headers={"Range": "bytes=100-"})
    assert part.status_code == 206 and part.data == payload[100:]
    assert env.client.get(url, headers={"If-None-Match": f'"{sha}"'}).status_code == 304
    assert hashlib.sha256(whole.data).hexdigest() == sha


def test_media_refuses_traversal_and_unknown_hashes(env: Env) -> None:
    for bad in ("..%2F..%2Floa.db", "../../loa.db", "ab" * 32, "AB" * 32, "x", "ab" * 31 + "zz"):
        resp = env.client.get(f"/api/v1/media/{bad}")
        assert resp.status_code == 404, bad
    assert env.client.get("/media/" + "cd" * 32).status_code == 404


def test_asrun_is_idempotent_in_batches(env: Env) -> None:
    token = env.tokens["hiep-an"]
    batch = {"station": "hiep-an", "rows": [asrun_row("u1"), asrun_row("u2", "cut")]}
    first = env.client.post("/api/v1/asrun", json=batch, headers=auth(token))
    assert first.status_code == 200 and first.get_json() == {"accepted": 2, "duplicates": 0}
    retry = env.client.post("/api/v1/asrun", json=batch, headers=auth(token))
    assert retry.get_json() == {"accepted": 0, "duplicates": 2}
    assert count_asrun(env) == 2


def test_asrun_needs_the_stations_own_token(env: Env) -> None:
    rows = {"station": "hiep-an", "rows": [asrun_row("u9")]}
    assert env.client.post("/api/v1/asrun", json=rows).status_code == 401
    assert env.client.post("/api/v1/asrun", json=rows, headers=auth("wrong")).status_code == 401
    other = env.client.post("/api/v1/asrun", json=rows, headers=auth(env.tokens["ta-nang"]))
    assert other.status_code == 403
    assert "ta-nang" in other.get_json()["error"]
    assert count_asrun(env) == 0


def test_asrun_with_a_bad_row_stores_nothing(env: Env) -> None:
    rows = {"station": "hiep-an", "rows": [asrun_row("ok"), asrun_row("bad", status="exploded")]}
    resp = env.client.post("/api/v1/asrun", json=rows, headers=auth(env.tokens["hiep-an"]))
    assert resp.status_code == 400 and resp.get_json()["error"]
    assert env.client.post("/api/v1/asrun", data="not json", headers=auth(env.tokens["hiep-an"])).status_code == 400
    assert count_asrun(env) == 0


def test_heartbeat_marks_the_station_online(env: Env) -> None:
    resp = env.client.post(
        "/api/v1/heartbeat",
        json={"station": "ta-nang", "time": "2026-11-26T10:00:00+07:00", "agent_version": "0.1.0",
              "cached_until": "2026-11-28", "playing": None},
        headers=auth(env.tokens["ta-nang"]),
    )
    assert resp.status_code == 200 and resp.get_json()["ok"] is True
    listed = {s["code"]: s for s in env.client.get("/api/v1/stations", headers=auth(env.api_token)).get_json()}
    assert listed["ta-nang"]["online"] is True and listed["hiep-an"]["online"] is False
    with env.session() as s:
        station = s.scalar(select(Station).where(Station.code == "ta-nang"))
        assert station is not None and station.agent_info["agent_version"] == "0.1.0"


def test_post_bulletin_with_a_user_token(env: Env) -> None:
    body = {"title": "Thông báo lịch tiêm phòng dại", "body": "Ngày 28/11/2026, Trạm Y tế xã tiêm phòng dại.",
            "priority": "normal", "valid_from": DAY.isoformat(), "valid_to": (DAY + timedelta(days=3)).isoformat(),
            "plays_per_day": 2, "stations": ["hiep-an"]}
    resp = env.client.post("/api/v1/bulletins", json=body, headers=auth(env.api_token))
    assert resp.status_code == 201
    created = resp.get_json()
    assert created["status"] == "submitted"
    with env.session() as s:
        b = s.get(Bulletin, created["id"])
        assert b is not None and b.created_by == "bientap" and [t.code for t in b.target_stations] == ["hiep-an"]


def test_post_bulletin_refusals(env: Env) -> None:
    ok = {"title": "T", "body": "Nội dung", "valid_from": "2026-11-27", "valid_to": "2026-11-28"}
    assert env.client.post("/api/v1/bulletins", json=ok).status_code == 401
    assert env.client.post("/api/v1/bulletins", json=ok, headers=auth(env.tokens["hiep-an"])).status_code == 401
    operator = env.client.post("/api/v1/bulletins", json=ok, headers=auth("operator-token-" + "y" * 20))
    assert operator.status_code == 403
    backwards = {**ok, "valid_from": "2026-11-28", "valid_to": "2026-11-27"}
    assert env.client.post("/api/v1/bulletins", json=backwards, headers=auth(env.api_token)).status_code == 400
    unknown = {**ok, "stations": ["khong-co"]}
    assert env.client.post("/api/v1/bulletins", json=unknown, headers=auth(env.api_token)).status_code in (400, 404)
    with env.session() as s:
        assert s.scalar(select(func.count()).select_from(Bulletin)) == 0


def test_openapi_documents_every_api_route(env: Env) -> None:
    doc = env.client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = set(doc["paths"])
    routes = {
        rule.rule.replace("<code>", "{code}").replace("<day>", "{date}").replace("<sha256>", "{sha256}")
            .replace("<int:bulletin_id>", "{bulletin_id}")
        for rule in env.app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
    }
    assert routes == documented


def test_api_errors_never_leak_html(env: Env) -> None:
    resp = env.client.get("/api/v1/nothing-here")
    assert resp.status_code == 404 and resp.is_json
    assert env.client.delete("/api/v1/asrun").status_code == 405
    assert date.fromisoformat(DAY.isoformat()) == DAY


def test_post_bulletin_refuses_unknown_fields_emergencies_from_editors_and_huge_bodies(env: Env) -> None:
    ok = {"title": "Thông báo", "body": "Nội dung ngắn.", "valid_from": "2026-11-27", "valid_to": "2026-11-28"}
    typo = env.client.post("/api/v1/bulletins", json={**ok, "station_codes": ["hiep-an"]},
                           headers=auth(env.api_token))
    assert typo.status_code == 400 and "station_codes" in typo.get_json()["error"]
    emergency = env.client.post("/api/v1/bulletins", json={**ok, "priority": "emergency"},
                                headers=auth(env.api_token))
    assert emergency.status_code == 403
    huge = env.client.post("/api/v1/bulletins", json={**ok, "body": "Thông báo. " * 30_000},
                           headers=auth(env.api_token))
    assert huge.status_code == 400 and "quá dài" in huge.get_json()["error"]
    with env.session() as s:
        assert s.scalar(select(func.count()).select_from(Bulletin)) == 0


def test_asrun_rows_carry_their_cause_and_language_and_old_rows_stay_valid(env: Env) -> None:
    """Issue 11.3: what cut a play is part of the row; an older agent's row without it is accepted."""
    from sqlalchemy import select

    from broadcast.models import AsRun

    new = {**asrun_row("n1", "cut"), "cause": "emergency", "language": "kpm"}
    old = asrun_row("o1", "cut")
    old.pop("cause", None)
    resp = env.client.post("/api/v1/asrun", json={"station": "hiep-an", "rows": [new, old]},
                           headers=auth(env.tokens["hiep-an"]))  # fmt: skip
    assert resp.status_code == 200 and resp.get_json() == {"accepted": 2, "duplicates": 0}
    bad = {**asrun_row("b1", "cut"), "cause": "gremlins"}
    resp = env.client.post("/api/v1/asrun", json={"station": "hiep-an", "rows": [bad]},
                           headers=auth(env.tokens["hiep-an"]))  # fmt: skip
    assert resp.status_code == 400 and "cause 'gremlins'" in resp.get_json()["error"]
    with env.session() as s:
        got = dict(s.execute(select(AsRun.uid, AsRun.cause)).all())
        lang = s.scalar(select(AsRun.language).where(AsRun.uid == "n1"))
    assert got == {"n1": "emergency", "o1": ""} and lang == "kpm"
