"""Database → planner → Playlist rows and files."""

from __future__ import annotations

import json
import wave
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from broadcast import generate as gen
from broadcast.errors import NotFound
from broadcast.generate import drain_regen_requests, generate_playlists, latest_playlist, media_url
from broadcast.models import (
    BroadcastSession,
    BulletinStatus,
    MediaFile,
    Playlist,
    PlaylistItem,
    PlaylistOverride,
    RegenRequest,
)
from broadcast.playlist_files import manifest_etag
from loa.config import Settings
from tests.planner.conftest import Rows

DAY = date(2026, 12, 1)  # Tuesday
VN = ZoneInfo("Asia/Ho_Chi_Minh")
NIGHT = datetime(2026, 11, 30, 17, 5, tzinfo=UTC)  # 00:05 local, the day before DAY


def titles(manifest: dict, kind: str = "bulletin") -> list[str]:
    return [it["title"] for it in manifest["items"] if it["kind"] == kind]


def run(db: Session, settings: Settings, codes=None, **kw):
    kw.setdefault("now", NIGHT)
    res = generate_playlists(db, settings, [DAY], codes, **kw)
    db.commit()
    return {r.station: r for r in res}


def test_first_run_stores_version_1_with_items_and_files(db: Session, rows: Rows, settings: Settings):
    st = rows.station("DT-01", sessions=[(6, 0, 30), (17, 0, 30)])
    rows.bulletin("Lịch cắt điện", 90, plays=2)
    rows.relay("VOV1", 17, 10, 15)
    db.commit()

    res = run(db, settings)["DT-01"]
    assert res.version == 1 and res.changed and res.items == 3 and res.unplaced == 0
    pl = latest_playlist(db, "DT-01", DAY)
    assert pl is not None and pl.version == 1 and pl.station_id == st.id and not pl.emergency
    m = pl.manifest
    assert m["station"] == "DT-01" and m["date"] == "2026-12-01" and m["version"] == 1
    assert [it["start"] for it in m["items"]] == [
        "2026-12-01T06:00:00+07:00",
        "2026-12-01T17:00:00+07:00",
        "2026-12-01T17:10:00+07:00",
    ]
    assert m["items"][0]["url"] == media_url(m["items"][0]["sha256"])
    assert pl.etag == manifest_etag(m)
    items = db.scalars(
        select(PlaylistItem).where(PlaylistItem.playlist_id == pl.id).order_by(PlaylistItem.position)
    )
    got = [(i.position, i.kind, i.start, i.duration_s, i.media_sha256, i.url) for i in items]
    assert got == [
        (n, it["kind"], datetime.fromisoformat(it["start"]), it["duration_s"], it["sha256"], it["url"])
        for n, it in enumerate(m["items"])
    ]
    folder = settings.playlists_dir / "DT-01"
    assert json.loads((folder / "2026-12-01.json").read_text("utf-8")) == m
    assert (folder / "2026-12-01.m3u8").read_text("utf-8").startswith("#EXTM3U")
    assert (folder / "2026-12-01.xspf").exists()


def test_rerun_is_idempotent_and_a_change_makes_a_new_version(db: Session, rows: Rows, settings: Settings):
    rows.station("DT-01")
    rows.bulletin("A")
    db.commit()
    assert run(db, settings)["DT-01"].version == 1
    again = run(db, settings, now=NIGHT + timedelta(minutes=30))["DT-01"]
    assert again.version == 1 and not again.changed
    assert db.scalar(select(func.count()).select_from(Playlist)) == 1
    rows.bulletin("B", priority="priority")
    db.commit()
    third = run(db, settings)["DT-01"]
    assert third.version == 2 and third.changed
    m = latest_playlist(db, "DT-01", DAY).manifest
    assert titles(m) == ["B", "A"] and m["version"] == 2
    on_disk = json.loads((settings.playlists_dir / "DT-01" / "2026-12-01.json").read_text("utf-8"))
    assert on_disk["version"] == 2


def test_unchanged_playlist_written_to_a_new_folder_from_the_stored_copy(
    db: Session, rows: Rows, settings: Settings, tmp_path: Path
):
    rows.station("DT-01")
    rows.bulletin("A")
    db.commit()
    run(db, settings)
    out = tmp_path / "elsewhere"
    res = run(db, settings, out_dir=out, now=NIGHT + timedelta(hours=1))["DT-01"]
    assert not res.changed
    assert (
        json.loads((out / "DT-01" / "2026-12-01.json").read_text("utf-8"))
        == latest_playlist(db, "DT-01", DAY).manifest
    )


def test_targets_all_group_and_list(db: Session, rows: Rows, settings: Settings):
    a = rows.station("A", groups=["Đức Trọng"])
    rows.station("B", groups=["Đức Trọng"])
    c = rows.station("C")
    rows.bulletin("mọi đài")
    rows.bulletin("nhóm", group="Đức Trọng")
    rows.bulletin("danh sách", stations=[a, c])
    db.commit()
    res = run(db, settings)
    got = {code: sorted(titles(latest_playlist(db, code, DAY).manifest)) for code in res}
    assert got == {
        "A": ["danh sách", "mọi đài", "nhóm"],
        "B": ["mọi đài", "nhóm"],
        "C": ["danh sách", "mọi đài"],
    }


def test_only_approved_valid_bulletins_and_unrendered_ones_reported(
    db: Session, rows: Rows, settings: Settings
):
    rows.station("A")
    rows.bulletin("ok")
    for status in (
        BulletinStatus.DRAFT,
        BulletinStatus.SUBMITTED,
        BulletinStatus.REJECTED,
        BulletinStatus.ARCHIVED,
    ):
        rows.bulletin(f"không: {status}", status=status)
    rows.bulletin("hết hạn", valid_to=DAY - timedelta(days=1))
    rows.bulletin("chưa tới", valid_from=DAY + timedelta(days=1))
    rows.bulletin("đang dựng", None, render_status="queued")
    rows.bulletin("dựng lỗi", None, render_status="failed")
    db.commit()
    m = latest_playlist(db, "A", DAY).manifest if run(db, settings) else None
    assert titles(m) == ["ok"]
    reasons = {u["title"]: u["reason"] for u in m["unplaced"]}
    assert set(reasons) == {"đang dựng", "dựng lỗi"}
    assert "chờ dựng" in reasons["đang dựng"] and "thất bại" in reasons["dựng lỗi"]


def test_sessions_by_weekday_one_off_and_inactive(db: Session, rows: Rows, settings: Settings):
    st = rows.station("A", sessions=[(6, 0, 30)], weekdays="134567")  # not on Tuesdays
    st.sessions.append(BroadcastSession(start_time=time(9, 0), max_minutes=30, weekdays="", on_date=DAY))
    st.sessions.append(
        BroadcastSession(start_time=time(10, 0), max_minutes=30, on_date=DAY + timedelta(days=7))
    )
    st.sessions.append(BroadcastSession(start_time=time(11, 0), max_minutes=30, active=False))
    rows.station("OFF", active=False)
    rows.bulletin("x", plays=3)
    db.commit()
    res = run(db, settings)
    assert set(res) == {"A"}  # inactive stations get nothing
    m = latest_playlist(db, "A", DAY).manifest
    assert [it["session"] for it in m["items"]] == ["09:00", "09:00", "09:00"]


def test_station_and_global_relays(db: Session, rows: Rows, settings: Settings):
    a = rows.station("A")
    rows.station("B")
    rows.relay("VOV1", 12, 0, 15)
    rows.relay("local", 13, 0, 10, station=a)
    db.commit()
    run(db, settings)
    assert titles(latest_playlist(db, "A", DAY).manifest, "relay") == ["VOV1", "local"]
    assert titles(latest_playlist(db, "B", DAY).manifest, "relay") == ["VOV1"]
    relay_item = latest_playlist(db, "B", DAY).manifest["items"][0]
    assert (
        relay_item["stream_url"] == relay_item["url"] == "http://stream/VOV1" and relay_item["sha256"] is None
    )


def test_overrides_pin_and_drop(db: Session, rows: Rows, settings: Settings):
    a = rows.station("A")
    b_station = rows.station("B")
    dropped = rows.bulletin("bỏ")
    elsewhere = rows.bulletin("chỉ cho B", stations=[b_station])
    draft = rows.bulletin("nháp", status=BulletinStatus.DRAFT)
    for bulletin, action in ((dropped, "drop"), (elsewhere, "pin"), (draft, "pin")):
        db.add(PlaylistOverride(station_id=a.id, date=DAY, bulletin_id=bulletin.id, action=action))
    db.commit()
    run(db, settings)
    m = latest_playlist(db, "A", DAY).manifest
    assert titles(m) == ["chỉ cho B"]
    reasons = {u["title"]: u["reason"] for u in m["unplaced"]}
    assert "bỏ" in reasons["bỏ"] and "chưa được duyệt" in reasons["nháp"]
    assert titles(latest_playlist(db, "B", DAY).manifest) == ["bỏ", "chỉ cho B"]


def test_emergency_goes_on_air_now_and_the_past_stays(db: Session, rows: Rows, settings: Settings):
    rows.station("A", sessions=[(6, 0, 30), (17, 0, 30)])
    rows.bulletin("sáng", 120)
    rows.bulletin("tối", 120, plays=2)
    db.commit()
    v1 = run(db, settings)["A"]
    before = latest_playlist(db, "A", DAY).manifest
    rows.bulletin("BÃO", 60, priority="emergency")
    db.commit()
    now = datetime.combine(DAY, time(6, 1), tzinfo=VN)  # "sáng" is on air
    v2 = run(db, settings, emergency=True, now=now)["A"]
    assert (v1.version, v2.version) == (1, 2) and v2.emergency
    pl = latest_playlist(db, "A", DAY)
    assert pl.emergency and pl.manifest["emergency"] is True
    items = pl.manifest["items"]
    assert items[0] == before["items"][0]  # started before now: as it was
    assert items[1]["title"] == "BÃO" and items[1]["priority"] == "emergency"
    assert datetime.fromisoformat(items[1]["start"]) == now
    assert [it["title"] for it in items[2:]] == ["tối", "tối"]
    assert datetime.fromisoformat(items[2]["start"]) == now + timedelta(seconds=60)
    # running it again changes nothing; a regular replan later keeps the same items (the emergency is
    # in the past now, so the version is no longer flagged) and is itself idempotent
    assert not run(db, settings, emergency=True, now=now)["A"].changed
    later = run(db, settings, now=now + timedelta(minutes=5))["A"]
    m3 = latest_playlist(db, "A", DAY).manifest
    assert later.version == 3 and m3["emergency"] is False and m3["items"] == items
    assert not run(db, settings, now=now + timedelta(minutes=6))["A"].changed


def test_emergency_mode_leaves_other_days_regular(db: Session, rows: Rows, settings: Settings):
    rows.station("A")
    rows.bulletin("BÃO", priority="emergency", valid_from=DAY - timedelta(days=1))
    db.commit()
    now = datetime.combine(DAY - timedelta(days=1), time(12, 0), tzinfo=VN)
    res = generate_playlists(db, settings, [DAY], None, emergency=True, now=now)
    assert not res[0].emergency
    assert latest_playlist(db, "A", DAY).manifest["items"][0]["start"] == "2026-12-01T06:00:00+07:00"


def test_station_id_jingle_is_stored_and_wraps_sessions(db: Session, rows: Rows, tmp_path: Path):
    wav = tmp_path / "id.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 8000 * 3)  # 3 s
    from loa import config

    settings = config.load(station_id_jingle=str(wav))
    rows.station("A")
    rows.bulletin("x")
    db.commit()
    run(db, settings)
    m = latest_playlist(db, "A", DAY).manifest
    assert [it["kind"] for it in m["items"]] == ["jingle", "bulletin", "jingle"]
    sha = m["items"][0]["sha256"]
    mf = db.get(MediaFile, sha)
    assert (
        mf is not None
        and mf.duration_s == pytest.approx(3.0)
        and (settings.media_dir / mf.path).read_bytes() == wav.read_bytes()
    )
    assert m["items"][1]["start"] == "2026-12-01T06:00:03+07:00"


def test_unknown_station_code_is_refused(db: Session, rows: Rows, settings: Settings):
    rows.station("A")
    db.commit()
    with pytest.raises(NotFound, match="ZZ"):
        generate_playlists(db, settings, [DAY], ["A", "ZZ"], now=NIGHT)


def test_queries_do_not_grow_with_the_number_of_stations(db: Session, rows: Rows, settings: Settings):
    for i in range(40):
        rows.station(f"S{i:02d}", groups=["g"] if i % 2 else [])
    rows.bulletin("all")
    rows.bulletin("group", group="g")
    rows.relay("VOV1", 12, 0, 15)
    db.commit()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        run(db, settings, ["S00", "S01"])
        few = len(statements)
        statements.clear()
        run(db, settings)
        many = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert many <= few + 2, (few, many)


def test_drain_processes_requests_and_records_failures(
    db: Session, rows: Rows, settings: Settings, monkeypatch
):
    settings = Settings(**{**settings.__dict__, "days_ahead": 0})
    rows.station("A")
    rows.station("B")
    rows.bulletin("x", valid_from=date(2026, 1, 1))
    db.add_all(
        [
            RegenRequest(reason="approve", station_codes=["A"]),
            RegenRequest(reason="bad", station_codes=["B"]),
            RegenRequest(reason="gone", station_codes=["A", "NOPE"]),
            RegenRequest(reason="all", station_codes=None, emergency=True),
        ]
    )
    db.commit()
    real = gen.generate_playlists
    calls: list[tuple[list[str] | None, bool]] = []

    def flaky(session, settings, days, codes=None, *a, **kw):
        calls.append((codes, kw.get("emergency", False)))
        if codes is not None and "B" in codes:
            raise RuntimeError("đĩa đầy")
        return real(session, settings, days, codes, *a, **kw)

    monkeypatch.setattr(gen, "generate_playlists", flaky)
    now = datetime.combine(DAY, time(3, 0), tzinfo=VN)
    assert drain_regen_requests(db, settings, now=now) == 4
    # emergencies first; the others together, then (after the failure) one by one
    assert calls == [(None, True), (["A", "B"], False), (["A"], False), (["B"], False), (["A"], False)]
    # (days_ahead is 0 here: no "later days" step)
    reqs = {r.reason: r for r in db.scalars(select(RegenRequest))}
    assert all(r.done_at is not None for r in reqs.values())
    assert reqs["approve"].error == "" and reqs["all"].error == ""
    assert "đĩa đầy" in reqs["bad"].error
    assert reqs["gone"].error == "Không có đài mã: NOPE."
    assert latest_playlist(db, "A", DAY) is not None
    assert drain_regen_requests(db, settings, now=now) == 0


def test_drain_coalesces_requests_into_one_regeneration(
    db: Session, rows: Rows, settings: Settings, monkeypatch
):
    rows.station("A")
    rows.station("B")
    db.add_all([RegenRequest(reason=f"r{i}", station_codes=["A"] if i % 2 else ["B"]) for i in range(6)])
    db.commit()
    calls: list[tuple[list[date], list[str] | None]] = []
    real = gen.generate_playlists

    def spy(session, settings, days, codes=None, *a, **kw):
        calls.append((list(days), codes))
        return real(session, settings, days, codes, *a, **kw)

    monkeypatch.setattr(gen, "generate_playlists", spy)
    now = datetime.combine(DAY, time(3, 0), tzinfo=VN)
    assert drain_regen_requests(db, settings, now=now) == 6
    later = [DAY + timedelta(days=i) for i in range(1, settings.days_ahead + 1)]
    assert calls == [([DAY], ["A", "B"]), (later, ["A", "B"])]


def test_drain_commits_todays_emergency_before_the_later_days(
    db: Session, rows: Rows, settings: Settings, monkeypatch
):
    rows.station("A")
    rows.bulletin("BÃO", priority="emergency", valid_from=date(2026, 1, 1))
    db.add_all(
        [
            RegenRequest(reason="e", station_codes=["A"], emergency=True),
            RegenRequest(reason="n", station_codes=["A"]),
        ]
    )
    db.commit()
    real = gen.generate_playlists

    def later_days_fail(session, settings, days, codes=None, *a, **kw):
        if days[0] != DAY:
            raise RuntimeError("hỏng")
        return real(session, settings, days, codes, *a, **kw)

    monkeypatch.setattr(gen, "generate_playlists", later_days_fail)
    assert drain_regen_requests(db, settings, now=datetime.combine(DAY, time(9, 0), tzinfo=VN)) == 2
    pl = latest_playlist(db, "A", DAY)
    assert pl is not None and pl.emergency
    assert all("hỏng" in r.error for r in db.scalars(select(RegenRequest)))


def test_drain_retries_when_another_process_stored_the_same_version(
    db: Session, rows: Rows, settings: Settings, monkeypatch
):
    from sqlalchemy.exc import IntegrityError

    rows.station("A")
    db.add(RegenRequest(reason="r", station_codes=["A"]))
    db.commit()
    real = gen.generate_playlists
    attempts = []

    def racing(session, settings, days, codes=None, *a, **kw):
        attempts.append(days)
        if len(attempts) == 1:
            raise IntegrityError("INSERT INTO playlists", {}, Exception("UNIQUE constraint failed"))
        return real(session, settings, days, codes, *a, **kw)

    monkeypatch.setattr(gen, "generate_playlists", racing)
    assert drain_regen_requests(db, settings, now=datetime.combine(DAY, time(3, 0), tzinfo=VN)) == 1
    assert db.scalar(select(RegenRequest.error)) == ""
    assert latest_playlist(db, "A", DAY) is not None


def test_approval_in_the_workflow_reaches_the_playlist_through_the_outbox(
    db: Session, rows: Rows, settings: Settings
):
    from broadcast import bulletins

    rows.station("A")
    db.commit()
    b = rows.bulletin("mới", status=BulletinStatus.SUBMITTED)
    bulletins.approve(db, b, "reviewer")
    db.commit()
    now = datetime.combine(DAY, time(3, 0), tzinfo=VN)
    assert drain_regen_requests(db, settings, now=now) >= 1
    assert titles(latest_playlist(db, "A", DAY).manifest) == ["mới"]


def test_one_station_at_a_time_gives_the_same_playlists(db: Session, rows: Rows, settings: Settings):
    a = rows.station("A", groups=["g"])
    c = rows.station("C")
    rows.bulletin("danh sách", stations=[a, c])
    rows.bulletin("nhóm", group="g")
    rows.bulletin("mọi đài")
    db.commit()
    alone = {code: run(db, settings, [code])[code] for code in ("A", "C")}
    together = run(db, settings)
    assert all(not together[code].changed and together[code].etag == alone[code].etag for code in ("A", "C"))
    assert sorted(titles(latest_playlist(db, "A", DAY).manifest)) == ["danh sách", "mọi đài", "nhóm"]


def test_unknown_station_timezone_falls_back_to_the_default(
    db: Session, rows: Rows, settings: Settings, caplog
):
    st = rows.station("A")
    st.timezone = "Mars/Olympus"
    rows.station("B")
    rows.bulletin("x")
    db.commit()
    res = run(db, settings)
    assert res["A"].changed and res["B"].changed
    assert latest_playlist(db, "A", DAY).manifest["items"][0]["start"] == "2026-12-01T06:00:00+07:00"
    assert "Mars/Olympus" in caplog.text


def test_midday_change_keeps_the_morning_as_aired(db: Session, rows: Rows, settings: Settings):
    rows.station("A", sessions=[(6, 0, 30), (17, 0, 30)])
    rows.bulletin("cũ", plays=2)
    db.commit()
    run(db, settings)
    morning = latest_playlist(db, "A", DAY).manifest["items"][0]
    rows.bulletin("mới", priority="priority")
    db.commit()
    res = run(db, settings, now=datetime.combine(DAY, time(10, 0), tzinfo=VN))["A"]
    assert res.version == 2
    items = latest_playlist(db, "A", DAY).manifest["items"]
    assert items[0] == morning  # the morning stays as it aired, without the new bulletin
    assert [(it["title"], it["session"]) for it in items[1:]] == [("mới", "17:00"), ("cũ", "17:00")]


def emergency_setup(db: Session, rows: Rows, settings: Settings) -> datetime:
    rows.station("A", sessions=[(6, 0, 30), (17, 0, 30)])
    rows.bulletin("thường", 120)
    db.commit()
    run(db, settings)
    rows.bulletin("BÃO 1", 60, priority="emergency")
    rows.bulletin("BÃO 2", 60, priority="emergency")
    db.commit()
    now = datetime.combine(DAY, time(9, 0), tzinfo=VN)
    assert run(db, settings, emergency=True, now=now)["A"].emergency
    return now


def test_a_regular_regeneration_during_the_block_leaves_it_alone(db: Session, rows: Rows, settings: Settings):
    now = emergency_setup(db, rows, settings)
    before = latest_playlist(db, "A", DAY)
    res = run(db, settings, now=now + timedelta(seconds=30))["A"]  # "BÃO 1" is on air
    assert not res.changed and res.version == before.version
    after = latest_playlist(db, "A", DAY).manifest
    assert [it["title"] for it in after["items"] if it["priority"] == "emergency"] == ["BÃO 1", "BÃO 2"]


def test_a_new_emergency_queues_after_the_block_on_air(db: Session, rows: Rows, settings: Settings):
    now = emergency_setup(db, rows, settings)
    rows.bulletin("ĐỘNG ĐẤT", 30, priority="emergency")
    db.commit()
    res = run(db, settings, emergency=True, now=now + timedelta(seconds=30))["A"]
    assert res.changed and res.emergency
    items = latest_playlist(db, "A", DAY).manifest["items"]
    block = [(it["title"], it["start"]) for it in items if it["priority"] == "emergency"]
    assert block == [
        ("BÃO 1", "2026-12-01T09:00:00+07:00"),
        ("BÃO 2", "2026-12-01T09:01:00+07:00"),
        ("ĐỘNG ĐẤT", "2026-12-01T09:02:00+07:00"),
    ]


def test_emergency_with_no_published_version_airs_now(db: Session, rows: Rows, settings: Settings):
    rows.station("A")
    rows.bulletin("BÃO", 60, priority="emergency")
    db.commit()
    now = datetime.combine(DAY, time(9, 0), tzinfo=VN)  # a regular plan would have put it at 06:00
    res = run(db, settings, emergency=True, now=now)["A"]
    items = latest_playlist(db, "A", DAY).manifest["items"]
    assert res.emergency and [(it["title"], it["start"]) for it in items] == [
        ("BÃO", "2026-12-01T09:00:00+07:00")
    ]


def test_emergency_block_end():
    from broadcast.generate import emergency_block_end

    def item(start: str, seconds: float, priority: str = "emergency") -> dict:
        return {"start": f"2026-12-01T{start}+07:00", "duration_s": seconds, "priority": priority}

    m = {
        "emergency": True,
        "generated_at": "2026-12-01T02:00:00+00:00",  # 09:00 local
        "items": [item("06:00:00", 60), item("08:59:30", 60, "normal"), item("09:00:00", 60), item("09:01:00", 30),
                  item("17:00:00", 60)],
    }  # fmt: skip
    assert emergency_block_end(m) == datetime.combine(DAY, time(9, 1, 30), tzinfo=VN)
    assert emergency_block_end({**m, "emergency": False}) is None
    assert emergency_block_end({**m, "items": [item("09:00:00", 60, "normal"), item("09:01:00", 30)]}) is None
    assert emergency_block_end({**m, "items": "nonsense"}) is None


def test_files_of_a_rolled_back_generation_are_replaced_by_the_committed_version(
    db: Session, rows: Rows, settings: Settings
):
    """Issue 7.8: a run that dies before its commit (here: rolled back) writes no file at all, since
    files are written only from committed rows; and a manifest left naming a version the database
    never committed (by a run of an older Loa, killed), and temporary files, are replaced."""
    rows.station("DT-01")
    rows.bulletin("A")
    db.commit()
    assert run(db, settings)["DT-01"].version == 1
    rows.bulletin("B", priority="priority")
    db.flush()
    generate_playlists(db, settings, [DAY], now=NIGHT)  # plans version 2 ...
    db.rollback()  # ... and dies before the commit
    folder = settings.playlists_dir / "DT-01"
    committed = (folder / "2026-12-01.json").read_bytes()
    assert json.loads(committed)["version"] == 1  # version 2 never reached the files
    (folder / "2026-12-01.json").write_bytes(committed.replace(b'"version":1', b'"version":2', 1))
    assert json.loads((folder / "2026-12-01.json").read_text("utf-8"))["version"] == 2
    leftover = folder / f".2026-12-01.json.{2**22 + 12345}.1.tmp"  # a dead writer's temporary file
    leftover.write_bytes(b"{")
    again = run(db, settings, now=NIGHT + timedelta(minutes=5))["DT-01"]
    assert again.version == 1 and not again.changed
    on_disk = json.loads((folder / "2026-12-01.json").read_text("utf-8"))
    assert on_disk == latest_playlist(db, "DT-01", DAY).manifest and on_disk["version"] == 1
    assert not leftover.exists()
    assert "v2" not in (folder / "2026-12-01.m3u8").read_text("utf-8")
    assert "(phiên bản 1)" in (folder / "2026-12-01.m3u8").read_text("utf-8")
