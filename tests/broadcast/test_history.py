"""Planned against aired (issue 11.3): what cut a play, the station's playback history, the
timeline's marks."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from broadcast import asrun, history
from broadcast import stations as st
from broadcast.errors import BroadcastError
from broadcast.models import AsRun, AsRunStatus, Playlist
from loa.cli import cli

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2026, 12, 1)
SHA_A, SHA_B, SHA_C = "aa" * 32, "bb" * 32, "cc" * 32


def at(hhmm: str, seconds: int = 0) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(DAY.year, DAY.month, DAY.day, h, m, tzinfo=VN) + timedelta(seconds=seconds)


def row(uid: str, hhmm: str, status: str, *, secs: int = 120, aired: int | None = None, sha: str = SHA_A,
        title: str = "Tin A", **kw: Any) -> dict[str, Any]:  # fmt: skip
    start = at(hhmm)
    r: dict[str, Any] = {
        "uid": uid, "date": DAY.isoformat(), "version": 1, "kind": "bulletin", "title": title, "sha256": sha,
        "planned_start": start.isoformat(), "planned_end": (start + timedelta(seconds=secs)).isoformat(),
        "status": status, "detail": "",
    }  # fmt: skip
    if status in ("played", "cut"):
        r["actual_start"] = start.isoformat()
        r["actual_end"] = (start + timedelta(seconds=secs if aired is None else aired)).isoformat()
    r.update(kw)
    return r


def item(hhmm: str, sha: str, title: str, secs: int = 120, **kw: Any) -> dict[str, Any]:
    return {"start": at(hhmm).isoformat(), "duration_s": float(secs), "kind": "bulletin", "title": title,
            "sha256": sha, "priority": "normal", **kw}  # fmt: skip


# --- ingestion: the cause ---------------------------------------------------------------------------


def test_a_row_carries_what_cut_it_and_a_bad_cause_is_refused(session: Session, stations: list[str]) -> None:
    station = st.get_station(session, "hiep-an")
    asrun.record_asrun(session, station, [row("u1", "04:10", "cut", aired=30, cause="emergency", language="kpm")])
    stored = session.scalar(select(AsRun).where(AsRun.uid == "u1"))
    assert stored is not None and (stored.cause, stored.language) == ("emergency", "kpm")
    with pytest.raises(BroadcastError, match="cause 'meteor' không hợp lệ"):
        asrun.record_asrun(session, station, [row("u2", "04:20", "cut", cause="meteor")])
    with pytest.raises(BroadcastError, match="language 'K'Ho'"):
        asrun.record_asrun(session, station, [row("u3", "04:20", "played", language="K'Ho")])


def test_rows_of_older_agents_stay_valid_and_get_their_cause_from_the_wording(
    session: Session, stations: list[str]
) -> None:
    station = st.get_station(session, "hiep-an")
    old = [
        row("o1", "05:00", "cut", aired=20, detail="ngắt để phát tin khẩn cấp: KHẨN CẤP: bão"),
        row("o2", "05:05", "skipped", detail="quá giờ phát"),
        row("o3", "05:10", "played"),
        row("o4", "05:15", "failed", detail="lỗi thiết bị phát: rút dây"),
    ]
    for r in old:
        r.pop("cause", None)
        r.pop("language", None)
    assert asrun.record_asrun(session, station, old) == (4, 0)
    causes = dict(session.execute(select(AsRun.uid, AsRun.cause).where(AsRun.station_id == station.id)).all())
    assert causes == {"o1": "emergency", "o2": "session_end", "o3": "", "o4": "device"}


# --- the playback history --------------------------------------------------------------------------


@pytest.fixture
def day_at_hiep_an(session: Session, stations: list[str]) -> None:
    """A morning: A aired whole at 04:10, B cut at 04:12:30 by an emergency, C skipped."""
    station = st.get_station(session, "hiep-an")
    asrun.record_asrun(session, station, [
        row("a", "04:10", "played"),
        row("b", "04:12", "cut", aired=30, sha=SHA_B, title="Tin B", cause="emergency",
            detail="ngắt để phát tin khẩn cấp: Bão"),
        row("e", "04:12", "played", secs=60, sha=SHA_C, title="KHẨN CẤP: Bão", planned_start=at("04:12", 30).isoformat(),
            planned_end=at("04:13", 30).isoformat(), actual_start=at("04:12", 30).isoformat(),
            actual_end=at("04:13", 30).isoformat()),
        row("c", "04:20", "skipped", sha=SHA_B, title="Tin C", cause="session_end"),
    ])  # fmt: skip
    manifest = {"station": "hiep-an", "date": DAY.isoformat(), "version": 1,
                "items": [item("04:10", SHA_A, "Tin A"), item("04:12", SHA_B, "Tin B"),
                          item("04:20", SHA_B, "Tin C"), item("04:30", SHA_A, "Tin D")]}  # fmt: skip
    session.add(Playlist(station_id=station.id, date=DAY, version=1, manifest=manifest, etag="x"))
    session.commit()


def test_what_aired_at_0412_at_hiep_an(session: Session, day_at_hiep_an: None) -> None:
    h = history.playback_history(session, "hiep-an", DAY, time(4, 12))
    assert h.station_name == "Xã Hiệp An" and h.at == at("04:12")
    assert [(r.title, r.status, r.cause_label) for r in h.on_air] == [
        ("Tin B", "cut", "tin khẩn cấp chen vào"),
        ("KHẨN CẤP: Bão", "played", ""),
    ]
    assert [it["title"] for it in h.planned_then] == ["Tin B"]
    whole = history.playback_history(session, "hiep-an", DAY)
    assert [r.title for r in whole.rows] == ["Tin A", "Tin B", "KHẨN CẤP: Bão", "Tin C"]
    assert whole.rows[1].actual_end == at("04:12", 30) and whole.rows[0].planned_start == at("04:10")
    assert history.playback_history(session, "hiep-an", DAY, time(3, 0)).on_air == ()


def test_the_timeline_marks_each_item_aired_cut_or_missed(session: Session, day_at_hiep_an: None) -> None:
    station = st.get_station(session, "hiep-an")
    playlist = session.scalar(select(Playlist).where(Playlist.station_id == station.id))
    assert playlist is not None
    rows = history.day_rows(session, station, DAY)
    marks = history.item_marks(playlist.manifest["items"], rows, now=at("04:25"))
    assert marks == [("aired", ""), ("cut", "tin khẩn cấp chen vào"), ("missed", "hết giờ phiên phát"),
                     ("upcoming", "")]  # fmt: skip
    later = history.item_marks(playlist.manifest["items"], rows, now=at("05:00"))
    assert later[3] == ("missed", "không có nhật ký phát")


def test_a_cut_item_replayed_whole_is_aired_and_an_older_versions_row_still_matches() -> None:
    items = [item("04:10", SHA_A, "Tin A", bulletin_id=7), item("04:20", SHA_B, "Tin B", bulletin_id=8)]
    cut = AsRun(kind="bulletin", title="Tin A", media_sha256=SHA_A, bulletin_id=7, planned_start=at("04:10"),
                status=AsRunStatus.CUT, cause="emergency", language="")
    again = AsRun(kind="bulletin", title="Tin A", media_sha256=SHA_A, bulletin_id=7, planned_start=at("04:10"),
                  status=AsRunStatus.PLAYED, cause="", language="")
    # B was planned at 04:15 in version 1; an emergency moved it to 04:20 in version 2
    moved = AsRun(kind="bulletin", title="Tin B", media_sha256=SHA_B, bulletin_id=8, planned_start=at("04:15"),
                  status=AsRunStatus.PLAYED, cause="", language="")  # fmt: skip
    assert history.item_marks(items, [cut, again, moved], now=at("05:00")) == [("aired", ""), ("aired", "")]


def test_loa_report_history(factory: sessionmaker[Session], day_at_hiep_an: None,
                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    runner = CliRunner()
    res = runner.invoke(cli, ["report", "history", "--station", "hiep-an", "--day", DAY.isoformat(),
                              "--at", "04:12"], catch_exceptions=False)  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "Xã Hiệp An (hiep-an), ngày 01/12/2026" in res.output and "Lúc 04:12:" in res.output
    assert "04:12:00  04:12:00–04:12:30  Bị cắt    Tin B  (tin khẩn cấp chen vào)" in res.output
    assert "Kế hoạch: 04:12:00 Tin B" in res.output
    whole = runner.invoke(cli, ["report", "history", "--station", "hiep-an", "--day", DAY.isoformat()])
    assert whole.output.count("\n") == 6 and "Bỏ qua    Tin C  (hết giờ phiên phát)" in whole.output
    bad = runner.invoke(cli, ["report", "history", "--station", "hiep-an", "--day", DAY.isoformat(), "--at", "4h"])
    assert bad.exit_code == 2 and "HH:MM" in bad.output
    missing = runner.invoke(cli, ["report", "history", "--station", "nowhere", "--day", DAY.isoformat()])
    assert missing.exit_code == 1 and "Không có đài mã 'nowhere'" in missing.output
