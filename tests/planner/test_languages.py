"""Decree 49 (issue 11.6): a bulletin's versions in minority languages air right after its
Vietnamese version, at the stations that list the language, and are counted per language."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast import reports, versions
from broadcast.errors import BroadcastError
from broadcast.generate import generate_playlists, latest_playlist
from broadcast.languages import parse_languages
from broadcast.models import BulletinVersion, PlaylistItem
from broadcast.planner import BulletinInput, MediaRef, SessionInput, StationPlanInput, VersionInput, plan_day
from loa.config import Settings
from tests.planner.conftest import Rows

DAY = date(2026, 12, 1)
VN = ZoneInfo("Asia/Ho_Chi_Minh")
NIGHT = datetime(2026, 11, 30, 17, 5, tzinfo=UTC)


def _media(n: int, seconds: float) -> MediaRef:
    return MediaRef(f"{n:064x}", 100, seconds, f"/media/{n}")


def _b(bid: int, seconds: float, plays: int, *langs: str) -> BulletinInput:
    vs = tuple(VersionInput(code, _media(bid * 10 + i, 30.0), f"Tin {bid} ({code})") for i, code in enumerate(langs, 1))
    return BulletinInput(bid, f"Tin {bid}", "normal", DAY, DAY, plays, _media(bid, seconds), versions=vs)


def test_versions_follow_the_vietnamese_one_in_the_stations_order() -> None:
    station = StationPlanInput(1, "HA", "Asia/Ho_Chi_Minh", languages=("cje", "kpm"))
    sessions = [SessionInput(1, time(5, 30), 30), SessionInput(2, time(17, 0), 30)]
    plan = plan_day(station, DAY, sessions, [_b(1, 60, 2, "kpm", "cje", "mng"), _b(2, 45, 1)], [])
    got = [(it.start.astimezone(VN).strftime("%H:%M:%S"), it.bulletin_id, it.language) for it in plan.items]
    assert got == [
        ("05:30:00", 1, ""), ("05:31:00", 1, "cje"), ("05:31:30", 1, "kpm"),  # mng: not aired here
        ("05:32:00", 2, ""),
        ("17:00:00", 1, ""), ("17:01:00", 1, "cje"), ("17:01:30", 1, "kpm"),
    ]  # fmt: skip
    assert plan.unplaced == ()
    plain = plan_day(StationPlanInput(2, "TN"), DAY, sessions, [_b(1, 60, 2, "kpm")], [])
    assert [it.language for it in plain.items] == ["", ""]  # a station airing only Vietnamese


def test_a_block_that_does_not_fit_is_carried_whole() -> None:
    station = StationPlanInput(1, "HA", languages=("kpm",))
    sessions = [SessionInput(1, time(5, 30), 2), SessionInput(2, time(17, 0), 30)]
    plan = plan_day(station, DAY, sessions, [_b(1, 60, 1, "kpm"), _b(2, 100, 1)], [])
    got = [(it.start.astimezone(VN).strftime("%H:%M"), it.bulletin_id, it.language) for it in plan.items]
    # 60 + 30 s fits in the 2-minute morning; the 100 s bulletin then does not and goes to the evening
    assert got == [("05:30", 1, ""), ("05:31", 1, "kpm"), ("17:00", 2, "")]


def test_station_languages_are_checked() -> None:
    assert parse_languages("kpm, cje;vie kpm") == ("kpm", "cje")
    with pytest.raises(BroadcastError, match="ISO 639-3"):
        parse_languages("K'Ho")


def test_generation_airs_versions_and_reports_count_each_language(db: Session, rows: Rows, settings: Settings) -> None:
    ha = rows.station("HA", sessions=[(6, 0, 30)])
    rows.station("TN", sessions=[(6, 0, 30)])
    b = rows.bulletin("Thông báo tiêm chủng", 60)
    versions.set_station_languages(db, ha, "kpm", actor="admin")
    db.add(BulletinVersion(bulletin_id=b.id, language="kpm", media_sha256=rows.media(40).sha256))
    db.commit()
    generate_playlists(db, settings, [DAY], now=NIGHT)
    db.commit()
    ha_items = latest_playlist(db, "HA", DAY).manifest["items"]  # type: ignore[union-attr]
    assert [(it["title"], it.get("language")) for it in ha_items] == [
        ("Thông báo tiêm chủng", None), ("Thông báo tiêm chủng (Tiếng K'Ho)", "kpm")]
    assert [it.get("language") for it in latest_playlist(db, "TN", DAY).manifest["items"]] == [None]  # type: ignore[union-attr]
    stored = db.scalars(select(PlaylistItem.language).order_by(PlaylistItem.id)).all()
    assert sorted(stored) == ["", "", "kpm"]
    later = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    got = {(r.station_code, r.language): r.planned for r in reports.asrun_report(db, DAY, DAY, now=later)}
    assert got == {("HA", ""): 1, ("HA", "kpm"): 1, ("TN", ""): 1}
